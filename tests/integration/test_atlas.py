# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Atlas role mapping modules, run by real ansible-playbook processes against the emulator."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from unittest import mock

import pytest

from emulator.client import start_emulator

SET = 'sso.mappings.atlas_role_mappings'
ONE = 'sso.mappings.atlas_role_mapping'
INFO = 'sso.mappings.atlas_role_mapping_info'
TOKEN_PATH = '/api/oauth/token'
VERSIONED = 'application/vnd.atlas.2023-01-01+json'
CREATE = 'createFederationSettingConnectedOrgConfigRoleMapping'
LIST = 'listFederationSettingConnectedOrgConfigRoleMappings'
DISCOVER = 'getOrgFederationSettings'

# The emulator's default Atlas credentials (see tests/emulator/README.md).
CLIENT_ID = 'mdb_sa_id_emulator'
CLIENT_SECRET = 'mdb_sa_sk_emulator'
PUBLIC_KEY = 'EMULATORPUB'
PRIVATE_KEY = 'emulator-private-key'
ACCESS_TOKEN = 'emulator-atlas-token'

PROJECT_A = '6a1b2c3d4e5f60718293a4b5'
PROJECT_B = '6a1b2c3d4e5f60718293a4b6'


@pytest.fixture
def atlas_state(emulator):
    """The emulator's Atlas scope: org_id and federation_settings_id (and the role mappings)."""
    return emulator.client.state('atlas')


@pytest.fixture
def atlas_connection(emulator, atlas_state):
    """Options for the Atlas modules that reach the emulator over HTTPS with its service account."""
    return {'base_url': emulator.https, 'ca_path': emulator.ca_file, 'client_id': CLIENT_ID,
            'client_secret': CLIENT_SECRET, 'org_id': atlas_state['org_id'],
            'federation_settings_id': atlas_state['federation_settings_id']}


def mapping(name, *projects, org_role='ORG_MEMBER'):
    """A mapping with one organization role and GROUP_READ_ONLY on each project given."""
    assignments = [{'role': org_role}] + [{'role': 'GROUP_READ_ONLY', 'project_id': p} for p in projects]
    return {'external_group_name': name, 'role_assignments': assignments}


def api_mapping(org_id, name, *projects, org_role='ORG_MEMBER'):
    """The same mapping in API shape, for seeding."""
    assignments = [{'role': org_role, 'orgId': org_id}] + [{'role': 'GROUP_READ_ONLY', 'groupId': p} for p in projects]
    return {'externalGroupName': name, 'roleAssignments': assignments}


def task(module, name='task', **options):
    return {'name': name, module: options, 'register': 'out'}


def names(emulator):
    return sorted(m['externalGroupName'] for m in emulator.client.state('atlas')['role_mappings'])


def stored(emulator):
    return {m['externalGroupName']: m for m in emulator.client.state('atlas')['role_mappings']}


def token_requests(requests):
    return [r for r in requests if r['path'] == TOKEN_PATH]


def api_requests(requests):
    return [r for r in requests if r['path'] != TOKEN_PATH]


def module_runs(requests):
    """The request log split per module run: a run with a service account starts with its token request."""
    runs = []
    for request in requests:
        if request['path'] == TOKEN_PATH or not runs:
            runs.append([])
        runs[-1].append(request)
    return runs


def writes_of(requests):
    return [r for r in requests if r['method'] != 'GET' and r['path'] != TOKEN_PATH]


def api_writes(emulator):
    """Writes to the API proper: the token request is a POST but changes nothing."""
    return [r for r in emulator.client.writes() if r['path'] != TOKEN_PATH]


def test_create_then_second_run_changes_nothing_and_writes_nothing(ansible, emulator, atlas_connection):
    org = atlas_connection['org_id']
    desired = [mapping('engineering', PROJECT_A), mapping('admins', org_role='ORG_OWNER')]
    run = ansible.run([task(SET, name='first', mappings=desired, **atlas_connection),
                       task(SET, name='second', mappings=desired, **atlas_connection)]).assert_ok()
    result = run.task('first')
    assert result['changed'] is True
    assert result['summary'] == {'created': 2, 'updated': 0, 'deleted': 0, 'unchanged': 0}
    assert [c['key'] for c in result['changes']] == ['admins', 'engineering']
    assert names(emulator) == ['admins', 'engineering']
    assert stored(emulator)['engineering']['roleAssignments'] == [
        {'role': 'GROUP_READ_ONLY', 'groupId': PROJECT_A}, {'role': 'ORG_MEMBER', 'orgId': org}]
    returned = {m['external_group_name']: m for m in result['mappings']}
    assert returned['engineering'] == {
        'id': stored(emulator)['engineering']['id'], 'external_group_name': 'engineering',
        'role_assignments': [{'role': 'GROUP_READ_ONLY', 'project_id': PROJECT_A}, {'role': 'ORG_MEMBER', 'org_id': org}]}

    second = run.task('second')
    assert second['changed'] is False
    assert second['summary'] == {'created': 0, 'updated': 0, 'deleted': 0, 'unchanged': 2}
    first_run, second_run = module_runs(emulator.client.requests())
    assert len(writes_of(first_run)) == 2 and writes_of(second_run) == []


def test_check_mode_plans_everything_and_writes_nothing(ansible, emulator, atlas_connection):
    org = atlas_connection['org_id']
    emulator.client.seed('atlas', role_mappings=[api_mapping(org, 'stale'), api_mapping(org, 'keep', PROJECT_B)])
    desired = [mapping('keep', PROJECT_A), mapping('new')]
    run = ansible.run([dict(task(SET, name='plan', mappings=desired, purge=True, **atlas_connection), check_mode=True),
                       task(SET, name='apply', mappings=desired, purge=True, **atlas_connection)], diff=True).assert_ok()
    plan = run.task('plan')
    assert plan['changed'] is True
    assert sorted((c['action'], c['key']) for c in plan['changes']) == [
        ('create', 'new'), ('delete', 'stale'), ('update', 'keep')]
    planned, applied_requests = module_runs(emulator.client.requests())
    assert writes_of(planned) == []
    assert sorted(w['method'] for w in writes_of(applied_requests)) == ['DELETE', 'POST', 'PUT']

    applied = run.task('apply')
    assert applied['changed'] is True
    assert applied['summary'] == plan['summary'] == {'created': 1, 'updated': 1, 'deleted': 1, 'unchanged': 0}
    assert applied['changes'] == plan['changes']
    assert applied['diff'] == plan['diff']
    assert names(emulator) == ['keep', 'new']


@pytest.mark.parametrize('check', [True, False], ids=['check-mode', 'real-run'])
def test_diff_is_the_mapping_itself_before_and_after(ansible, emulator, atlas_connection, check):
    org = atlas_connection['org_id']
    seeded = emulator.client.seed('atlas', role_mappings=[api_mapping(org, 'eng', PROJECT_A)])['role_mappings'][0]
    run = ansible.run([task(ONE, name='update', **dict(mapping('eng', PROJECT_B), **atlas_connection)),
                       task(ONE, name='create', **dict(mapping('new'), **atlas_connection)),
                       task(ONE, name='unchanged', **dict(mapping('eng', PROJECT_B), **atlas_connection))],
                      diff=True, check=check).assert_ok()
    before = {'id': seeded['id'], 'external_group_name': 'eng', 'role_assignments': [
        {'role': 'GROUP_READ_ONLY', 'project_id': PROJECT_A}, {'role': 'ORG_MEMBER', 'org_id': org}]}
    after = dict(before, role_assignments=[{'role': 'GROUP_READ_ONLY', 'project_id': PROJECT_B},
                                           {'role': 'ORG_MEMBER', 'org_id': org}])
    assert run.task('update')['diff'] == {'before': before, 'after': after}
    assert run.task('create')['diff'] == {'before': {}, 'after': {
        'external_group_name': 'new', 'role_assignments': [{'role': 'ORG_MEMBER', 'org_id': org}]}}
    if check:  # nothing was written, so the same task plans the same update again
        assert run.task('unchanged')['diff'] == run.task('update')['diff']
    else:
        assert run.task('unchanged')['diff'] == {'before': after, 'after': after}
    assert PROJECT_B in run.stdout


def test_update_puts_the_whole_mapping(ansible, emulator, atlas_connection):
    org = atlas_connection['org_id']
    seeded = emulator.client.seed('atlas', role_mappings=[api_mapping(org, 'eng', PROJECT_A)])['role_mappings'][0]
    run = ansible.run([task(ONE, **dict(mapping('eng', PROJECT_A, PROJECT_B), **atlas_connection))]).assert_ok()
    result = run.task('task')
    assert result['changed'] is True and result['changes'][0]['action'] == 'update'
    assert result['mapping']['id'] == seeded['id']
    writes = api_writes(emulator)
    assert [(w['method'], w['operation']) for w in writes] == [('PUT', 'updateFederationSettingConnectedOrgConfigRoleMapping')]
    assert writes[0]['path'].endswith('/roleMappings/' + seeded['id'])
    assert writes[0]['body'] == {'externalGroupName': 'eng', 'roleAssignments': [
        {'role': 'GROUP_READ_ONLY', 'groupId': PROJECT_A}, {'role': 'GROUP_READ_ONLY', 'groupId': PROJECT_B},
        {'role': 'ORG_MEMBER', 'orgId': org}]}
    assert stored(emulator)['eng']['roleAssignments'] == writes[0]['body']['roleAssignments']


def test_absent_twice(ansible, emulator, atlas_connection):
    org = atlas_connection['org_id']
    emulator.client.seed('atlas', role_mappings=[api_mapping(org, 'gone'), api_mapping(org, 'stays')])
    absent = dict(external_group_name='gone', state='absent', **atlas_connection)
    run = ansible.run([task(ONE, name='first', **absent), task(ONE, name='second', **absent)]).assert_ok()
    assert run.task('first')['changed'] is True
    assert run.task('first')['mapping'] == {}
    assert run.task('second')['changed'] is False
    assert names(emulator) == ['stays']
    first_run, second_run = module_runs(emulator.client.requests())
    assert [w['method'] for w in writes_of(first_run)] == ['DELETE'] and writes_of(second_run) == []


def test_purge_deletes_exactly_the_unlisted(ansible, emulator, atlas_connection):
    org = atlas_connection['org_id']
    emulator.client.seed('atlas', role_mappings=[api_mapping(org, n) for n in ('a', 'b', 'c', 'd')])
    run = ansible.run([task(SET, mappings=[mapping('a'), mapping('c'), mapping('e')], purge=True,
                            **atlas_connection)]).assert_ok()
    result = run.task('task')
    assert sorted((c['action'], c['key']) for c in result['changes']) == [('create', 'e'), ('delete', 'b'), ('delete', 'd')]
    assert names(emulator) == ['a', 'c', 'e']
    assert [m['external_group_name'] for m in result['mappings']] == ['a', 'c', 'e']
    assert sorted(w['method'] for w in api_writes(emulator)) == ['DELETE', 'DELETE', 'POST']


def test_an_assignment_without_a_role_is_shown_and_replaced(ansible, emulator, atlas_connection):
    """Atlas can answer an assignment without its role (terraform-provider-mongodbatlas changelog 4233)."""
    org = atlas_connection['org_id']
    seeded = api_mapping(org, 'eng')
    seeded['roleAssignments'].append({'groupId': PROJECT_A})
    emulator.client.seed('atlas', role_mappings=[seeded])
    run = ansible.run([
        {'name': 'info', INFO: dict(atlas_connection), 'register': 'info'},
        task(SET, name='apply', mappings=[mapping('eng', PROJECT_A)], **atlas_connection),
        task(SET, name='again', mappings=[mapping('eng', PROJECT_A)], **atlas_connection),
    ], diff=True).assert_ok()
    assert run.task('info')['mappings'][0]['role_assignments'] == [{'project_id': PROJECT_A},
                                                                   {'role': 'ORG_MEMBER', 'org_id': org}]
    applied = run.task('apply')
    assert applied['summary']['updated'] == 1
    assert applied['changes'][0]['before']['role_assignments'] == run.task('info')['mappings'][0]['role_assignments']
    assert run.task('again')['changed'] is False
    assert sorted(stored(emulator)['eng']['roleAssignments'], key=lambda a: a['role']) == [
        {'role': 'GROUP_READ_ONLY', 'groupId': PROJECT_A}, {'role': 'ORG_MEMBER', 'orgId': org}]


@pytest.mark.parametrize('null_ids', [False, True], ids=['ids-absent', 'ids-null'])
def test_info_output_fed_back_changes_nothing(ansible, emulator, atlas_connection, null_ids):
    org = atlas_connection['org_id']
    emulator.client.config(atlas={'null_ids': null_ids})
    emulator.client.seed('atlas', role_mappings=[api_mapping(org, 'a', PROJECT_A, PROJECT_B), api_mapping(org, 'b')])
    run = ansible.run([
        {'name': 'info', INFO: dict(atlas_connection), 'register': 'info'},
        {'name': 'back', SET: dict(atlas_connection, mappings='{{ info.mappings }}', purge=True)},
        {'name': 'one', INFO: dict(atlas_connection, external_group_name='b')},
    ]).assert_ok()
    assert [m['external_group_name'] for m in run.task('info')['mappings']] == ['a', 'b']
    assert run.task('info')['mappings'][0]['role_assignments'] == [
        {'role': 'GROUP_READ_ONLY', 'project_id': PROJECT_A}, {'role': 'GROUP_READ_ONLY', 'project_id': PROJECT_B},
        {'role': 'ORG_MEMBER', 'org_id': org}]
    assert run.task('back')['changed'] is False
    assert [m['external_group_name'] for m in run.task('one')['mappings']] == ['b']
    assert api_writes(emulator) == []


def test_429_and_5xx_are_survived(ansible, emulator, atlas_connection):
    emulator.client.fault({'type': 'status', 'status': 429, 'retry_after': 1}, match={'operation': LIST}, count=1)
    emulator.client.fault({'type': 'status', 'status': 503}, match={'operation': CREATE}, count=2)
    emulator.client.fault({'type': 'status', 'status': 500}, match={'operation': CREATE}, count=1)
    run = ansible.run([task(SET, mappings=[mapping('a'), mapping('b')], **atlas_connection)]).assert_ok()
    assert run.task('task')['summary']['created'] == 2
    assert names(emulator) == ['a', 'b']
    faulted = [r for r in emulator.client.requests() if r['status'] in (429, 500, 503)]
    assert len(faulted) == 4
    assert all(r['fault'] for r in faulted)


def test_a_lost_create_answer_leaves_exactly_one_mapping(ansible, emulator, atlas_connection):
    emulator.client.fault({'type': 'drop_after_apply'}, match={'operation': CREATE}, count=1)
    run = ansible.run([task(SET, name='first', mappings=[mapping('only-once')], **atlas_connection),
                       task(SET, name='again', mappings=[mapping('only-once')], **atlas_connection)]).assert_ok()
    assert names(emulator) == ['only-once']
    posts = [w for w in api_writes(emulator) if w['method'] == 'POST']
    assert len(posts) == 1 and posts[0]['fault'] == 'drop_after_apply'
    assert run.task('first')['changed'] is True
    assert run.task('first')['mappings'][0]['id'] == stored(emulator)['only-once']['id']
    assert run.task('again')['changed'] is False


@pytest.mark.parametrize('status', [400, 409])
def test_a_taken_group_name_is_not_retried_and_the_message_names_everything(ansible, emulator, atlas_connection,
                                                                            status):
    """Atlas answers a duplicate externalGroupName with 400 DUPLICATE_ROLE_MAPPING; 409 is read the same way."""
    emulator.client.fault({'type': 'status', 'status': status, 'code': 'DUPLICATE_ROLE_MAPPING',
                           'message': 'A role mapping for this group already exists'},
                          match={'operation': CREATE, 'body_contains': '"dup"'})
    run = ansible.run([dict(task(ONE, name='conflict', **dict(mapping('dup'), **atlas_connection)),
                            ignore_errors=True)]).assert_ok()
    assert [(w['method'], w['status']) for w in api_writes(emulator)] == [('POST', status)]
    conflict = run.task('conflict')
    assert conflict['failed']
    for part in ('Atlas', "create role mapping 'dup'", 'HTTP %d' % status, 'DUPLICATE_ROLE_MAPPING',
                 'A role mapping for this group already exists', "A role mapping for 'dup' exists already",
                 'run the task again'):
        assert part in conflict['msg']


def test_a_misspelt_role_fails_before_any_request_and_lists_the_valid_roles(ansible, emulator, atlas_connection):
    run = ansible.run([
        dict(task(SET, name='typo', mappings=[mapping('ok'), mapping('bad', org_role='ORG_OWNR')], **atlas_connection),
             ignore_errors=True),
        dict(task(ONE, name='project typo', external_group_name='bad', role_assignments=[
            {'role': 'ORG_MEMBER'}, {'roles': ['GROUP_READ_ONLY', 'GROUP_READONLY'], 'project_id': PROJECT_A}],
            **atlas_connection), ignore_errors=True),
    ]).assert_ok()
    typo = run.task('typo')
    assert typo['failed']
    for part in ('Atlas: mappings[1] (bad)', "unknown role 'ORG_OWNR'", 'did you mean ORG_OWNER?', 'ORG_MEMBER',
                 'GROUP_OBSERVABILITY_VIEWER'):
        assert part in typo['msg']
    assert "unknown role 'GROUP_READONLY' (did you mean GROUP_READ_ONLY?)" in run.task('project typo')['msg']
    assert emulator.client.requests() == []


def test_the_emulator_refuses_an_unknown_role_as_atlas_did(emulator, atlas_state):
    """An unknown role once got a 500 (terraform-provider-mongodbatlas #920); 400 is the other reading."""
    body = {'externalGroupName': 'x', 'roleAssignments': [{'role': 'ORG_TYPO', 'orgId': atlas_state['org_id']}]}
    path = '/api/atlas/v2/federationSettings/%s/connectedOrgConfigs/%s/roleMappings' % (
        atlas_state['federation_settings_id'], atlas_state['org_id'])
    answers = []
    for status in (500, 400):
        emulator.client.config(atlas={'invalid_role_status': status})
        answers.append(atlas_call(emulator.http, 'POST', path, body))
    assert [(code, data['errorCode']) for code, data in answers] == [(500, 'UNEXPECTED_ERROR'), (400, 'INVALID_ATTRIBUTE')]
    duplicate = dict(body, roleAssignments=[{'role': 'ORG_MEMBER', 'orgId': atlas_state['org_id']}])
    assert atlas_call(emulator.http, 'POST', path, duplicate)[0] == 200
    assert atlas_call(emulator.http, 'POST', path, duplicate) == (400, mock.ANY)
    assert atlas_call(emulator.http, 'POST', path, duplicate)[1]['errorCode'] == 'DUPLICATE_ROLE_MAPPING'


# A project role Atlas added after the collection's release: the emulator accepts it only when told (added_roles).
NEW_ROLE = 'GROUP_FLEET_VIEWER'


def with_new_role(name):
    return {'external_group_name': name, 'role_assignments': [
        {'role': 'ORG_MEMBER'}, {'roles': ['GROUP_READ_ONLY', NEW_ROLE], 'project_id': PROJECT_A}]}


def test_a_role_outside_the_list_fails_before_any_request_unless_allowed_then_is_sent_with_a_warning(
        ansible, emulator, atlas_connection):
    emulator.client.config(atlas={'added_roles': [NEW_ROLE]})
    run = ansible.run([
        dict(task(SET, name='refused', mappings=[mapping('ok'), with_new_role('fleet')], **atlas_connection),
             ignore_errors=True),
        task(SET, name='allowed', mappings=[mapping('ok'), with_new_role('fleet')], allow_unknown_roles=True,
             **atlas_connection),
        task(ONE, name='again', allow_unknown_roles=True, **dict(with_new_role('fleet'), **atlas_connection)),
    ]).assert_ok()
    refused = run.task('refused')
    assert refused['failed']
    for part in ('Atlas: mappings[1] (fleet)', "unknown role '%s'" % NEW_ROLE, 'allow_unknown_roles'):
        assert part in refused['msg']
    # The refused run sent nothing at all (not even a token request): two runs reached the API.
    allowed_run, again_run = module_runs(emulator.client.requests())

    allowed = run.task('allowed')
    assert allowed['summary']['created'] == 2
    warnings = [w for w in allowed['warnings'] if NEW_ROLE in w]
    assert len(warnings) == 1 and 'mappings[1] (fleet)' in warnings[0] and 'the closest is GROUP_' in warnings[0]
    assert 'allow_unknown_roles is true' in warnings[0]
    post = [w for w in writes_of(allowed_run) if w['body']['externalGroupName'] == 'fleet']
    assert {'role': NEW_ROLE, 'groupId': PROJECT_A} in post[0]['body']['roleAssignments']
    assert {'role': NEW_ROLE, 'groupId': PROJECT_A} in stored(emulator)['fleet']['roleAssignments']
    assert {'role': NEW_ROLE, 'project_id': PROJECT_A} in run.task('again')['mapping']['role_assignments']
    assert run.task('again')['changed'] is False and writes_of(again_run) == []
    assert any(NEW_ROLE in w for w in run.task('again')['warnings'])


@pytest.mark.parametrize('status', [500, 400])
def test_atlas_refusing_an_allowed_role_fails_that_mapping_alone_sent_once_and_named(
        ansible, emulator, atlas_connection, status):
    """Atlas has answered a role it does not accept with 500 UNEXPECTED_ERROR (#920) and 400 INVALID_ATTRIBUTE
    (#1110): either way the mapping fails alone, at once, and the message names the role."""
    emulator.client.config(atlas={'invalid_role_status': status})
    run = ansible.run([dict(task(SET, name='set', mappings=[mapping('a'), with_new_role('fleet'), mapping('b')],
                                 allow_unknown_roles=True, **atlas_connection), ignore_errors=True)]).assert_ok()
    result = run.task('set')
    assert result['failed']
    code = {500: 'UNEXPECTED_ERROR', 400: 'INVALID_ATTRIBUTE'}[status]
    assert [(f['key'], f['status'], f['error_code'], f['attempts']) for f in result['failures']] == [
        ('fleet', status, code, 1)]
    for part in ("create role mapping 'fleet'", 'HTTP %d %s' % (status, code), NEW_ROLE, 'allow_unknown_roles',
                 '1 of 3 changes failed (2 applied)'):
        assert part in result['msg']
    assert any(NEW_ROLE in w for w in result['warnings'])
    assert names(emulator) == ['a', 'b']
    posts = [w for w in api_writes(emulator) if w['body']['externalGroupName'] == 'fleet']
    assert [p['status'] for p in posts] == [status]  # not retried, not looked up


def test_the_role_variable_allows_unknown_roles(ansible, emulator):
    from integration.playbook_support import ATLAS_HOST, inventory

    emulator.client.config(atlas={'added_roles': [NEW_ROLE]})
    play = [{'hosts': 'atlas', 'gather_facts': False, 'roles': ['sso.mappings.atlas']}]
    desired = {ATLAS_HOST: {'atlas_role_mappings': [with_new_role('fleet')]}}
    refused = ansible.run(playbook=play, inventory=inventory(emulator, desired))
    assert refused.rc != 0 and "unknown role '%s'" % NEW_ROLE in refused.stdout
    assert api_writes(emulator) == []
    allowed = ansible.run(playbook=play, inventory=inventory(emulator, desired, **{
        ATLAS_HOST: {'atlas_allow_unknown_roles': True}})).assert_ok()
    output = allowed.stdout + allowed.stderr
    assert '[WARNING]' in output and "role '%s' is not among the Atlas roles" % NEW_ROLE in output
    assert names(emulator) == ['fleet']


def atlas_call(base_url, method, path, body):
    """One request with the emulator's access token and the versioned media type: (status, parsed body)."""
    headers = {'Authorization': 'Bearer ' + ACCESS_TOKEN, 'Accept': VERSIONED, 'Content-Type': VERSIONED}
    request = urllib.request.Request(base_url + path, data=json.dumps(body).encode(), method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b'null')
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b'null')


def test_credentials_from_environment_variables(ansible, emulator, atlas_state):
    base = {'MONGODB_ATLAS_BASE_URL': emulator.http, 'MONGODB_ATLAS_ORG_ID': atlas_state['org_id']}
    bad_digest = {'MONGODB_ATLAS_PUBLIC_KEY': PUBLIC_KEY, 'MONGODB_ATLAS_PRIVATE_KEY': 'not-the-key'}
    tasks = [
        dict(task(SET, name='service account', mappings=[mapping('from-env')]),
             environment=dict(base, MONGODB_ATLAS_CLIENT_ID=CLIENT_ID, MONGODB_ATLAS_CLIENT_SECRET=CLIENT_SECRET)),
        dict(task(INFO, name='key fallback'),
             environment=dict(base, MONGODB_ATLAS_PUBLIC_KEY=PUBLIC_KEY, MONGODB_ATLAS_PRIVATE_KEY=PRIVATE_KEY)),
        # MONGODB_ATLAS_PUBLIC_API_KEY / _PRIVATE_API_KEY come first; the fallbacks are wrong here.
        dict(task(INFO, name='key preferred'),
             environment=dict(base, MONGODB_ATLAS_PUBLIC_API_KEY=PUBLIC_KEY, MONGODB_ATLAS_PRIVATE_API_KEY=PRIVATE_KEY,
                              **bad_digest)),
        dict(task(INFO, name='token'), environment=dict(base, MONGODB_ATLAS_ACCESS_TOKEN=ACCESS_TOKEN)),
        # An explicit option beats the environment.
        dict(task(INFO, name='explicit', public_key=PUBLIC_KEY, private_key=PRIVATE_KEY), environment=dict(base, **bad_digest)),
    ]
    run = ansible.run(tasks).assert_ok()
    assert run.task('service account')['changed'] is True
    for name in ('key fallback', 'key preferred', 'token', 'explicit'):
        assert [m['external_group_name'] for m in run.task(name)['mappings']] == ['from-env'], name
    schemes = [r['headers'].get('authorization') for r in api_requests(emulator.client.requests()) if r['status'] == 200]
    assert set(schemes) == {'Bearer', 'Digest'}
    assert len(token_requests(emulator.client.requests())) == 1


def test_module_defaults_for_the_action_group(ansible, emulator, atlas_connection):
    run = ansible.run([task(SET, mappings=[mapping('a')]), task(ONE, name='one', **mapping('a')), task(INFO, name='info')],
                      module_defaults={'group/sso.mappings.atlas': atlas_connection}).assert_ok()
    assert run.task('task')['changed'] is True
    assert run.task('one')['changed'] is False
    assert len(run.task('info')['mappings']) == 1


def test_one_token_request_per_run_for_fifty_mappings(ansible, emulator, atlas_connection):
    desired = [mapping('group-%02d' % n, PROJECT_A) for n in range(50)]
    run = ansible.run([task(SET, mappings=desired, **atlas_connection)]).assert_ok()
    assert run.task('task')['summary']['created'] == 50
    requests = emulator.client.requests()
    assert len(token_requests(requests)) == 1
    assert len([r for r in requests if r['operation'] == CREATE and r['status'] == 200]) == 50
    assert all(r['headers'].get('authorization') == 'Bearer' for r in api_requests(requests))
    assert len(names(emulator)) == 50


def test_an_expired_token_is_refreshed_once_and_the_run_goes_on(ansible, emulator, atlas_connection):
    # Every issued token expires right after the list, so the first write is answered 401.
    emulator.client.config(atlas={'expire_tokens_after_requests': 1})
    run = ansible.run([task(SET, mappings=[mapping('a'), mapping('b'), mapping('c')], **atlas_connection)]).assert_ok()
    assert run.task('task')['summary']['created'] == 3
    assert names(emulator) == ['a', 'b', 'c']
    requests = emulator.client.requests()
    assert len(token_requests(requests)) == 2
    rejected = [r for r in requests if r['status'] == 401]
    assert rejected and all(r['operation'] == CREATE for r in rejected)
    assert len([r for r in requests if r['operation'] == CREATE and r['status'] == 200]) == 3


def test_http_digest_authentication(ansible, emulator, atlas_connection):
    digest = dict(atlas_connection, public_key=PUBLIC_KEY, private_key=PRIVATE_KEY)
    del digest['client_id'], digest['client_secret']
    run = ansible.run([
        task(SET, mappings=[mapping('a'), mapping('b', PROJECT_A)], **digest),
        dict(task(INFO, name='wrong key', **dict(digest, private_key='not-the-key')), ignore_errors=True),
    ]).assert_ok()
    assert run.task('task')['summary']['created'] == 2
    assert names(emulator) == ['a', 'b']
    wrong = run.task('wrong key')
    assert wrong['failed'] and 'HTTP 401' in wrong['msg'] and 'list role mappings' in wrong['msg']
    requests = emulator.client.requests()
    assert token_requests(requests) == []
    # Each connection is challenged once; after that requests carry Digest credentials.
    assert {r['headers'].get('authorization') for r in requests if r['status'] == 200} == {'Digest'}
    challenged = [r for r in requests if r['status'] == 401 and 'authorization' not in r['headers']]
    assert challenged


def test_federation_settings_are_discovered_only_when_omitted(ansible, emulator, atlas_connection):
    discovered = dict(atlas_connection)
    del discovered['federation_settings_id']
    run = ansible.run([
        task(SET, name='discovered', mappings=[mapping('a')], **discovered),
        task(SET, name='given', mappings=[mapping('a')], **atlas_connection),
        dict(task(INFO, name='unknown org', **dict(discovered, org_id='0123456789abcdef01234567')), ignore_errors=True),
    ]).assert_ok()
    assert run.task('discovered')['changed'] is True and run.task('given')['changed'] is False
    message = run.task('unknown org')['msg']
    assert 'federation settings of organization 0123456789abcdef01234567' in message and 'HTTP 404' in message
    assert [[r['operation'] for r in api_requests(requests)] for requests in module_runs(emulator.client.requests())] == [
        [DISCOVER, LIST, CREATE], [LIST], [DISCOVER]]


def test_reordered_role_assignments_change_nothing(ansible, emulator, atlas_connection):
    org = atlas_connection['org_id']
    emulator.client.seed('atlas', role_mappings=[api_mapping(org, 'eng', PROJECT_A, PROJECT_B)])
    reordered = {'external_group_name': 'eng', 'role_assignments': [
        {'role': 'GROUP_READ_ONLY', 'group_id': PROJECT_B},
        {'role': 'ORG_MEMBER', 'org_id': org.upper()},
        {'role': 'GROUP_READ_ONLY', 'project_id': PROJECT_A},
    ]}
    run = ansible.run([task(SET, mappings=[reordered], **atlas_connection)]).assert_ok()
    assert run.task('task')['changed'] is False
    assert api_writes(emulator) == []


def test_roles_shorthand(ansible, emulator, atlas_connection):
    org = atlas_connection['org_id']
    item = {'external_group_name': 'data', 'role_assignments': [
        {'roles': ['ORG_MEMBER', 'ORG_READ_ONLY']},
        {'roles': ['GROUP_READ_ONLY', 'GROUP_DATA_ACCESS_READ_ONLY'], 'project_id': PROJECT_A},
    ]}
    run = ansible.run([task(ONE, **dict(item, **atlas_connection)), task(ONE, name='again', **dict(item, **atlas_connection))])
    run.assert_ok()
    assert run.task('task')['changed'] is True and run.task('again')['changed'] is False
    assert sorted((a['role'], a.get('orgId') or a.get('groupId')) for a in stored(emulator)['data']['roleAssignments']) == [
        ('GROUP_DATA_ACCESS_READ_ONLY', PROJECT_A), ('GROUP_READ_ONLY', PROJECT_A), ('ORG_MEMBER', org), ('ORG_READ_ONLY', org)]


LOCAL_FAILURES = [
    ('org role with project_id', [{'role': 'ORG_MEMBER', 'project_id': PROJECT_A}], 'organization role and cannot take a project_id'),
    ('project role with org_id', [{'role': 'ORG_MEMBER'}, {'role': 'GROUP_READ_ONLY', 'org_id': '5e2211c17a3e5a48f5497de3'}],
     'project role and needs a project_id'),
    ('no org role', [{'role': 'GROUP_READ_ONLY', 'project_id': PROJECT_A}], 'at least one organization role'),
    ('both ids', [{'role': 'ORG_MEMBER'}, {'role': 'GROUP_OWNER', 'org_id': '5e2211c17a3e5a48f5497de3', 'project_id': PROJECT_A}],
     'mutually exclusive'),
    ('bad hex id', [{'role': 'ORG_MEMBER'}, {'role': 'GROUP_OWNER', 'project_id': 'not-a-project-id'}],
     'not an id of 24 hexadecimal digits'),
    ('unknown key in an assignment', [{'role': 'ORG_MEMBER', 'projct_id': PROJECT_A}], 'projct_id'),
]


def test_local_validation_fails_before_any_request(ansible, emulator, atlas_connection):
    tasks = [dict(task(SET, name=name, mappings=[mapping('ok'), {'external_group_name': 'bad', 'role_assignments': ra}],
                       **atlas_connection), ignore_errors=True) for name, ra, _message in LOCAL_FAILURES]
    tasks += [
        dict(task(SET, name='name of 201 characters', mappings=[mapping('x' * 201)], **atlas_connection), ignore_errors=True),
        dict(task(SET, name='unknown key', mappings=[dict(mapping('ok'), role_assignment=[])], **atlas_connection),
             ignore_errors=True),
        dict(task(SET, name='duplicate', mappings=[mapping('same'), mapping('same', PROJECT_A)], **atlas_connection),
             ignore_errors=True),
        dict(task(ONE, name='bad org_id', **dict(mapping('ok'), **dict(atlas_connection, org_id='12345'))),
             ignore_errors=True),
        dict(task(ONE, name='bad api_version', **dict(mapping('ok'), api_version='latest', **atlas_connection)),
             ignore_errors=True),
    ]
    run = ansible.run(tasks).assert_ok()
    for name, _ra, message in LOCAL_FAILURES:
        result = run.task(name)
        assert result['failed'], name
        assert message in result['msg'], (name, result['msg'])
    assert 'at most 200 characters' in run.task('name of 201 characters')['msg']
    assert 'role_assignment' in run.task('unknown key')['msg']
    assert 'mappings[0] and mappings[1]' in run.task('duplicate')['msg']
    assert "org_id '12345' is not an id of 24 hexadecimal digits" in run.task('bad org_id')['msg']
    assert 'api_version' in run.task('bad api_version')['msg']
    for name in ('name of 201 characters', 'unknown key', 'duplicate', 'bad org_id', 'bad api_version'):
        assert run.task(name)['failed'], name
    assert emulator.client.requests() == []


def test_conflicting_or_incomplete_credentials_fail_before_any_request(ansible, emulator, atlas_connection):
    both = dict(atlas_connection, public_key=PUBLIC_KEY, private_key=PRIVATE_KEY)
    half = dict(atlas_connection)
    del half['client_secret']
    run = ansible.run([
        dict(task(INFO, name='both', **both), ignore_errors=True),
        dict(task(INFO, name='half', **half), ignore_errors=True),
        dict(task(INFO, name='environment', **{k: v for k, v in half.items() if k != 'client_id'}),
             environment={'MONGODB_ATLAS_CLIENT_ID': CLIENT_ID, 'MONGODB_ATLAS_PUBLIC_KEY': PUBLIC_KEY}, ignore_errors=True),
    ]).assert_ok()
    message = run.task('both')['msg']
    assert run.task('both')['failed'] and 'conflicting credentials' in message
    assert 'client_id' in message and 'public_key' in message
    assert run.task('half')['failed'] and 'client_secret' in run.task('half')['msg']
    assert run.task('environment')['failed'] and 'MONGODB_ATLAS_CLIENT_ID' in run.task('environment')['msg']
    assert emulator.client.requests() == []


def test_a_rejected_service_account_names_the_client_id_but_not_the_secret(ansible, emulator, atlas_connection):
    secrets = {'client_id': 'mdb_sa_id_rejected-4d1e', 'client_secret': 'mdb_sa_sk_SECRET-MARKER-8b2c7'}
    options = dict(atlas_connection, client_id='{{ client_id }}', client_secret='{{ client_secret }}')
    run = ansible.run([task(SET, mappings=[mapping('a')], **options)], extra_vars=secrets, verbosity=4)
    assert run.rc != 0
    message = run.task('task')['msg']
    assert "service account 'mdb_sa_id_rejected-4d1e'" in message and 'HTTP 401' in message
    requests = emulator.client.requests()
    assert [(r['path'], r['status']) for r in requests] == [(TOKEN_PATH, 401)]  # not retried
    everything = run.stdout + run.stderr + json.dumps(run.tasks)
    assert secrets['client_secret'] not in everything


def test_the_versioned_media_type_is_on_every_request(ansible, emulator, atlas_connection):
    org = atlas_connection['org_id']
    emulator.client.seed('atlas', role_mappings=[api_mapping(org, 'old'), api_mapping(org, 'change')])
    discovered = dict(atlas_connection)
    del discovered['federation_settings_id']
    ansible.run([
        task(SET, mappings=[mapping('change', PROJECT_A), mapping('new')], purge=True, **discovered),
        task(INFO, name='info', **discovered),
    ]).assert_ok()
    requests = emulator.client.requests()
    api = api_requests(requests)
    assert {r['method'] for r in api} == {'GET', 'POST', 'PUT', 'DELETE'}
    assert all(r['headers'].get('accept') == VERSIONED for r in api)
    assert all(r['content_type'] == VERSIONED for r in api if r['method'] in ('POST', 'PUT'))
    assert all(r['status'] in (200, 204) for r in api)
    tokens = token_requests(requests)
    assert tokens and all(r['content_type'] == 'application/x-www-form-urlencoded' for r in tokens)
    assert all(r['body'] == 'grant_type=client_credentials' and r['headers']['authorization'] == 'Basic' for r in tokens)


@pytest.mark.parametrize('fail', [False, True], ids=['success', 'failure'])
def test_no_secret_appears_in_any_output_at_vvvv(ansible, emulator, atlas_connection, fail):
    client_secret, private_key, token = 'MARKER-SECRET-5e1a7', 'MARKER-PRIVATE-93c0d', 'MARKER-TOKEN-a4f28'
    public_key = 'MARKER-PUBLIC-0b7e1'
    emulator.client.credentials('atlas', service_accounts={CLIENT_ID: client_secret}, api_keys={public_key: private_key},
                                access_tokens=[token])
    if fail:
        emulator.client.fault({'type': 'status', 'status': 400, 'code': 'INVALID_ATTRIBUTE', 'message': 'nope'},
                              match={'operation': CREATE})
    scope = {k: atlas_connection[k] for k in ('base_url', 'ca_path', 'org_id', 'federation_settings_id')}
    # As in real use the secrets come from variables (a vault): Ansible shows a failed task's source lines.
    secrets = {'secret': client_secret, 'public': public_key, 'private': private_key, 'token': token}
    tasks = [
        dict(task(SET, name='service account', client_id=CLIENT_ID, client_secret='{{ secret }}',
                  mappings=[mapping('a'), mapping('b')], **scope), ignore_errors=True),
        task(INFO, name='digest', public_key='{{ public }}', private_key='{{ private }}', **scope),
        task(INFO, name='token', access_token='{{ token }}', **scope),
        dict(task(INFO, name='rejected', access_token='{{ token }}-wrong', **scope), ignore_errors=True),
    ]
    run = ansible.run(tasks, verbosity=4, diff=True, extra_vars=secrets).assert_ok()
    assert run.task('service account').get('failed', False) is fail
    assert run.task('rejected')['failed'] and 'HTTP 401' in run.task('rejected')['msg']
    env_run = ansible.run([task(SET, name='env', mappings=[mapping('c')], **scope)], verbosity=4,
                          env={'MONGODB_ATLAS_CLIENT_ID': CLIENT_ID, 'MONGODB_ATLAS_CLIENT_SECRET': client_secret})
    assert (env_run.rc != 0) is fail
    for outcome in (run, env_run):
        everything = outcome.stdout + outcome.stderr + json.dumps(outcome.tasks)
        for marker in (client_secret, private_key, token, public_key):
            assert marker not in everything


# Off the spec: the list operation declares no paging parameters and these tests send version
# dates the spec does not know, so they use their own emulator whose requests are not logged
# for tests/conformance.

@pytest.fixture(scope='module')
def offspec(tmp_path_factory):
    with start_emulator(tmp_path_factory.mktemp('atlas-offspec'), log_file=None) as running:
        yield running


@pytest.fixture
def offspec_connection(offspec):
    offspec.client.reset()
    state = offspec.client.state('atlas')
    return {'base_url': offspec.https, 'ca_path': offspec.ca_file, 'client_id': CLIENT_ID, 'client_secret': CLIENT_SECRET,
            'org_id': state['org_id'], 'federation_settings_id': state['federation_settings_id']}


def test_every_page_of_the_list_is_read(ansible, offspec, offspec_connection):
    org = offspec_connection['org_id']
    offspec.client.config(atlas={'role_mappings_page_size': 4})
    offspec.client.seed('atlas', role_mappings=[api_mapping(org, 'group-%02d' % n) for n in range(10)])
    run = ansible.run([
        task(SET, mappings=[mapping('group-%02d' % n) for n in range(10)], purge=True, **offspec_connection),
        task(INFO, name='info', **offspec_connection),
    ]).assert_ok()
    assert run.task('task')['changed'] is False and run.task('task')['summary']['unchanged'] == 10
    assert len(run.task('info')['mappings']) == 10
    lists = [r for r in offspec.client.requests() if r['operation'] == LIST]
    assert [r['query'].get('pageNum', ['1'])[0] for r in lists] == ['1', '2', '3'] * 2
    assert offspec.client.writes() == [r for r in offspec.client.writes() if r['path'] == TOKEN_PATH]


def test_an_unknown_api_version_is_refused_by_the_api(ansible, offspec, offspec_connection):
    run = ansible.run([task(INFO, api_version='2099-01-01', **offspec_connection)])
    assert run.rc != 0
    message = run.task('task')['msg']
    assert 'HTTP 406' in message and 'INVALID_VERSION_DATE' in message
    listed = [r for r in offspec.client.requests() if r['operation'] == LIST]
    assert [(r['headers']['accept'], r['status']) for r in listed] == [('application/vnd.atlas.2099-01-01+json', 406)]
