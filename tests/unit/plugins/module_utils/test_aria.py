# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Aria adapter: role resolution, validation, normalisation, comparison and the tolerant answers."""

from __future__ import annotations

import pytest
import requests

from ansible_collections.sso.mappings.plugins.module_utils import _aria, _client
from ansible_collections.sso.mappings.plugins.module_utils._errors import ApiError, InputError

ADMIN, CERTIFICATES, DEV = 'vmid-admin-0001', 'vmid-certificates-0002', 'vmid-dev-0003'
ROLES = [
    {'roleName': 'LCM Admin', 'roleDescription': 'Administrator', 'vmid': ADMIN},
    {'roleName': 'Certificate Administrator', 'roleDescription': 'Certificates', 'vmid': CERTIFICATES},
    {'roleName': 'Content Developer', 'roleDescription': 'Content', 'vmid': DEV},
]
RAW = {'vmid': 'group-1', 'displayName': 'lcm-admins', 'domain': 'example.com', 'groupType': None, 'isDisabled': False,
       'providerIdentifier': None, 'groupMetadata': None,
       'roleMappings': [dict(ROLES[1]), dict(ROLES[0])]}
CURRENT = {'vmid': 'group-1', 'display_name': 'lcm-admins', 'domain': 'example.com', 'is_disabled': False,
           'mapped_roles': ['Certificate Administrator', 'LCM Admin']}


def offline_api():
    """An adapter with a fake roles list and no client: any request would fail."""
    api = _aria.AriaGroupMappings(None)
    api._roles = [dict(role) for role in ROLES]  # pylint: disable=protected-access
    return api


def resolved(api, item, where=None):
    """An item as the set flow makes it: validated, then its role names resolved."""
    desired = api.validate(item, where)
    api.resolve([desired], [where])
    return desired


def api_with(steps, scripted, roles=True):
    client = _client.Client('Aria', 'https://lcm.example.test', retries=1, sleep=lambda s: None,
                            status_hints=_aria.CONNECTION.status_hints)
    transport = scripted(client, steps)
    api = _aria.AriaGroupMappings(client)
    if roles:
        api._roles = [dict(role) for role in ROLES]  # pylint: disable=protected-access
    return api, transport


def test_normalise_names_the_roles_sorted_and_drops_noise():
    assert offline_api().normalise(RAW) == CURRENT


def test_normalise_reads_metadata_and_role_vmids_tolerantly():
    raw = dict(RAW, groupType='ALL_USERS', providerIdentifier='idp-1', roleMappings=None, mappedRoles=[DEV, 'vmid-gone'],
               groupMetadata={'distinguishedName': 'CN=x', 'externalId': None, 'additionalMeta': ['z', 'a']})
    mapping = offline_api().normalise(raw)
    # A vmid the roles list does not know is kept as it is rather than dropped.
    assert mapping['mapped_roles'] == ['Content Developer', 'vmid-gone']
    assert mapping['group_type'] == 'ALL_USERS' and mapping['provider_identifier'] == 'idp-1'
    assert mapping['group_metadata'] == {'distinguished_name': 'CN=x', 'additional_meta': ['a', 'z']}


def test_validate_resolves_names_and_vmids_to_names():
    desired = resolved(offline_api(), {'display_name': 'eng', 'domain': 'example.com',
                                       'mapped_roles': [CERTIFICATES, 'LCM Admin', 'Certificate Administrator'], 'state': 'present'})
    assert desired == {'state': 'present', 'display_name': 'eng', 'domain': 'example.com',
                       'mapped_roles': ['Certificate Administrator', 'LCM Admin']}


def test_an_unknown_role_lists_the_valid_names():
    with pytest.raises(InputError) as caught:
        resolved(offline_api(), {'display_name': 'eng', 'domain': 'example.com', 'mapped_roles': ['lcm admin']},
                 'mappings[1]')
    message = str(caught.value)
    assert message.startswith('Aria: mappings[1] (eng@example.com): ')
    assert "unknown role 'lcm admin'" in message
    assert 'valid role names: Certificate Administrator, Content Developer, LCM Admin' in message


@pytest.mark.parametrize('item, message', [
    ({'display_name': 'eng'}, 'domain is required'),
    ({'domain': 'example.com'}, 'display_name is required'),
    ({'display_name': '', 'domain': 'example.com'}, 'display_name must not be empty'),
    ({'display_name': 'eng ', 'domain': 'example.com'}, 'leading or trailing white space'),
    ({'display_name': 'e' * 256, 'domain': 'example.com'}, 'at most 255 characters'),
    ({'display_name': 'eng', 'domain': 'example.com', 'group_type': ' '}, 'group_type must not be empty'),
    ({'display_name': 'eng', 'domain': 'example.com', 'mapped_roles': ['']}, 'mapped_roles must not be empty'),
])
def test_validation_names_the_option_and_item(item, message):
    with pytest.raises(InputError) as caught:
        offline_api().validate(dict(item, state='present'), 'mappings[2]')
    assert message in str(caught.value) and 'mappings[2]' in str(caught.value)


def test_absent_needs_no_roles():
    api = _aria.AriaGroupMappings(None)  # no roles, no client: reading them would fail
    assert api.validate({'display_name': 'eng', 'domain': 'example.com', 'mapped_roles': ['nonsense'],
                         'state': 'absent'}, None) == {'state': 'absent', 'display_name': 'eng', 'domain': 'example.com'}


def test_info_output_validates_back_to_an_unchanged_group():
    api = offline_api()
    current = api.normalise(dict(RAW, groupMetadata={'distinguishedName': 'CN=x', 'additionalMeta': ['b', 'a']}))
    item = dict(current, state='present')
    item['group_metadata'] = dict(item['group_metadata'], external_id=None)  # how Ansible fills suboptions
    desired = api.validate(item, 'mappings[0]')
    assert 'vmid' not in desired
    assert api.compare(desired, current) == {}


def test_identity_ignores_case_and_the_key_keeps_the_spelling():
    api = offline_api()
    item = {'display_name': 'LCM-Admins', 'domain': 'Example.COM'}
    assert api.identity(item) == api.identities(CURRENT)[0]
    assert api.key(item) == 'LCM-Admins@Example.COM'
    assert api.identity(item) != api.identity({'display_name': 'LCM-Admins', 'domain': 'other.com'})
    assert api.matches_filters(CURRENT, {'display_name': 'LCM-ADMINS'})
    assert api.matches_filters(CURRENT, {'display_name': 'lcm-admins@Example.com'})
    assert not api.matches_filters(CURRENT, {'display_name': 'lcm-admins@other.com'})
    assert not api.matches_filters(CURRENT, {'domain': 'other.com'})


def test_compare_treats_roles_as_a_set_and_leaves_omitted_fields_alone():
    api = offline_api()
    same = resolved(api, {'display_name': 'lcm-admins', 'domain': 'example.com', 'mapped_roles': [CERTIFICATES, ADMIN]})
    assert api.compare(same, CURRENT) == {}
    assert api.compare({'mapped_roles': ['LCM Admin']}, CURRENT) == {'mapped_roles': ['LCM Admin']}
    assert api.compare({'mapped_roles': []}, CURRENT) == {'mapped_roles': []}
    assert api.compare({'is_disabled': True, 'group_type': 'ALL_USERS'}, CURRENT) == {'is_disabled': True,
                                                                                      'group_type': 'ALL_USERS'}


def test_group_metadata_keys_given_are_set_the_others_kept():
    api = offline_api()
    current = dict(CURRENT, group_metadata={'distinguished_name': 'CN=x', 'external_id': 'e1'})
    assert api.compare({'group_metadata': {'external_id': 'e1'}}, current) == {}
    assert api.compare({'group_metadata': {'external_id': 'e2'}}, current) == {
        'group_metadata': {'distinguished_name': 'CN=x', 'external_id': 'e2'}}
    after = api.predict({'group_metadata': {'external_id': 'e2'}}, current)
    assert after['group_metadata'] == {'distinguished_name': 'CN=x', 'external_id': 'e2'}


def test_predict_keeps_the_appliance_spelling_of_an_existing_group():
    api = offline_api()
    desired = {'state': 'present', 'display_name': 'LCM-ADMINS', 'domain': 'EXAMPLE.com', 'mapped_roles': ['LCM Admin']}
    after = api.predict(desired, CURRENT)
    assert (after['display_name'], after['domain'], after['vmid']) == ('lcm-admins', 'example.com', 'group-1')
    created = api.predict({'state': 'present', 'display_name': 'new', 'domain': 'example.com'})
    assert created == {'display_name': 'new', 'domain': 'example.com', 'mapped_roles': []}


def test_body_sends_vmids_and_camel_case_and_no_read_only_field():
    api = offline_api()
    mapping = dict(CURRENT, group_type='ALL_USERS', provider_identifier='idp-1',
                   group_metadata={'distinguished_name': 'CN=x', 'additional_meta': ['a']})
    assert api.body(mapping) == {'displayName': 'lcm-admins', 'domain': 'example.com', 'mappedRoles': [CERTIFICATES, ADMIN],
                                 'groupType': 'ALL_USERS', 'isDisabled': False, 'providerIdentifier': 'idp-1',
                                 'groupMetadata': {'distinguishedName': 'CN=x', 'additionalMeta': ['a']}}


def test_roles_are_read_once(scripted):
    api, transport = api_with([(200, ROLES)], scripted, roles=False)
    desired = [api.validate({'display_name': name, 'domain': 'example.com', 'mapped_roles': ['LCM Admin']}, None)
               for name in ('a', 'b')]
    # Local checks of every item come first; the roles are read once, when the names are resolved.
    assert transport.sent == []
    api.resolve(desired, [None, None])
    assert [d['mapped_roles'] for d in desired] == [['LCM Admin'], ['LCM Admin']]
    assert [r.url for r in transport.sent] == ['https://lcm.example.test/lcm/authzn/api/v2/roles/external']


def test_list_reads_the_v1_list_and_tolerates_an_envelope(scripted):
    api, transport = api_with([(200, [RAW]), (200, {'content': [RAW]}), (200, [RAW])], scripted)
    one = {'display_name': 'lcm-admins', 'domain': 'example.com'}
    assert api.list_current() == [CURRENT]
    assert api.list_current([one, dict(one, display_name='b')]) == [CURRENT]
    # With purge every group is in scope, even for one desired item.
    assert api.list_current([one], purge=True) == [CURRENT]
    assert {r.url for r in transport.sent} == {'https://lcm.example.test/lcm/authzn/api/groups'}


LOOK_UP = 'https://lcm.example.test/lcm/authzn/api/v2/groups/name/'
MISSING = (404, {'errorCode': 'LCM_NOT_FOUND', 'message': 'none'})


@pytest.mark.parametrize('missing', [MISSING, (200, [])])
def test_one_group_is_looked_up_by_name_and_404_means_none(scripted, missing):
    api, transport = api_with([missing, missing], scripted)
    assert api.list_current([{'display_name': 'a b/c', 'domain': 'example.com'}]) == []
    assert [r.url for r in transport.sent] == [LOOK_UP + 'a%20b%2Fc', LOOK_UP + 'a%20b%2Fc%40example.com']


@pytest.mark.parametrize('written, first, other', [
    ('lcm-admins', 'lcm-admins', 'lcm-admins%40example.com'),
    ('lcm-admins@example.com', 'lcm-admins%40example.com', 'lcm-admins'),
])
@pytest.mark.parametrize('miss', [MISSING, (200, []), (200, [dict(RAW, domain='other.com')])],
                         ids=['404', 'empty', 'another-domain'])
def test_a_look_up_that_misses_asks_for_the_other_spelling_once(scripted, written, first, other, miss):
    api, transport = api_with([miss, (200, [dict(RAW, displayName='lcm-admins@example.com')])], scripted)
    current = api.list_current([{'display_name': written, 'domain': 'example.com'}])
    assert CURRENT in current
    assert [r.url for r in transport.sent] == [LOOK_UP + first, LOOK_UP + other]


def test_a_look_up_that_finds_the_group_asks_nothing_more(scripted):
    api, transport = api_with([(200, [RAW])], scripted)
    assert api.list_current([{'display_name': 'LCM-Admins', 'domain': 'example.com'}]) == [CURRENT]
    assert len(transport.sent) == 1


def test_create_answered_200_without_a_body_reads_the_group_again(scripted):
    api, transport = api_with([(200, None), (200, [dict(RAW, domain='other.com'), RAW])], scripted)
    result = api.create({'state': 'present', 'display_name': 'lcm-admins', 'domain': 'example.com',
                         'mapped_roles': ['Certificate Administrator', 'LCM Admin']})
    assert result == CURRENT
    assert [r.method for r in transport.sent] == ['POST', 'GET']
    assert transport.sent[0].body == (b'{"displayName": "lcm-admins", "domain": "example.com", '
                                      b'"mappedRoles": ["vmid-certificates-0002", "vmid-admin-0001"]}')


def test_create_answered_201_uses_the_answer(scripted):
    api, transport = api_with([(201, RAW)], scripted)
    assert api.create({'display_name': 'lcm-admins', 'domain': 'example.com', 'mapped_roles': ['LCM Admin']}) == CURRENT
    assert len(transport.sent) == 1


def test_an_accepted_write_that_cannot_be_found_afterwards_is_an_error(scripted):
    api, transport = api_with([(200, None), MISSING, MISSING], scripted)
    with pytest.raises(ApiError, match='cannot be found afterwards'):
        api.create({'display_name': 'lcm-admins', 'domain': 'example.com'})
    assert [r.method for r in transport.sent] == ['POST', 'GET', 'GET']  # both spellings asked


def test_update_sends_the_complete_role_set_and_reads_again_after_204(scripted):
    updated = dict(RAW, roleMappings=[dict(ROLES[2])])
    api, transport = api_with([(204, None), (200, [updated])], scripted)
    desired = {'display_name': 'LCM-Admins', 'domain': 'example.com', 'mapped_roles': ['Content Developer']}
    result = api.update(CURRENT, desired, {'mapped_roles': ['Content Developer']})
    assert result['mapped_roles'] == ['Content Developer']
    assert transport.sent[0].method == 'PATCH'
    assert transport.sent[0].url.endswith('/lcm/authzn/api/v2/groups/group-1')
    assert transport.sent[0].body == (b'{"displayName": "lcm-admins", "domain": "example.com", '
                                      b'"mappedRoles": ["vmid-dev-0003"], "isDisabled": false}')


def test_lost_create_answer_finds_the_group_instead_of_resending(scripted):
    api, transport = api_with([requests.exceptions.ConnectionError('Connection aborted.'), (200, [RAW])], scripted)
    assert api.create({'display_name': 'lcm-admins', 'domain': 'example.com', 'mapped_roles': ['LCM Admin']}) == CURRENT
    assert [r.method for r in transport.sent] == ['POST', 'GET']


def test_delete_of_a_group_already_gone_succeeds(scripted):
    api, transport = api_with([(404, {'errorCode': 'LCM_NOT_FOUND', 'message': 'gone'})], scripted)
    api.delete(CURRENT)
    assert transport.sent[0].method == 'DELETE'


def test_vendor_errors_and_bodiless_401_403_are_explained(scripted):
    api, _transport = api_with([(400, {'errorCode': 'LCM_X', 'errorLabel': 'Bad!', 'message': 'Role x does not exist',
                                       'recommendations': ['Use vmids.']}), (401, None), (403, None)], scripted)
    desired = {'display_name': 'a', 'domain': 'example.com'}
    with pytest.raises(ApiError) as caught:
        api.create(desired)
    assert 'HTTP 400 LCM_X: Role x does not exist (recommendations: Use vmids).' in str(caught.value)
    with pytest.raises(ApiError, match='HTTP 401: the user name or password was not accepted'):
        api.create(desired)
    with pytest.raises(ApiError, match='HTTP 403: the user is valid but lacks'):
        api.create(desired)


@pytest.mark.parametrize('raw, bare', [
    ('eng@example.com', 'eng'),
    ('Eng@EXAMPLE.com', 'Eng'),
    ('eng', 'eng'),
    ('eng@other.org', 'eng@other.org'),     # another domain after the @ is part of the name
    ('@example.com', '@example.com'),        # nothing would be left
    ('eng@example.com.au', 'eng@example.com.au'),
])
def test_a_display_name_read_back_with_its_domain_is_the_bare_name(raw, bare):
    assert _aria.bare_name(raw, 'example.com') == bare


def test_a_name_at_domain_read_back_is_the_group_the_user_named_and_an_update_sends_it_back_as_read(scripted):
    api = offline_api()
    current = api.normalise(dict(RAW, displayName='lcm-admins@example.com'))
    assert current == CURRENT  # shown as the user writes it
    for written in ('lcm-admins', 'LCM-Admins@example.com'):
        desired = api.validate({'display_name': written, 'domain': 'example.com'}, None)
        assert api.identity(desired) in api.identities(current)
    other = api.normalise(dict(RAW, vmid='group-2', displayName='lcm-admins@other.org'))
    assert other['display_name'] == 'lcm-admins@other.org'
    assert api.identities(other) != api.identities(current)
    # An update sends the name as the appliance wrote it: it never renames the group.
    assert api.body(api.predict({'display_name': 'lcm-admins', 'domain': 'example.com', 'mapped_roles': []}, current))[
        'displayName'] == 'lcm-admins@example.com'


NOT_SERVED = (404, None)


@pytest.mark.parametrize('read', ['roles', 'list', 'look-up'])
def test_a_404_on_the_roles_or_groups_list_says_vcf_9_1_retired_the_api(scripted, read):
    api, transport = api_with([NOT_SERVED, NOT_SERVED], scripted, roles=False)
    with pytest.raises(ApiError) as caught:
        if read == 'roles':
            api.roles()
        elif read == 'list':
            api.list_current()
        else:  # the look-up by name answers 404 for a missing group too: the roles list tells which it is
            api.list_current([{'display_name': 'a', 'domain': 'example.com'}])
    url = transport.sent[-1].url
    assert url in ('https://lcm.example.test/lcm/authzn/api/v2/roles/external',
                   'https://lcm.example.test/lcm/authzn/api/groups')
    message = str(caught.value)
    for part in ('HTTP 404', url + ' answered 404', 'VCF 9.1 retired it', 'KB 424807'):
        assert part in message
    assert all(r.method == 'GET' for r in transport.sent)
