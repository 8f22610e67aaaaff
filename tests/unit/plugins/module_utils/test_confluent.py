# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Confluent adapter: validation, normalisation, comparison, pagination, lost creates."""

from __future__ import annotations

import pytest
import requests

from ansible_collections.sso.mappings.plugins.module_utils import _client, _confluent, _reconcile
from ansible_collections.sso.mappings.plugins.module_utils._errors import ApiError, InputError

RAW = {'api_version': 'iam/v2/sso', 'kind': 'GroupMapping', 'id': 'group-a1', 'display_name': 'eng',
       'description': 'Engineers', 'filter': '"eng" in claims.groups', 'principal': 'group-a1',
       'state': 'ENABLED', 'metadata': {'self': 'x', 'resource_name': 'crn://confluent.cloud/organization=o/group-mapping=group-a1'}}


def api_with(steps, scripted):
    client = _client.Client('Confluent', 'https://api.example.test', retries=1, sleep=lambda s: None)
    transport = scripted(client, steps)
    return _confluent.ConfluentGroupMappings(client), transport


def test_normalise_renames_state_and_drops_noise():
    assert _confluent.normalise(RAW) == {'id': 'group-a1', 'display_name': 'eng', 'description': 'Engineers',
                                         'filter': '"eng" in claims.groups', 'principal': 'group-a1',
                                         'status': 'ENABLED'}
    assert _confluent.normalise({'id': 'g', 'display_name': 'n', 'filter': 'f'})['description'] == ''


@pytest.mark.parametrize('item, message', [
    ({'display_name': '', 'filter': 'f'}, 'display_name must not be empty'),
    ({'display_name': ' eng', 'filter': 'f'}, 'leading or trailing white space'),
    ({'display_name': 'e\x00ng', 'filter': 'f'}, 'control or invisible'),
    ({'id': 'group a', 'filter': 'f'}, 'not a group mapping id'),
    ({'filter': 'f'}, 'one of id or display_name is required'),
    ({'display_name': 'eng', 'filter': '  '}, 'filter must not be empty'),
])
def test_validation_names_the_option_and_item(item, message):
    api = _confluent.ConfluentGroupMappings(None)
    with pytest.raises(InputError) as caught:
        api.validate(dict(item, state='present'), 'mappings[2]')
    assert message in str(caught.value)
    assert 'mappings[2]' in str(caught.value) and str(caught.value).startswith('Confluent: ')


def test_a_long_filter_is_left_to_the_api_whose_limit_is_the_tenants():
    api = _confluent.ConfluentGroupMappings(None)
    assert api.validate({'display_name': 'eng', 'filter': 'x' * 5000, 'state': 'present'}, None)['filter'] == 'x' * 5000


def test_validation_accepts_info_output_and_drops_read_only_fields():
    api = _confluent.ConfluentGroupMappings(None)
    desired = api.validate(dict(_confluent.normalise(RAW), state='present'), None)
    assert desired == {'state': 'present', 'id': 'group-a1', 'display_name': 'eng', 'description': 'Engineers',
                       'filter': '"eng" in claims.groups'}
    assert api.compare(desired, _confluent.normalise(RAW)) == {}


def test_compare_reports_only_changed_fields():
    api = _confluent.ConfluentGroupMappings(None)
    current = _confluent.normalise(RAW)
    assert api.compare({'display_name': 'eng', 'filter': 'new', 'description': 'Engineers'}, current) == {'filter': 'new'}
    assert api.compare({'display_name': 'eng', 'description': ''}, current) == {'description': ''}


def create(desired):
    return _reconcile.Change(_reconcile.CREATE, desired.get('display_name'), desired)


def test_create_needs_a_filter_and_a_name():
    api = _confluent.ConfluentGroupMappings(None)
    with pytest.raises(InputError, match='filter is required'):
        api.check(create({'display_name': 'eng'}))
    with pytest.raises(InputError, match='no group mapping with id'):
        api.check(create({'id': 'group-zz', 'filter': 'f'}))


def test_list_reads_every_page_at_the_largest_size(scripted):
    page1 = {'data': [RAW], 'metadata': {'next': 'https://api.example.test/iam.v2/sso/group-mappings?page_token=T1'}}
    page2 = {'data': [dict(RAW, id='group-b2', display_name='ops')], 'metadata': {'next': None}}
    api, transport = api_with([(200, page1), (200, page2)], scripted)
    mappings = api.list_current(desired=[])
    assert [m['id'] for m in mappings] == ['group-a1', 'group-b2']
    assert transport.sent[0].url.endswith('/iam/v2/sso/group-mappings?page_size=100')
    # The odd path of the example link is not followed: only its token is used.
    assert transport.sent[1].url.endswith('/iam/v2/sso/group-mappings?page_size=100&page_token=T1')


def test_update_patches_only_changed_fields(scripted):
    api, transport = api_with([(200, dict(RAW, filter='new'))], scripted)
    result = api.update(_confluent.normalise(RAW), {'display_name': 'eng', 'filter': 'new'}, {'filter': 'new'})
    assert transport.sent[0].method == 'PATCH' and transport.sent[0].body == b'{"filter": "new"}'
    assert result['filter'] == 'new'


def test_delete_of_a_mapping_already_gone_succeeds(scripted):
    api, _transport = api_with([(404, {'errors': [{'status': '404', 'title': 'Not Found'}]})], scripted)
    api.delete(_confluent.normalise(RAW))


def test_lost_create_answer_finds_the_new_mapping_instead_of_resending(scripted):
    created = dict(RAW, id='group-new', display_name='new')
    steps = [(200, {'data': [RAW], 'metadata': {}}),
             requests.exceptions.ConnectionError('Connection aborted.'),
             (200, {'data': [RAW, created], 'metadata': {}})]
    api, transport = api_with(steps, scripted)
    api.list_current(desired=[])
    result = api.create({'display_name': 'new', 'filter': 'f', 'description': ''})
    assert result['id'] == 'group-new' and result['status'] == 'ENABLED'
    assert [r.method for r in transport.sent] == ['GET', 'POST', 'GET']


def binding(role, crn, principal='User:group-a1', binding_id='rb-1'):
    return {'id': binding_id, 'principal': principal, 'role_name': role, 'crn_pattern': crn}


ORG = 'crn://confluent.cloud/organization=o'


def test_bindings_are_read_only_for_items_that_name_them(scripted):
    page = {'data': [RAW, dict(RAW, id='group-b2', display_name='ops', principal='group-b2')], 'metadata': {}}
    org_level = {'data': [binding('OrganizationAdmin', ORG, binding_id='rb-0')], 'metadata': {}}
    nested = {'data': [binding('OrganizationAdmin', ORG, binding_id='rb-0'),
                       binding('EnvironmentAdmin', ORG + '/environment=env-1')], 'metadata': {}}
    api, transport = api_with([(200, page), (200, org_level), (200, nested)], scripted)
    desired = [{'display_name': 'eng', 'role_bindings': [], 'state': 'present'},
               {'display_name': 'ops', 'state': 'present'}]
    mappings = api.list_current(desired)
    _reconcile.plan(api, desired, mappings)
    # Both readings of <org>/* (with or without the organization itself) are covered, joined by id.
    assert mappings[0]['role_bindings'] == [{'role_name': 'EnvironmentAdmin', 'crn_pattern': ORG + '/environment=env-1'},
                                            {'role_name': 'OrganizationAdmin', 'crn_pattern': ORG}]
    assert 'role_bindings' not in mappings[1]
    # The principal of a mapping's bindings is User:<id>, although the mapping's principal is the bare id.
    assert transport.sent[1].url.endswith('/iam/v2/role-bindings?crn_pattern=crn%3A%2F%2Fconfluent.cloud%2F'
                                          'organization%3Do&page_size=100&principal=User%3Agroup-a1')
    assert transport.sent[2].url.endswith('/iam/v2/role-bindings?crn_pattern=crn%3A%2F%2Fconfluent.cloud%2F'
                                          'organization%3Do%2F%2A&page_size=100&principal=User%3Agroup-a1')
    api, transport = api_with([(200, page)], scripted)
    _reconcile.plan(api, [{'display_name': 'eng', 'state': 'present'}], api.list_current())
    assert len(transport.sent) == 1


@pytest.mark.parametrize('principal', ['group-a1', 'User:group-a1', None])
def test_bindings_name_user_and_the_mapping_id_however_the_principal_is_written(principal):
    from ansible_collections.sso.mappings.plugins.module_utils._confluent_role_bindings import principal_of
    assert principal_of({'id': 'group-a1', 'principal': principal}) == 'User:group-a1'
    assert principal_of({'principal': principal}) == ('User:group-a1' if principal else None)
    assert principal_of({'id': 'pool-old'}) == 'User:pool-old'


def test_crns_compare_decoded():
    from ansible_collections.sso.mappings.plugins.module_utils._confluent_role_bindings import same_bindings, sort_bindings
    plain = {'role_name': 'DeveloperRead', 'crn_pattern': ORG + '/schema-registry=lsrc-1/subject=:.ctx:orders'}
    encoded = {'role_name': 'DeveloperRead', 'crn_pattern': ORG + '/schema-registry=lsrc-1/subject=%3A.ctx%3Aorders'}
    assert same_bindings([plain], [encoded])
    assert sort_bindings([plain, encoded]) == [plain]
    assert not same_bindings([plain], [dict(plain, role_name='DeveloperWrite')])


def test_a_changed_binding_is_a_delete_and_a_create(scripted):
    api, transport = api_with([(200, {}), (201, {})], scripted)
    api.bindings.ids[('User:group-a1', 'EnvironmentAdmin', ORG + '/environment=env-1')] = 'rb-1'
    current = dict(_confluent.normalise(RAW), role_bindings=[
        {'role_name': 'EnvironmentAdmin', 'crn_pattern': ORG + '/environment=env-1'}])
    want = [{'role_name': 'EnvironmentAdmin', 'crn_pattern': ORG + '/environment=env-2'}]
    desired = {'display_name': 'eng', 'role_bindings': want}
    assert api.compare(desired, current) == {'role_bindings': want}
    result = api.update(current, desired, {'role_bindings': want})
    assert [(r.method, r.url.rsplit('/', 1)[-1]) for r in transport.sent] == [('DELETE', 'rb-1'), ('POST', 'role-bindings')]
    assert result['role_bindings'] == want


def test_deleting_a_mapping_deletes_its_bindings_first(scripted):
    api, transport = api_with([(200, {}), (204, None)], scripted)
    api.bindings.ids[('User:group-a1', 'CloudClusterAdmin', ORG)] = 'rb-9'
    current = dict(_confluent.normalise(RAW), role_bindings=[{'role_name': 'CloudClusterAdmin', 'crn_pattern': ORG}])
    api.delete(current)
    assert [(r.method, r.url.rsplit('/', 1)[-1]) for r in transport.sent] == [('DELETE', 'rb-9'), ('DELETE', 'group-a1')]


@pytest.mark.parametrize('bad, message', [
    ({'role_name': 'EnvironmentAdmin', 'crn_pattern': 'org=1'}, 'starting with crn://'),
    ({'role_name': '', 'crn_pattern': ORG}, 'role_name must not be empty'),
])
def test_binding_validation(bad, message):
    api = _confluent.ConfluentGroupMappings(None)
    with pytest.raises(InputError, match=message):
        api.validate({'display_name': 'eng', 'state': 'present', 'role_bindings': [bad]}, 'mappings[0]')


def test_a_binding_outside_the_organization_is_refused_before_any_write():
    api = _confluent.ConfluentGroupMappings(None)
    api.bindings.org_crn = ORG
    outside = {'display_name': 'eng', 'filter': 'f',
               'role_bindings': [{'role_name': 'EnvironmentAdmin', 'crn_pattern': 'crn://confluent.cloud/organization=x'}]}
    with pytest.raises(InputError, match='outside this organization'):
        api.check(create(outside))
    current = dict(_confluent.normalise(RAW), role_bindings=[])
    update = _reconcile.Change(_reconcile.UPDATE, 'eng', outside, current, api.compare(outside, current))
    with pytest.raises(InputError, match='outside this organization'):
        api.check(update)
    inside = dict(outside, role_bindings=[{'role_name': 'EnvironmentAdmin', 'crn_pattern': ORG + '/environment=e'}])
    api.check(create(inside))


def test_a_failed_binding_after_a_created_mapping_still_reports_the_mapping(scripted):
    created = dict(RAW, id='group-new', display_name='new', principal='group-new')
    api, _transport = api_with([(200, {'data': [], 'metadata': {}}), (201, created),
                                (400, {'errors': [{'code': 'bad', 'detail': 'no such role'}]})], scripted)
    desired = {'display_name': 'new', 'filter': 'f', 'description': '', 'state': 'present',
               'role_bindings': [{'role_name': 'Nope', 'crn_pattern': ORG}]}
    done = _reconcile.converge(api, [desired])
    assert len(done.failures) == 1
    result = done.result
    assert result['changed'] is True and result['summary']['created'] == 1
    assert [m['id'] for m in result['mappings']] == ['group-new']


def test_a_quota_reached_on_create_is_sent_once_and_named(scripted):
    quota = {'errors': [{'status': '402', 'code': 'quota_exceeded', 'detail': 'Group mapping reached limit 20'}]}
    api, transport = api_with([(402, quota, {'X-Request-Id': 'req-402'})], scripted)
    with pytest.raises(ApiError) as caught:
        api.create({'display_name': 'new', 'filter': 'f', 'description': ''})
    assert len(transport.sent) == 1
    message = str(caught.value)
    for part in ("create group mapping 'new'", 'HTTP 402 quota_exceeded', 'Group mapping reached limit 20',
                 'req-402', 'quota of SSO group mappings'):
        assert part in message
    assert _reconcile.is_item_failure(caught.value)


FORBIDDEN = (403, {'errors': [{'status': '403', 'code': 'user_unauthorized', 'detail': 'not allowed'}]})


@pytest.mark.parametrize('held, gone', [([], True), ([binding('CloudClusterAdmin', ORG, binding_id='rb-9')], False)])
def test_a_lost_binding_delete_whose_retry_meets_403_asks_the_list(scripted, held, gone):
    lost = requests.exceptions.ConnectionError('Connection aborted.')
    api, transport = api_with([lost, FORBIDDEN, (200, {'data': held, 'metadata': {}})], scripted)
    api.bindings.ids[('User:group-a1', 'CloudClusterAdmin', ORG)] = 'rb-9'
    current = dict(_confluent.normalise(RAW), role_bindings=[{'role_name': 'CloudClusterAdmin', 'crn_pattern': ORG}])
    if gone:
        api.bindings.sync(current, current['role_bindings'], [])
    else:
        with pytest.raises(ApiError, match='HTTP 403 user_unauthorized'):
            api.bindings.sync(current, current['role_bindings'], [])
    assert [r.method for r in transport.sent] == ['DELETE', 'DELETE', 'GET']
    assert transport.sent[2].url.endswith('?crn_pattern=crn%3A%2F%2Fconfluent.cloud%2Forganization%3Do&page_size=100'
                                          '&principal=User%3Agroup-a1&role_name=CloudClusterAdmin')


def test_a_lost_mapping_delete_whose_retry_meets_403_asks_the_list(scripted):
    lost = requests.exceptions.ConnectionError('Connection aborted.')
    api, transport = api_with([lost, FORBIDDEN, (200, {'data': [], 'metadata': {}})], scripted)
    api.delete(dict(_confluent.normalise(RAW), role_bindings=[]))
    assert [r.method for r in transport.sent] == ['DELETE', 'DELETE', 'GET']
