# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Atlas role assignments that name a project instead of giving its id, run by real ansible-playbook
processes against the emulator."""

from __future__ import annotations

import pytest

from emulator.atlas import DEFAULT_CREDENTIALS, DEFAULT_PROJECTS

# How project names are looked up is the collection's own talk with the API: the same on every ansible-core.
pytestmark = pytest.mark.core_independent

SET = 'sso.mappings.atlas_role_mappings'
ONE = 'sso.mappings.atlas_role_mapping'
INFO = 'sso.mappings.atlas_role_mapping_info'
LOOKUP = 'getGroupByName'
TOKEN_PATH = '/api/oauth/token'
DATA, ANALYTICS = DEFAULT_PROJECTS['data-platform'], DEFAULT_PROJECTS['analytics']


@pytest.fixture
def atlas(emulator):
    state = emulator.client.state('atlas')
    (client_id, secret), = DEFAULT_CREDENTIALS['service_accounts'].items()
    return {'base_url': emulator.https, 'ca_path': emulator.ca_file, 'client_id': client_id, 'client_secret': secret,
            'org_id': state['org_id'], 'federation_settings_id': state['federation_settings_id']}


def named(name, *projects):
    """A mapping with ORG_MEMBER and GROUP_READ_ONLY on each project, named by its name."""
    return {'external_group_name': name, 'role_assignments': [{'role': 'ORG_MEMBER'}] + [
        {'role': 'GROUP_READ_ONLY', 'project_name': project} for project in projects]}


def task(module, name='task', **options):
    return {'name': name, module: options, 'register': 'out'}


def lookups(emulator):
    return [r['path'].rsplit('/', 1)[-1] for r in emulator.client.requests() if r['operation'] == LOOKUP]


def api_writes(emulator):
    return [r for r in emulator.client.writes() if r['path'] != TOKEN_PATH]


def test_a_project_name_resolves_once_per_name_and_round_trips(ansible, emulator, atlas):
    desired = [named('eng', 'data-platform', 'analytics'), named('ops', 'data-platform'),
               dict(named('sre', 'analytics'), role_assignments=[
                   {'role': 'ORG_MEMBER'}, {'roles': ['GROUP_OWNER', 'GROUP_READ_ONLY'], 'project_name': 'analytics'}])]
    run = ansible.run([task(SET, mappings=desired, **atlas),
                       {'name': 'info', INFO: dict(atlas), 'register': 'info'},
                       task(SET, name='back', mappings='{{ info.mappings }}', purge=True, **atlas),
                       task(SET, name='again', mappings=desired, **atlas)]).assert_ok()
    created = run.task('task')
    assert created['summary']['created'] == 3
    # Each distinct name once per run that names projects: the first and the last task.
    assert lookups(emulator) == ['analytics', 'data-platform'] * 2
    stored = {m['externalGroupName']: sorted((a['role'], a.get('groupId') or a.get('orgId')) for a in m['roleAssignments'])
              for m in emulator.client.state('atlas')['role_mappings']}
    org = atlas['org_id']
    assert stored == {
        'eng': sorted([('GROUP_READ_ONLY', DATA), ('GROUP_READ_ONLY', ANALYTICS), ('ORG_MEMBER', org)]),
        'ops': sorted([('GROUP_READ_ONLY', DATA), ('ORG_MEMBER', org)]),
        'sre': sorted([('GROUP_OWNER', ANALYTICS), ('GROUP_READ_ONLY', ANALYTICS), ('ORG_MEMBER', org)])}
    # Returned mappings name projects by id, so _info output round-trips unchanged.
    eng = next(m for m in run.task('info')['mappings'] if m['external_group_name'] == 'eng')
    assert {'role': 'GROUP_READ_ONLY', 'project_id': DATA} in eng['role_assignments']
    assert all('project_name' not in a for m in run.task('info')['mappings'] for a in m['role_assignments'])
    assert run.task('back')['changed'] is False and run.task('again')['changed'] is False
    assert [c['after']['role_assignments'] for c in created['changes'] if c['key'] == 'ops'] == [
        [{'role': 'GROUP_READ_ONLY', 'project_id': DATA}, {'role': 'ORG_MEMBER', 'org_id': org}]]


def test_a_name_and_an_id_of_one_project_are_the_same_assignment(ansible, emulator, atlas):
    mixed = {'external_group_name': 'eng', 'role_assignments': [
        {'role': 'ORG_MEMBER'}, {'role': 'GROUP_READ_ONLY', 'project_id': DATA},
        {'role': 'GROUP_READ_ONLY', 'project_name': 'data-platform'}]}
    run = ansible.run([task(ONE, **dict(mixed, **atlas)), task(ONE, name='by id', **dict(
        named('eng'), role_assignments=[{'role': 'ORG_MEMBER'}, {'role': 'GROUP_READ_ONLY', 'project_id': DATA}],
        **atlas))]).assert_ok()
    assert run.task('task')['changed'] is True and run.task('by id')['changed'] is False
    (mapping,) = emulator.client.state('atlas')['role_mappings']
    assert len(mapping['roleAssignments']) == 2


@pytest.mark.parametrize('status, code', [(404, 'NOT_IN_GROUP'), (401, 'NOT_IN_GROUP'), (404, 'RESOURCE_NOT_FOUND')])
def test_an_unknown_project_name_fails_with_zero_writes(ansible, emulator, atlas, status, code):
    """Atlas answers NOT_IN_GROUP (MongoDB's operator tests it) with a status no source gives: every reading works."""
    emulator.client.config(atlas={'missing_project_status': status, 'missing_project_code': code})
    run = ansible.run([task(SET, mappings=[named('ok'), named('eng', 'data-platform', 'no-such-project')], **atlas)])
    assert run.rc != 0
    message = run.task('task')['msg']
    for part in ('Atlas: mappings[1] (eng)', "no project named 'no-such-project'", 'HTTP %d %s' % (status, code),
                 'project_id'):
        assert part in message
    assert api_writes(emulator) == []
    # Names are resolved before the current set is even read. A 401 first renews the token, once.
    expected = [LOOKUP, LOOKUP] + ([LOOKUP] if status == 401 else [])
    assert [r['operation'] for r in emulator.client.requests() if r['path'] != TOKEN_PATH] == expected


def test_a_project_name_is_checked_locally_first(ansible, emulator, atlas):
    run = ansible.run([
        dict(task(SET, name='too long', mappings=[named('eng', 'p' * 65)], **atlas), ignore_errors=True),
        dict(task(SET, name='org role', mappings=[{'external_group_name': 'eng', 'role_assignments': [
            {'role': 'ORG_MEMBER', 'project_name': 'analytics'}]}], **atlas), ignore_errors=True),
        dict(task(SET, name='both', mappings=[{'external_group_name': 'eng', 'role_assignments': [
            {'role': 'ORG_MEMBER'}, {'role': 'GROUP_OWNER', 'project_id': DATA, 'project_name': 'analytics'}]}],
            **atlas), ignore_errors=True),
    ]).assert_ok()
    assert 'project_name must be at most 64 characters' in run.task('too long')['msg']
    assert 'ORG_MEMBER is an organization role and cannot take a project_name' in run.task('org role')['msg']
    assert 'project_id' in run.task('both')['msg'] and 'project_name' in run.task('both')['msg']
    assert emulator.client.requests() == []


def test_info_names_the_projects_when_asked_one_request_each(ansible, emulator, atlas):
    org = atlas['org_id']
    gone = 'ffffffffffffffffffffffff'
    emulator.client.seed('atlas', role_mappings=[
        {'externalGroupName': 'eng', 'roleAssignments': [
            {'role': 'ORG_MEMBER', 'orgId': org}, {'role': 'GROUP_READ_ONLY', 'groupId': DATA},
            {'role': 'GROUP_OWNER', 'groupId': DATA}]},
        {'externalGroupName': 'ops', 'roleAssignments': [
            {'role': 'ORG_MEMBER', 'orgId': org}, {'role': 'GROUP_READ_ONLY', 'groupId': ANALYTICS},
            {'role': 'GROUP_READ_ONLY', 'groupId': gone}]}])
    run = ansible.run([{'name': 'plain', INFO: dict(atlas), 'register': 'plain'},
                       {'name': 'named', INFO: dict(atlas, project_names=True), 'register': 'named'}]).assert_ok()
    assert 'projects' not in run.task('plain')
    named = run.task('named')
    # A project these credentials cannot see keeps its id alone.
    assert named['projects'] == {DATA: 'data-platform', ANALYTICS: 'analytics'}
    assert named['mappings'] == run.task('plain')['mappings']
    reads = sorted(r['path'].rsplit('/', 1)[-1] for r in emulator.client.requests() if r['operation'] == 'getGroup')
    assert reads == sorted([DATA, ANALYTICS, gone])
