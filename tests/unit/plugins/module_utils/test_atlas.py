# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Atlas adapter: validation, normalisation, comparison, discovery, pagination, writes."""

from __future__ import annotations

import json

import pytest
import requests

from ansible_collections.sso.mappings.plugins.module_utils import _atlas, _client, _connection
from ansible_collections.sso.mappings.plugins.module_utils._errors import ApiError, InputError

ORG = '5e2211c17a3e5a48f5497de3'
FED = '6a1f0c2b3d4e5f60718293a4'
PROJECT = '6a1b2c3d4e5f60718293a4b5'
OTHER_PROJECT = '6a1b2c3d4e5f60718293a4b6'
BASE = 'https://cloud.example.test'
VERSIONED = 'application/vnd.atlas.2023-01-01+json'
PATH = '/api/atlas/v2/federationSettings/%s/connectedOrgConfigs/%s/roleMappings' % (FED, ORG)
RAW = {'id': '65a1b2c3d4e5f60718293a4b', 'externalGroupName': 'eng', 'roleAssignments': [
    {'role': 'ORG_MEMBER', 'orgId': ORG, 'groupId': None},
    {'role': 'GROUP_READ_ONLY', 'groupId': PROJECT},
]}
NORMALISED = {'id': '65a1b2c3d4e5f60718293a4b', 'external_group_name': 'eng', 'role_assignments': [
    {'role': 'GROUP_READ_ONLY', 'project_id': PROJECT}, {'role': 'ORG_MEMBER', 'org_id': ORG}]}


def options(**given):
    """The Atlas options as the connection checks them."""
    return dict({'org_id': ORG, 'federation_settings_id': FED, 'api_version': '2023-01-01'}, **given)


def credentials(**values):
    """Settings that carry only credentials, as a credential method's auth reads them."""
    return _connection.Settings('https://x', True, None, 30, 1, 1, None, values)


def adapter(**given):
    return _atlas.AtlasRoleMappings(None, options(**given))


def api_with(steps, scripted, **params):
    client = _client.Client('Atlas', BASE, retries=1, sleep=lambda s: None, headers={'Accept': VERSIONED})
    transport = scripted(client, steps)
    return _atlas.AtlasRoleMappings(client, options(**params)), transport


def item(name='eng', *assignments, state='present'):
    return {'external_group_name': name, 'role_assignments': list(assignments), 'state': state}


def element(role=None, roles=None, org_id=None, project_id=None):
    return {'role': role, 'roles': roles, 'org_id': org_id, 'project_id': project_id}


def test_normalise_renames_sorts_and_drops_null_ids():
    assert _atlas.normalise(RAW) == NORMALISED
    assert _atlas.normalise({'externalGroupName': 'x'}) == {'external_group_name': 'x', 'role_assignments': []}


def test_api_body_is_the_whole_mapping_without_read_only_fields():
    assert _atlas.api_body(NORMALISED) == {'externalGroupName': 'eng', 'roleAssignments': [
        {'role': 'GROUP_READ_ONLY', 'groupId': PROJECT}, {'role': 'ORG_MEMBER', 'orgId': ORG}]}


def test_assignments_are_a_set():
    one = {'role': 'ORG_MEMBER', 'org_id': ORG}
    two = {'role': 'GROUP_READ_ONLY', 'project_id': PROJECT}
    assert _atlas.sort_assignments([one, two, dict(one)]) == [two, one]


@pytest.mark.parametrize('mapping, message', [
    (item('eng', element('ORG_MEMBER', project_id=PROJECT)), 'organization role and cannot take a project_id'),
    (item('eng', element('ORG_MEMBER'), element('GROUP_READ_ONLY', org_id=ORG)), 'project role and needs a project_id'),
    (item('eng', element('GROUP_READ_ONLY', project_id=PROJECT)), 'at least one organization role'),
    (item('eng', element('ORG_MEMBER', org_id=ORG, project_id=PROJECT)), 'not org_id and project_id'),
    (item('eng', element('ORG_MEMBER'), element('GROUP_OWNER', project_id='xyz')), 'not an id of 24 hexadecimal'),
    (item('eng', element('ORG_MEMBER', org_id=ORG[:-1])), 'not an id of 24 hexadecimal'),
    (item('eng', element('ORG_MEMBER'), element('CUSTOM_ROLE', project_id=PROJECT)), "unknown role 'CUSTOM_ROLE'"),
    (item('eng', element('ORG MEMBER')), "unknown role 'ORG MEMBER' (did you mean ORG_MEMBER?)"),
    (item('eng', element('ORG_MEMBER'), element('GROUP_READ_ONLY')), 'project role, so it needs a project_id'),
    (item('eng', element('org_owner')), 'ORG_OWNER, ORG_READ_ONLY'),
    (item('eng', element(roles=[])), 'roles must not be empty'),
    (item('eng', element()), 'give role or roles'),
    (item('x' * 201, element('ORG_MEMBER')), 'at most 200 characters, got 201'),
    (item('', element('ORG_MEMBER')), 'external_group_name must not be empty'),
    (item(' eng', element('ORG_MEMBER')), 'leading or trailing white space'),
    (dict(item('eng'), role_assignments=None), 'role_assignments is required unless state is absent'),
])
def test_validation_names_the_option_and_item(mapping, message):
    with pytest.raises(InputError) as caught:
        adapter().validate(mapping, 'mappings[2]')
    assert message in str(caught.value)
    assert str(caught.value).startswith('Atlas: mappings[2]')


def test_an_org_role_without_an_id_takes_the_module_org_and_roles_expand():
    mapping = item('eng', element(roles=['ORG_MEMBER', 'ORG_READ_ONLY']),
                   element(roles=['GROUP_READ_ONLY', 'GROUP_OWNER'], project_id=PROJECT.upper()),
                   element('GROUP_READ_ONLY', project_id=PROJECT))
    desired = adapter().validate(mapping, None)
    assert desired == {'state': 'present', 'external_group_name': 'eng', 'role_assignments': [
        {'role': 'GROUP_OWNER', 'project_id': PROJECT}, {'role': 'GROUP_READ_ONLY', 'project_id': PROJECT},
        {'role': 'ORG_MEMBER', 'org_id': ORG}, {'role': 'ORG_READ_ONLY', 'org_id': ORG}]}


def test_a_mapping_to_delete_needs_no_role_assignments():
    assert adapter().validate(dict(item('eng', state='absent'), role_assignments=None), None) == {
        'state': 'absent', 'external_group_name': 'eng'}


def test_info_output_validates_back_to_no_change():
    api = adapter()
    fed_back = dict(NORMALISED, state='present', role_assignments=[
        dict(element(), **assignment) for assignment in NORMALISED['role_assignments']])
    desired = api.validate(fed_back, 'mappings[0]')
    assert 'id' not in desired
    assert api.compare(desired, NORMALISED) == {}


def test_compare_ignores_order_and_reports_the_whole_set():
    api = adapter()
    reordered = {'external_group_name': 'eng', 'role_assignments': list(reversed(NORMALISED['role_assignments']))}
    assert api.compare(api.validate(dict(reordered, state='present', role_assignments=[
        element('ORG_MEMBER'), element('GROUP_READ_ONLY', project_id=PROJECT)]), None), NORMALISED) == {}
    wanted = [{'role': 'GROUP_READ_ONLY', 'project_id': OTHER_PROJECT}, {'role': 'ORG_MEMBER', 'org_id': ORG}]
    assert api.compare({'external_group_name': 'eng', 'role_assignments': wanted}, NORMALISED) == {'role_assignments': wanted}
    assert api.compare({'external_group_name': 'eng', 'state': 'absent'}, NORMALISED) == {}


def test_predict_keeps_the_id():
    wanted = [{'role': 'ORG_OWNER', 'org_id': ORG}]
    assert adapter().predict({'external_group_name': 'eng', 'role_assignments': wanted, 'state': 'present'}, NORMALISED) == {
        'id': NORMALISED['id'], 'external_group_name': 'eng', 'role_assignments': wanted}


@pytest.mark.parametrize('params, message', [
    ({'org_id': 'not-an-org'}, "org_id 'not-an-org' is not an id of 24 hexadecimal digits"),
    ({'federation_settings_id': 'fed'}, "federation_settings_id 'fed' is not an id"),
    ({'api_version': '2023-01-01+json'}, 'is not an API version date (YYYY-MM-DD)'),
])
def test_scope_options_are_checked_before_any_request(params, message):
    with pytest.raises(InputError, match=message.replace('(', r'\(').replace(')', r'\)').replace('+', r'\+')):
        _atlas.check_options(options(**params))


def test_list_follows_next_links_and_asks_for_the_versioned_media_type(scripted):
    page1 = {'results': [RAW], 'totalCount': 2, 'links': [
        {'rel': 'self', 'href': BASE + PATH}, {'rel': 'next', 'href': BASE + PATH + '?pageNum=2&itemsPerPage=1'}]}
    page2 = {'results': [dict(RAW, id='65a1b2c3d4e5f60718293a4c', externalGroupName='ops')], 'totalCount': 2,
             'links': [{'rel': 'self', 'href': BASE + PATH + '?pageNum=2&itemsPerPage=1'}]}
    api, transport = api_with([(200, page1), (200, page2)], scripted)
    assert [m['external_group_name'] for m in api.list_current()] == ['eng', 'ops']
    assert [r.url for r in transport.sent] == [BASE + PATH, BASE + PATH + '?pageNum=2&itemsPerPage=1']
    assert all(r.headers['Accept'] == VERSIONED for r in transport.sent)


def test_a_next_link_to_another_origin_is_refused(scripted):
    page = {'results': [], 'links': [{'rel': 'next', 'href': 'https://elsewhere.example.test' + PATH + '?pageNum=2'}]}
    api, _transport = api_with([(200, page)], scripted)
    with pytest.raises(ApiError, match='another origin'):
        api.list_current()


def test_federation_settings_are_discovered_once(scripted):
    settings = {'id': FED, 'federatedDomains': [], 'identityProviderStatus': 'ACTIVE'}
    api, transport = api_with([(200, settings), (200, {'results': []}), (200, RAW)], scripted,
                              federation_settings_id=None)
    api.list_current()
    api.create({'external_group_name': 'eng', 'role_assignments': NORMALISED['role_assignments']})
    assert [(r.method, r.path_url) for r in transport.sent] == [
        ('GET', '/api/atlas/v2/orgs/%s/federationSettings' % ORG), ('GET', PATH), ('POST', PATH)]


def test_discovery_without_an_id_fails_clearly(scripted):
    api, _transport = api_with([(200, {'federatedDomains': []})], scripted, federation_settings_id=None)
    with pytest.raises(ApiError, match='set federation_settings_id'):
        api.list_current()


def test_create_sends_the_versioned_body(scripted):
    api, transport = api_with([(200, RAW)], scripted)
    result = api.create({'external_group_name': 'eng', 'role_assignments': NORMALISED['role_assignments']})
    assert result == NORMALISED
    sent = transport.sent[0]
    assert sent.method == 'POST' and sent.headers['Content-Type'] == VERSIONED and sent.headers['Accept'] == VERSIONED
    assert json.loads(sent.body) == _atlas.api_body(NORMALISED)


def test_a_lost_create_answer_is_looked_up_instead_of_resent(scripted):
    steps = [requests.exceptions.ConnectionError('Connection aborted.'), (200, {'results': [RAW], 'links': []})]
    api, transport = api_with(steps, scripted)
    result = api.create({'external_group_name': 'eng', 'role_assignments': NORMALISED['role_assignments']})
    assert result == NORMALISED
    assert [r.method for r in transport.sent] == ['POST', 'GET']


def test_a_create_answered_without_the_mapping_reads_it_again_or_fails(scripted):
    api, transport = api_with([(200, None), (200, {'results': [RAW], 'links': []})], scripted)
    assert api.create({'external_group_name': 'eng', 'role_assignments': NORMALISED['role_assignments']}) == NORMALISED
    assert [r.method for r in transport.sent] == ['POST', 'GET']
    api, _transport = api_with([(200, None), (200, {'results': [], 'links': []})], scripted)
    with pytest.raises(ApiError, match='role mapping cannot be found afterwards'):
        api.create({'external_group_name': 'eng', 'role_assignments': NORMALISED['role_assignments']})


def test_update_puts_the_whole_mapping(scripted):
    wanted = [{'role': 'GROUP_READ_ONLY', 'project_id': OTHER_PROJECT}, {'role': 'ORG_MEMBER', 'org_id': ORG}]
    answer = dict(RAW, roleAssignments=[{'role': 'ORG_MEMBER', 'orgId': ORG}, {'role': 'GROUP_READ_ONLY', 'groupId': OTHER_PROJECT}])
    api, transport = api_with([(200, answer)], scripted)
    result = api.update(NORMALISED, {'external_group_name': 'eng', 'role_assignments': wanted}, {'role_assignments': wanted})
    sent = transport.sent[0]
    assert (sent.method, sent.path_url) == ('PUT', PATH + '/' + RAW['id'])
    assert json.loads(sent.body) == {'externalGroupName': 'eng', 'roleAssignments': [
        {'role': 'GROUP_READ_ONLY', 'groupId': OTHER_PROJECT}, {'role': 'ORG_MEMBER', 'orgId': ORG}]}
    assert result['role_assignments'] == wanted and result['id'] == RAW['id']


def test_delete_of_a_mapping_already_gone_succeeds(scripted):
    api, transport = api_with([(404, {'error': 404, 'errorCode': 'RESOURCE_NOT_FOUND', 'detail': 'gone'})], scripted)
    api.delete(NORMALISED)
    assert (transport.sent[0].method, transport.sent[0].path_url) == ('DELETE', PATH + '/' + RAW['id'])


def test_an_atlas_error_names_code_and_detail(scripted):
    error = {'error': 400, 'errorCode': 'INVALID_ATTRIBUTE', 'detail': 'Invalid attribute role specified.',
             'reason': 'Bad Request', 'parameters': ['role']}
    api, transport = api_with([(400, error)], scripted)
    with pytest.raises(ApiError) as caught:
        api.create({'external_group_name': 'eng', 'role_assignments': NORMALISED['role_assignments']})
    assert len(transport.sent) == 1
    assert str(caught.value) == ("Atlas: create role mapping 'eng' failed: HTTP 400 INVALID_ATTRIBUTE: "
                                 "Invalid attribute role specified.")


def test_service_account_token_is_fetched_once_and_refreshed_once(scripted):
    client = _client.Client('Atlas', BASE, retries=1, sleep=lambda s: None)
    auth = _atlas._service_account_auth(client, credentials(client_id='mdb_sa_id_x', client_secret='mdb_sa_sk_y'))
    client.auth = auth
    token = {'access_token': 'T1', 'expires_in': 3600, 'token_type': 'Bearer'}
    steps = [(200, token), (200, {}), (200, {}), (401, {'error': 401, 'errorCode': 'UNAUTHORIZED'}),
             (200, dict(token, access_token='T2')), (200, {})]
    transport = scripted(client, steps)
    for _request in range(3):
        client.request('GET', PATH, 'list role mappings')
    sent = [(r.method, r.path_url, r.headers.get('Authorization')) for r in transport.sent]
    assert sent[0][:2] == ('POST', _atlas.TOKEN_PATH) and sent[0][2].startswith('Basic ')
    assert transport.sent[0].body == 'grant_type=client_credentials'
    assert [s[2] for s in sent[1:]] == ['Bearer T1', 'Bearer T1', 'Bearer T1', sent[4][2], 'Bearer T2']
    assert sent[4][:2] == ('POST', _atlas.TOKEN_PATH)


def test_a_rejected_service_account_names_the_client_id(scripted):
    client = _client.Client('Atlas', BASE, retries=1, sleep=lambda s: None)
    client.auth = _atlas._service_account_auth(client, credentials(client_id='mdb_sa_id_x', client_secret='mdb_sa_sk_y'))
    transport = scripted(client, [(401, {'error': 'invalid_client', 'error_description': 'Client authentication failed.'})])
    with pytest.raises(ApiError) as caught:
        client.request('GET', PATH, 'list role mappings')
    assert "get an access token for service account 'mdb_sa_id_x'" in str(caught.value)
    assert 'HTTP 401' in str(caught.value) and 'mdb_sa_sk_y' not in str(caught.value)
    assert len(transport.sent) == 1


def test_an_empty_org_id_fails_before_any_request():
    with pytest.raises(InputError, match='org_id is required'):
        _atlas.check_options({'org_id': '', 'federation_settings_id': None, 'api_version': '2023-01-01'})


def test_an_unknown_role_fails_unless_allowed_and_then_warns_once_naming_the_closest():
    mapping = item('eng', element('ORG_MEMBER'), element(roles=['GROUP_FLEET_VIEWER', 'GROUP_READ_ONLY'],
                                                         project_id=PROJECT))
    with pytest.raises(InputError) as caught:
        adapter().validate(mapping, 'mappings[0]')
    assert "unknown role 'GROUP_FLEET_VIEWER'" in str(caught.value) and 'allow_unknown_roles' in str(caught.value)

    api = adapter(allow_unknown_roles=True)
    desired = api.validate(mapping, 'mappings[0]')
    assert {'role': 'GROUP_FLEET_VIEWER', 'project_id': PROJECT} in desired['role_assignments']
    api.validate(dict(mapping, external_group_name='ops'), 'mappings[1]')
    assert len(api.warnings) == 1
    assert api.warnings[0].startswith('Atlas: mappings[0] (eng): role_assignments[1]: ')
    assert "role 'GROUP_FLEET_VIEWER'" in api.warnings[0] and 'the closest is GROUP_' in api.warnings[0]
    assert api._unknown_in(desired) == ['GROUP_FLEET_VIEWER']


@pytest.mark.parametrize('role, project, org_role', [
    ('ORG_FLEET_ADMIN', None, True),          # Atlas's prefixes say where a role goes
    ('GROUP_FLEET_VIEWER', PROJECT, False),
    ('FLEET_VIEWER', None, True),             # no prefix: where the assignment puts it
    ('FLEET_VIEWER', PROJECT, False),
])
def test_an_allowed_unknown_role_goes_where_its_prefix_or_its_assignment_says(role, project, org_role):
    assert _atlas.is_org_role(role, project is not None) is org_role
    mapping = item('eng', element('ORG_MEMBER'), element(role, project_id=project))
    assignments = adapter(allow_unknown_roles=True).validate(mapping, None)['role_assignments']
    assert (dict(role=role, org_id=ORG) if org_role else dict(role=role, project_id=PROJECT)) in assignments


def test_an_allowed_unknown_org_role_with_a_project_still_fails_locally():
    with pytest.raises(InputError, match='ORG_FLEET_ADMIN is an organization role and cannot take a project_id'):
        adapter(allow_unknown_roles=True).validate(
            item('eng', element('ORG_MEMBER'), element('ORG_FLEET_ADMIN', project_id=PROJECT)), None)


def test_the_allow_unknown_roles_option_reaches_the_adapter():
    assert _atlas.check_options({'org_id': ORG})['allow_unknown_roles'] is False
    assert _atlas.check_options({'org_id': ORG, 'allow_unknown_roles': True})['allow_unknown_roles'] is True
    assert _atlas.MODULES.write_options['allow_unknown_roles'] == {'type': 'bool', 'default': False}


@pytest.mark.parametrize('status, code', [(500, 'UNEXPECTED_ERROR'), (400, 'INVALID_ATTRIBUTE')])
def test_atlas_refusing_an_allowed_unknown_role_is_the_items_failure_sent_once(scripted, status, code):
    api, transport = api_with([(status, {'error': status, 'errorCode': code, 'detail': 'Unexpected error.'})],
                              scripted, allow_unknown_roles=True)
    desired = api.validate(item('eng', element('ORG_MEMBER'), element('GROUP_FLEET_VIEWER', project_id=PROJECT)), None)
    with pytest.raises(ApiError) as caught:
        api.create(desired)
    assert len(transport.sent) == 1  # a 500 is not retried when the body carries a role outside the list
    message = str(caught.value)
    for part in ('HTTP %d %s' % (status, code), 'GROUP_FLEET_VIEWER', 'allow_unknown_roles'):
        assert part in message
    assert caught.value.about_item


def test_a_500_without_an_unknown_role_is_still_retried(scripted):
    api, transport = api_with([(500, {'error': 500, 'errorCode': 'UNEXPECTED_ERROR'}), (200, {'results': [], 'links': []}),
                               (200, RAW)], scripted, allow_unknown_roles=True)
    desired = api.validate(item('eng', element('ORG_MEMBER'), element('GROUP_READ_ONLY', project_id=PROJECT)), None)
    assert api.create(desired) == NORMALISED
    assert [r.method for r in transport.sent] == ['POST', 'GET', 'POST']
