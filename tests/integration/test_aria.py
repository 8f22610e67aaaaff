# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Aria Suite Lifecycle group modules, run by real ansible-playbook processes against the emulator (HTTPS)."""

from __future__ import annotations

import json

import pytest

from emulator.aria import DEFAULT_ROLES

SET = 'sso.mappings.aria_group_mappings'
ONE = 'sso.mappings.aria_group_mapping'
INFO = 'sso.mappings.aria_group_mapping_info'
GROUPS = '/lcm/authzn/api/v2/groups'
USER, PASSWORD = 'admin@local', 'emulator-password'
READ_ONLY_USER, READ_ONLY_PASSWORD = 'auditor@local', 'emulator-auditor-password'

VMID = dict((name, vmid) for name, vmid, _description in DEFAULT_ROLES)
ROLE_NAMES = sorted(VMID)
DOMAIN = 'example.com'


@pytest.fixture
def aria_connection(emulator):
    """Options for the Aria modules that reach the emulator over HTTPS, trusting its CA."""
    return {'base_url': emulator.https, 'username': USER, 'password': PASSWORD, 'ca_path': emulator.ca_file}


def group(name, *roles, domain=DOMAIN, **extra):
    """A desired group in the modules' shape."""
    return dict({'display_name': name, 'domain': domain, 'mapped_roles': list(roles)}, **extra)


def seeded(name, *roles, domain=DOMAIN, **extra):
    """A group in the API shape, for the emulator's seed."""
    return dict({'displayName': name, 'domain': domain, 'mappedRoles': list(roles)}, **extra)


def task(module, name='task', **options):
    return {'name': name, module: options, 'register': 'out'}


def state(emulator):
    """'name@domain' -> sorted role names, as the emulator holds them."""
    return dict(('%s@%s' % (g['displayName'], g['domain']), sorted(r['roleName'] for r in g['roleMappings']))
                for g in emulator.client.state('aria')['groups'])


def stored(emulator, key):
    return next(g for g in emulator.client.state('aria')['groups'] if '%s@%s' % (g['displayName'], g['domain']) == key)


def calls(requests):
    return [(r['method'], r['operation']) for r in requests]


def test_create_resolves_role_names_then_a_second_run_reads_twice_and_writes_nothing(ansible, emulator, aria_connection):
    desired = [group('lcm-admins', 'LCM Admin'),
               group('lcm-content', 'Content Developer', 'Content Release Manager', group_type='ALL_USERS',
                     group_metadata={'distinguished_name': 'CN=lcm-content,OU=Groups,DC=example,DC=com'})]
    run = ansible.run([task(SET, mappings=desired, **aria_connection),
                       task(SET, name='again', mappings=desired, **aria_connection)]).assert_ok()
    result = run.task('task')
    assert result['changed'] is True
    assert result['summary'] == {'created': 2, 'updated': 0, 'deleted': 0, 'unchanged': 0}
    assert [c['key'] for c in result['changes']] == ['lcm-admins@example.com', 'lcm-content@example.com']
    assert state(emulator) == {'lcm-admins@example.com': ['LCM Admin'],
                               'lcm-content@example.com': ['Content Developer', 'Content Release Manager']}
    # The API takes role vmids, never names.
    posts = {w['body']['displayName']: w['body'] for w in emulator.client.writes()}
    assert posts['lcm-admins']['mappedRoles'] == [VMID['LCM Admin']]
    assert sorted(posts['lcm-content']['mappedRoles']) == sorted([VMID['Content Developer'],
                                                                  VMID['Content Release Manager']])
    assert posts['lcm-content']['groupType'] == 'ALL_USERS'
    assert posts['lcm-content']['groupMetadata'] == {'distinguishedName': 'CN=lcm-content,OU=Groups,DC=example,DC=com'}
    returned = {m['display_name']: m for m in result['mappings']}
    assert returned['lcm-admins']['vmid'] == stored(emulator, 'lcm-admins@example.com')['vmid']
    assert returned['lcm-content']['mapped_roles'] == ['Content Developer', 'Content Release Manager']

    assert run.task('again')['changed'] is False
    assert run.task('again')['summary']['unchanged'] == 2
    # The second task's requests are the minimum: the roles once and the v1 list once, nothing else.
    requests = emulator.client.requests()
    last_write = max(r['seq'] for r in requests if r['method'] != 'GET')
    assert calls(r for r in requests if r['seq'] > last_write) == [
        ('GET', 'getAllExternalRolesV2UsingGET'), ('GET', 'listAllGroupsV1')]


def test_check_mode_plans_everything_and_writes_nothing(ansible, emulator, aria_connection):
    emulator.client.seed('aria', groups=[seeded('stale', 'Certificate Administrator'), seeded('keep', 'LCM Admin')])
    desired = [group('keep', 'LCM Admin', 'Certificate Administrator'), group('new', 'Content Developer')]
    run = ansible.run([dict(task(SET, name='check', mappings=desired, purge=True, **aria_connection), check_mode=True),
                       task(SET, name='real', mappings=desired, purge=True, **aria_connection)], diff=True)
    plan = run.assert_ok().task('check')
    assert plan['changed'] is True
    assert sorted((c['action'], c['key']) for c in plan['changes']) == [
        ('create', 'new@example.com'), ('delete', 'stale@example.com'), ('update', 'keep@example.com')]
    # Only the real run wrote: one request per change, all after its own reads.
    requests = emulator.client.requests()
    second_read = [r['seq'] for r in requests if r['operation'] == 'getAllExternalRolesV2UsingGET'][1]
    writes = [r for r in requests if r['method'] != 'GET']
    assert sorted(w['method'] for w in writes) == ['DELETE', 'PATCH', 'POST']
    assert all(w['seq'] > second_read for w in writes)
    applied = run.task('real')
    assert applied['summary'] == plan['summary'] == {'created': 1, 'updated': 1, 'deleted': 1, 'unchanged': 0}
    assert applied['changes'] == plan['changes']
    assert applied['diff'] == plan['diff']
    assert state(emulator) == {'keep@example.com': ['Certificate Administrator', 'LCM Admin'], 'new@example.com': ['Content Developer']}


@pytest.mark.parametrize('check', [True, False], ids=['check-mode', 'real-run'])
def test_diff_is_the_group_itself_before_and_after(ansible, emulator, aria_connection, check):
    vmid = emulator.client.seed('aria', groups=[seeded('eng', 'LCM Admin')])['groups'][0]['vmid']
    before = {'vmid': vmid, 'display_name': 'eng', 'domain': DOMAIN, 'mapped_roles': ['LCM Admin'], 'is_disabled': False}
    run = ansible.run([task(ONE, name='update', **dict(group('eng', 'LCM Admin', 'Certificate Administrator'), **aria_connection)),
                       task(ONE, name='create', **dict(group('new', 'Content Developer'), **aria_connection)),
                       task(ONE, name='delete', **dict(group('eng'), state='absent', **aria_connection))],
                      diff=True, check=check).assert_ok()
    update = run.task('update')['diff']
    assert update['before'] == before
    assert update['after'] == dict(before, mapped_roles=['Certificate Administrator', 'LCM Admin'])
    assert run.task('create')['diff'] == {'before': {}, 'after': {'display_name': 'new', 'domain': DOMAIN,
                                                                  'mapped_roles': ['Content Developer']}}
    deleted = run.task('delete')['diff']
    assert deleted['after'] == {} and deleted['before']['vmid'] == vmid
    assert any(line.startswith('+') and line.strip('+ ,') == '"Certificate Administrator"' for line in run.stdout.splitlines())


LOOKUP = 'getGroupsByDisplayNameV2UsingGET'
# Every answer the reconstructed spec leaves open, in two combinations that together cover each variant.
VARIANTS = {
    'answers-with-bodies': {'create_answer': '201', 'update_answer': '200', 'delete_answer': '200', 'missing_name': '404'},
    'answers-without-bodies': {'create_answer': '200-empty', 'update_answer': '204', 'delete_answer': '204',
                               'missing_name': 'empty'},
}


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_one_group_through_its_life_with_every_answer_variant(ansible, emulator, aria_connection, variant):
    options = VARIANTS[variant]
    emulator.client.config(aria=options)
    bodies = options['create_answer'] == '201'
    one = dict(aria_connection, display_name='eng', domain=DOMAIN)
    run = ansible.run([
        task(ONE, name='absent before', state='absent', **one),
        task(ONE, name='create', mapped_roles=['Certificate Administrator'], group_type='ALL_USERS', **one),
        task(ONE, name='unchanged', mapped_roles=['Certificate Administrator'], **one),
        task(ONE, name='update', mapped_roles=['LCM Admin', 'Content Developer'], **one),
        task(ONE, name='delete', state='absent', **one),
        task(ONE, name='absent after', state='absent', **one),
    ]).assert_ok()
    changed = dict((name, run.task(name)['changed'])
                   for name in ('absent before', 'create', 'unchanged', 'update', 'delete', 'absent after'))
    assert changed == {'absent before': False, 'create': True, 'unchanged': False, 'update': True, 'delete': True,
                       'absent after': False}
    created, updated = run.task('create')['mapping'], run.task('update')['mapping']
    assert created['vmid'] and created['mapped_roles'] == ['Certificate Administrator'] and created['group_type'] == 'ALL_USERS'
    assert updated['vmid'] == created['vmid']
    assert updated['mapped_roles'] == ['Content Developer', 'LCM Admin'] and updated['group_type'] == 'ALL_USERS'
    assert run.task('delete')['mapping'] == {} and run.task('absent after')['mapping'] == {}

    requests = [r for r in emulator.client.requests() if r['operation'] != 'getAllExternalRolesV2UsingGET']
    missing = 404 if options['missing_name'] == '404' else 200
    # A look-up that misses asks for the other spelling, eng@example.com, as well.
    miss = [(LOOKUP, missing), (LOOKUP, missing)]
    # A write answered without the group is followed by a look-up by name that reads it again.
    reread = [] if bodies else [(LOOKUP, 200)]
    assert [(r['operation'], r['status']) for r in requests] == (
        miss
        + miss + [('createGroupV2UsingPOST', 201 if bodies else 200)] + reread
        + [(LOOKUP, 200)]
        + [(LOOKUP, 200), ('updateGroupByIdV2UsingPATCH', 200 if bodies else 204)] + reread
        + [(LOOKUP, 200), ('deleteGroupByIdV2UsingDELETE', 200 if bodies else 204)]
        + miss)
    assert [r['path'] for r in requests[:2]] == [GROUPS + '/name/eng', GROUPS + '/name/eng%40example.com']
    patch = next(r for r in requests if r['method'] == 'PATCH')
    assert patch['path'] == '%s/%s' % (GROUPS, created['vmid'])
    # The complete desired role set, as vmids, with the fields the group already has.
    assert sorted(patch['body']['mappedRoles']) == sorted([VMID['LCM Admin'], VMID['Content Developer']])
    assert (patch['body']['displayName'], patch['body']['domain'], patch['body']['groupType']) == ('eng', DOMAIN, 'ALL_USERS')
    assert state(emulator) == {}


def test_identity_is_name_and_domain_without_regard_to_case(ansible, emulator, aria_connection):
    groups = emulator.client.seed('aria', groups=[seeded('eng', 'LCM Admin', domain='a.example.com'),
                                                  seeded('eng', 'LCM Admin', domain='b.example.com'),
                                                  seeded('twin', 'LCM Admin'), seeded('TWIN', 'Certificate Administrator')])['groups']
    run = ansible.run([
        task(ONE, **dict(group('ENG', 'Certificate Administrator', domain='B.Example.com'), **aria_connection)),
        dict(task(SET, name='twins', mappings=[group('twin', 'LCM Admin'), group('new')], **aria_connection),
             ignore_errors=True),
    ])
    change = run.assert_ok().task('task')['changes'][0]
    assert (change['action'], change['key']) == ('update', 'ENG@B.Example.com')
    # Matched without regard to case; the appliance's spelling is kept.
    assert change['after']['display_name'] == 'eng' and change['after']['domain'] == 'b.example.com'
    assert [w['path'] for w in emulator.client.writes()] == ['%s/%s' % (GROUPS, groups[1]['vmid'])]
    # Two existing groups with one identity: the task fails listing both, and writes nothing.
    assert run.task('twins')['failed']
    for twin in groups[2:]:
        assert twin['vmid'] in run.task('twins')['msg']
    assert state(emulator) == {'eng@a.example.com': ['LCM Admin'], 'eng@b.example.com': ['Certificate Administrator'],
                               'twin@example.com': ['LCM Admin'], 'TWIN@example.com': ['Certificate Administrator']}


@pytest.mark.parametrize('display_name_format', ['name', 'name@domain'])
def test_a_name_read_back_as_name_at_domain_is_the_same_group_and_converges(ansible, emulator, aria_connection,
                                                                            display_name_format):
    """VMware's PowerShell module shows a group's displayName as <name>@<domain>; the modules read both spellings."""
    emulator.client.config(aria={'display_name_format': display_name_format})
    emulator.client.seed('aria', groups=[seeded('lcm-admins', 'LCM Admin'),
                                         seeded('ops@other.org', 'Content Developer')])
    desired = [group('lcm-admins', 'LCM Admin', 'Certificate Administrator'),  # an update
               group('ops@other.org', 'Content Developer'),  # an '@' of another domain is part of the name
               group('lcm-content', 'Content Developer')]  # a create
    run = ansible.run([task(SET, name='apply', mappings=desired, **aria_connection),
                       task(SET, name='again', mappings=desired, **aria_connection),
                       task(ONE, name='one', **dict(desired[2], **aria_connection)),
                       task(INFO, name='info', **aria_connection)], diff=True).assert_ok()
    applied = run.task('apply')
    assert applied['summary'] == {'created': 1, 'updated': 1, 'deleted': 0, 'unchanged': 1}
    # Returned dicts show each name as the user wrote it.
    assert sorted(m['display_name'] for m in applied['mappings']) == ['lcm-admins', 'lcm-content', 'ops@other.org']
    assert sorted(run.task('info')['mappings'], key=lambda m: m['display_name']) == sorted(
        applied['mappings'], key=lambda m: m['display_name'])
    assert run.task('one')['mapping']['display_name'] == 'lcm-content'
    # No duplicate, no perpetual change: the second runs write nothing.
    assert run.task('again')['changed'] is False and run.task('one')['changed'] is False
    groups = emulator.client.state('aria')['groups']
    shown = sorted(g['displayName'] for g in groups)
    suffix = '@' + DOMAIN if display_name_format == 'name@domain' else ''
    assert shown == sorted(name + suffix for name in ('lcm-admins', 'lcm-content', 'ops@other.org'))
    writes = emulator.client.writes()
    assert [(w['method'], w['body']['displayName']) for w in writes] == [
        ('PATCH', 'lcm-admins' + suffix),  # sent back as the appliance wrote it: never a rename
        ('POST', 'lcm-content')]
    assert writes[0]['status'] == 200 and writes[1]['status'] == 201


@pytest.mark.parametrize('name_lookup', ['exact', 'both'])
def test_one_group_shown_as_name_at_domain_is_found_whichever_spelling_the_look_up_matches(ansible, emulator,
                                                                                           aria_connection, name_lookup):
    """Nothing says whether the appliance's look-up by name finds eng@example.com when asked for eng: a miss asks for
    the other spelling too, so an exact look-up never leads to a duplicate."""
    emulator.client.config(aria={'display_name_format': 'name@domain', 'name_lookup': name_lookup})
    one = dict(aria_connection, display_name='eng', domain=DOMAIN)
    run = ansible.run([
        task(ONE, name='create', mapped_roles=['LCM Admin'], **one),
        task(ONE, name='again', mapped_roles=['LCM Admin'], **one),
        task(INFO, name='info', display_name='ENG@example.com', **aria_connection),
        task(ONE, name='absent', state='absent', **one),
        task(ONE, name='absent again', state='absent', **one),
    ]).assert_ok()
    assert [run.task(name)['changed'] for name in ('create', 'again', 'absent', 'absent again')] == [
        True, False, True, False]
    vmid = run.task('create')['mapping']['vmid']
    assert run.task('again')['mapping'] == {'vmid': vmid, 'display_name': 'eng', 'domain': DOMAIN,
                                            'mapped_roles': ['LCM Admin'], 'is_disabled': False}
    # The _info filter reads the whole list and takes either spelling.
    assert [m['vmid'] for m in run.task('info')['mappings']] == [vmid]
    requests = emulator.client.requests()
    writes = [(w['method'], w['path']) for w in emulator.client.writes()]
    assert writes == [('POST', GROUPS), ('DELETE', '%s/%s' % (GROUPS, vmid))]
    look_ups = [(r['path'].rsplit('/', 1)[1], r['status']) for r in requests if r['operation'] == LOOKUP]
    found = [('eng', 404), ('eng%40example.com', 200)] if name_lookup == 'exact' else [('eng', 200)]
    assert look_ups == (
        [('eng', 404), ('eng%40example.com', 404)]  # create: neither spelling finds it
        + found  # again: found, no write
        + found  # absent: found, then deleted
        + [('eng', 404), ('eng%40example.com', 404)])  # absent again
    assert state(emulator) == {}


def test_purge_deletes_exactly_the_unlisted(ansible, emulator, aria_connection):
    emulator.client.seed('aria', groups=[seeded(n, 'LCM Admin') for n in ('a', 'b', 'c', 'd')])
    run = ansible.run([task(SET, mappings=[group('a', 'LCM Admin'), group('c', 'LCM Admin'), group('e', 'LCM Admin'),
                                           {'display_name': 'd', 'domain': DOMAIN, 'state': 'absent'}],
                            purge=True, **aria_connection),
                       task(SET, name='without', mappings=[group('a', 'LCM Admin')], **aria_connection)]).assert_ok()
    result = run.task('task')
    assert sorted((c['action'], c['key']) for c in result['changes']) == [
        ('create', 'e@example.com'), ('delete', 'b@example.com'), ('delete', 'd@example.com')]
    assert sorted(state(emulator)) == ['a@example.com', 'c@example.com', 'e@example.com']
    assert [m['display_name'] for m in result['mappings']] == ['a', 'c', 'e']
    assert run.task('without')['changed'] is False
    assert sorted(state(emulator)) == ['a@example.com', 'c@example.com', 'e@example.com']


def test_info_output_fed_back_changes_nothing(ansible, emulator, aria_connection):
    emulator.client.seed('aria', groups=[
        seeded('lcm-admins', 'LCM Admin', 'Certificate Administrator', groupType='ALL_USERS', isDisabled=True,
               providerIdentifier='c1c9f52d-afd1-4561-afbf-2b537b02cad2',
               groupMetadata={'distinguishedName': 'CN=lcm-admins,DC=example,DC=com', 'externalId': 'ext-1',
                              'additionalMeta': ['b', 'a']}),
        seeded('no-roles'), seeded('lcm-admins', 'Content Developer', domain='other.example.com')])
    run = ansible.run([
        {'name': 'info', INFO: dict(aria_connection), 'register': 'info'},
        {'name': 'back', SET: dict(aria_connection, mappings='{{ info.mappings }}', purge=True)},
        {'name': 'one', ONE: dict(aria_connection, display_name='{{ info.mappings[0].display_name }}',
                                  domain='{{ info.mappings[0].domain }}',
                                  mapped_roles='{{ info.mappings[0].mapped_roles }}')},
        {'name': 'filtered', INFO: dict(aria_connection, display_name='LCM-ADMINS', domain='example.com')},
    ]).assert_ok()
    mappings = run.task('info')['mappings']
    assert [(m['display_name'], m['domain']) for m in mappings] == [
        ('lcm-admins', 'example.com'), ('lcm-admins', 'other.example.com'), ('no-roles', 'example.com')]
    assert mappings[0] == {'vmid': mappings[0]['vmid'], 'display_name': 'lcm-admins', 'domain': 'example.com',
                           'mapped_roles': ['Certificate Administrator', 'LCM Admin'], 'group_type': 'ALL_USERS', 'is_disabled': True,
                           'provider_identifier': 'c1c9f52d-afd1-4561-afbf-2b537b02cad2',
                           'group_metadata': {'distinguished_name': 'CN=lcm-admins,DC=example,DC=com',
                                              'external_id': 'ext-1', 'additional_meta': ['a', 'b']}}
    assert mappings[2]['mapped_roles'] == [] and 'group_metadata' not in mappings[2]
    assert run.task('back')['changed'] is False
    assert run.task('back')['summary']['unchanged'] == 3
    assert run.task('one')['changed'] is False
    assert [m['domain'] for m in run.task('filtered')['mappings']] == ['example.com']
    assert emulator.client.writes() == []


def test_omitted_roles_are_kept_and_parallel_updates_read_the_roles_once(ansible, emulator, aria_connection):
    names = ['g%d' % n for n in range(6)]
    emulator.client.seed('aria', groups=[seeded(n, 'LCM Admin', 'Certificate Administrator') for n in names])
    run = ansible.run([task(SET, mappings=[{'display_name': n, 'domain': DOMAIN, 'is_disabled': True} for n in names],
                            parallelism=4, **aria_connection)]).assert_ok()
    assert run.task('task')['summary']['updated'] == 6
    assert sorted(calls(emulator.client.requests())) == sorted(
        [('GET', 'listAllGroupsV1'), ('GET', 'getAllExternalRolesV2UsingGET')] + [('PATCH', 'updateGroupByIdV2UsingPATCH')] * 6)
    for write in emulator.client.writes():
        assert write['body']['isDisabled'] is True
        assert sorted(write['body']['mappedRoles']) == sorted([VMID['LCM Admin'], VMID['Certificate Administrator']])
    assert set(map(tuple, state(emulator).values())) == {('Certificate Administrator', 'LCM Admin')}


def test_a_role_vmid_is_the_same_as_its_name(ansible, emulator, aria_connection):
    emulator.client.seed('aria', groups=[seeded('eng', 'LCM Admin')])
    run = ansible.run([task(ONE, name='same', **dict(group('eng', VMID['LCM Admin']), **aria_connection)),
                       task(SET, name='mixed', mappings=[group('ops', VMID['Certificate Administrator'], 'Certificate Administrator', 'LCM Admin')],
                            **aria_connection)]).assert_ok()
    assert run.task('same')['changed'] is False
    assert run.task('same')['mapping']['mapped_roles'] == ['LCM Admin']
    assert run.task('mixed')['changes'][0]['after']['mapped_roles'] == ['Certificate Administrator', 'LCM Admin']
    writes = emulator.client.writes()
    assert len(writes) == 1
    assert sorted(writes[0]['body']['mappedRoles']) == sorted([VMID['LCM Admin'], VMID['Certificate Administrator']])


def test_an_unknown_role_name_fails_listing_the_valid_names_and_writes_nothing(ansible, emulator, aria_connection):
    run = ansible.run([task(SET, mappings=[group('a', 'LCM Admin'), group('b', 'LCM Administrator')], **aria_connection)])
    assert run.rc != 0
    message = run.task('task')['msg']
    assert "mappings[1]" in message and "'LCM Administrator'" in message
    for name in ROLE_NAMES:
        assert name in message
    assert calls(emulator.client.requests()) == [('GET', 'getAllExternalRolesV2UsingGET')]


def test_local_validation_fails_before_any_request(ansible, emulator, aria_connection):
    no_password = dict(aria_connection)
    no_password.pop('password')
    cases = {
        'typo': dict(aria_connection, mappings=[dict(group('a'), mapped_role=['LCM Admin'])]),
        'duplicate': dict(aria_connection, mappings=[group('Eng', domain='Example.com'), group('eng')]),
        'no domain': dict(aria_connection, mappings=[{'display_name': 'eng'}]),
        'blank name': dict(aria_connection, mappings=[group(' eng')]),
        'no password': dict(no_password, mappings=[group('eng')]),
    }
    run = ansible.run([dict(task(SET, name=name, **options), ignore_errors=True) for name, options in cases.items()])
    run.assert_ok()
    expected = {'typo': 'mapped_role', 'duplicate': 'mappings[0] and mappings[1]', 'no domain': 'domain',
                'blank name': 'leading or trailing white space', 'no password': 'password (or ARIA_LCM_PASSWORD)'}
    for name, part in expected.items():
        assert run.task(name)['failed'] and part in run.task(name)['msg'], (name, run.task(name)['msg'])
    assert emulator.client.requests() == []


def test_429_and_5xx_are_survived(ansible, emulator, aria_connection):
    emulator.client.fault({'type': 'status', 'status': 429, 'retry_after': 1}, match={'method': 'GET'}, count=1)
    emulator.client.fault({'type': 'status', 'status': 503}, match={'method': 'POST'}, count=2)
    emulator.client.fault({'type': 'status', 'status': 500}, match={'method': 'POST'}, count=1)
    emulator.client.fault({'type': 'status', 'status': 502}, match={'method': 'DELETE'}, count=1)
    emulator.client.seed('aria', groups=[seeded('old')])
    run = ansible.run([task(SET, mappings=[group('a', 'LCM Admin'), group('b')], purge=True,
                            **aria_connection)]).assert_ok()
    assert run.task('task')['summary'] == {'created': 2, 'updated': 0, 'deleted': 1, 'unchanged': 0}
    assert state(emulator) == {'a@example.com': ['LCM Admin'], 'b@example.com': []}
    faulted = [r for r in emulator.client.requests() if r['fault']]
    assert len(faulted) == 5
    # The faults carry the vendor's error body; the logged requests show it was answered, then retried.
    assert all(r['status'] in (429, 500, 502, 503) for r in faulted)


@pytest.mark.parametrize('fault', ['drop_after_apply', 'drop'])
def test_a_lost_create_answer_leaves_exactly_one_group(ansible, emulator, aria_connection, fault):
    emulator.client.fault({'type': fault}, match={'method': 'POST'}, count=1)
    run = ansible.run([task(SET, mappings=[group('only-once', 'LCM Admin')], **aria_connection),
                       task(SET, name='again', mappings=[group('only-once', 'LCM Admin')], **aria_connection)]).assert_ok()
    assert state(emulator) == {'only-once@example.com': ['LCM Admin']}
    posts = [w for w in emulator.client.writes() if w['method'] == 'POST']
    # Applied: found by the look-up, not sent again. Dropped before handling: the look-up misses, sent again.
    assert len(posts) == (1 if fault == 'drop_after_apply' else 2)
    assert run.task('task')['mappings'][0]['vmid'] == stored(emulator, 'only-once@example.com')['vmid']
    assert run.task('again')['changed'] is False


RETIRED_RUNS = {
    'set': (SET, {'mappings': [group('lcm-admins', 'LCM Admin')], 'purge': True}, '/lcm/authzn/api/v2/roles/external'),
    'set without roles': (SET, {'mappings': [{'display_name': name, 'domain': DOMAIN} for name in ('a', 'b')]},
                          '/lcm/authzn/api/groups'),
    'one present': (ONE, {'display_name': 'a', 'domain': DOMAIN, 'group_type': 'ALL_USERS'},
                    '/lcm/authzn/api/v2/roles/external'),
    'one absent': (ONE, {'display_name': 'a', 'domain': DOMAIN, 'state': 'absent'}, '/lcm/authzn/api/v2/roles/external'),
    'info': (INFO, {}, '/lcm/authzn/api/groups'),
}


@pytest.mark.parametrize('run_of', sorted(RETIRED_RUNS))
def test_an_appliance_without_the_authzn_api_fails_saying_vcf_9_1_retired_it_and_writes_nothing(
        ansible, emulator, aria_connection, run_of):
    """VCF 9.1 replaces the appliance and its /lcm/authzn API (Broadcom KB 424807)."""
    emulator.client.config(aria={'authzn_api': 'retired'})
    module, options, path = RETIRED_RUNS[run_of]
    run = ansible.run([task(module, **dict(options, **aria_connection))])
    assert run.rc != 0
    message = run.task('task')['msg']
    for part in ('Aria', 'HTTP 404', '%s%s answered 404' % (emulator.https, path), 'does not serve the /lcm/authzn API',
                 'VCF 9.1 retired it', 'Broadcom KB 424807'):
        assert part in message, part
    requests = emulator.client.requests()
    assert requests and all(r['method'] == 'GET' and r['status'] == 404 for r in requests)
    assert requests[-1]['path'] == path


def test_a_4xx_fails_at_once_with_the_vendor_message(ansible, emulator, aria_connection):
    emulator.client.fault({'type': 'status', 'status': 400, 'code': 'LCM_AUTHZN_INVALID_GROUP_TYPE',
                           'message': 'Group type CUSTOM is not supported'}, match={'method': 'POST'})
    run = ansible.run([task(ONE, **dict(group('bad', 'LCM Admin', group_type='CUSTOM'), **aria_connection))])
    assert run.rc != 0
    message = run.task('task')['msg']
    assert len([w for w in emulator.client.writes() if w['method'] == 'POST']) == 1
    for part in ('Aria', 'create group bad@example.com', 'HTTP 400', 'LCM_AUTHZN_INVALID_GROUP_TYPE',
                 'Group type CUSTOM is not supported', 'recommendations: Check the request body against GroupRequestDTO'):
        assert part in message


def test_401_and_403_say_what_they_mean(ansible, emulator, aria_connection):
    wrong = dict(aria_connection, password='not-the-password')
    read_only = dict(aria_connection, username=READ_ONLY_USER, password=READ_ONLY_PASSWORD)
    run = ansible.run([
        dict(task(INFO, name='401', **wrong), ignore_errors=True),
        dict(task(SET, name='403', mappings=[group('eng', 'LCM Admin')], **read_only), ignore_errors=True),
        task(INFO, name='reads', **read_only),
    ]).assert_ok()
    unauthorized = run.task('401')
    assert unauthorized['failed'] and 'HTTP 401' in unauthorized['msg']
    assert 'user name or password was not accepted' in unauthorized['msg']
    forbidden = run.task('403')
    assert forbidden['failed'] and 'HTTP 403' in forbidden['msg'] and 'create group eng@example.com' in forbidden['msg']
    assert 'lacks the Suite Lifecycle administrator role' in forbidden['msg']
    assert run.task('reads')['mappings'] == []
    assert [r['status'] for r in emulator.client.writes()] == [403]
    assert state(emulator) == {}


def test_tls_is_verified_by_default_and_ca_path_or_validate_certs_false_fix_it(ansible, emulator, aria_connection):
    options = dict(aria_connection)
    options.pop('ca_path')
    run = ansible.run([dict(task(INFO, name='default', **options), ignore_errors=True),
                       task(INFO, name='insecure', validate_certs=False, **options),
                       task(INFO, name='ca_path', ca_path=emulator.ca_file, **options)]).assert_ok()
    failed = run.task('default')
    assert failed['failed']
    assert 'ca_path' in failed['msg'] and 'certificate' in failed['msg']
    insecure = run.task('insecure')
    assert any('verification is disabled' in w for w in insecure.get('warnings', []))
    assert not run.task('ca_path').get('warnings')
    assert [r['operation'] for r in emulator.client.requests()] == ['listAllGroupsV1', 'listAllGroupsV1']


def test_url_and_credentials_from_environment_variables(ansible, emulator):
    env = {'ARIA_LCM_URL': emulator.https, 'ARIA_LCM_USERNAME': USER, 'ARIA_LCM_PASSWORD': PASSWORD,
           'ARIA_LCM_VALIDATE_CERTS': 'false'}
    run = ansible.run([task(SET, mappings=[group('from-env', 'LCM Admin')]), task(INFO, name='info'),
                       # An explicit option beats its environment variable.
                       task(INFO, name='explicit', ca_path=emulator.ca_file, validate_certs=True),
                       dict(task(INFO, name='wrong', password='not-the-password'), ignore_errors=True)], env=env)
    result = run.assert_ok().task('task')
    assert result['changed'] is True
    assert any('verification is disabled' in w for w in result.get('warnings', []))
    assert [m['display_name'] for m in run.task('info')['mappings']] == ['from-env']
    assert not run.task('explicit').get('warnings')
    assert 'HTTP 401' in run.task('wrong')['msg']
    assert {r['headers'].get('authorization') for r in emulator.client.requests()} == {'Basic'}


def test_module_defaults_for_the_action_group(ansible, emulator, aria_connection):
    run = ansible.run([task(SET, mappings=[group('a', 'LCM Admin')]),
                       task(ONE, name='one', **group('a', 'LCM Admin')),
                       task(INFO, name='info')],
                      module_defaults={'group/sso.mappings.aria': aria_connection}).assert_ok()
    assert run.task('task')['changed'] is True
    assert run.task('one')['changed'] is False
    assert len(run.task('info')['mappings']) == 1


def test_no_secret_appears_in_any_output_at_vvvv(ansible, emulator):
    user, password = 'marker@local', 'MARKER-PASSWORD-3b7e1'
    emulator.client.credentials('aria', users={user: password})
    # Writes of groups named 'failing-...' fail with a vendor error; the others succeed.
    emulator.client.fault({'type': 'status', 'status': 400, 'code': 'LCM_AUTHZN_BAD', 'message': 'nope'},
                          match={'method': 'POST', 'body_contains': 'failing-'})
    base = {'base_url': emulator.https, 'ca_path': emulator.ca_file}
    # As in real use the password comes from a variable (a vault): Ansible shows a failed task's source lines.
    explicit = dict(base, username=user, password='{{ secret }}')
    tasks = [
        task(SET, name='succeeds', mappings=[group('a', 'LCM Admin'), group('b')], **explicit),
        dict(task(SET, name='fails', mappings=[group('failing-a', 'LCM Admin'), group('failing-b')], **explicit),
             ignore_errors=True),
        task(INFO, name='info', **explicit),
        dict(task(INFO, name='rejected', username=user, password='{{ secret }}-wrong', **base), ignore_errors=True),
    ]
    run = ansible.run(tasks, verbosity=4, diff=True, extra_vars={'secret': password}).assert_ok()
    assert run.task('succeeds')['changed'] and run.task('fails')['failed']
    assert run.task('rejected')['failed'] and 'HTTP 401' in run.task('rejected')['msg']
    env_run = ansible.run([task(SET, name='env', mappings=[group('c', 'Certificate Administrator')], **base),
                           dict(task(SET, name='env fails', mappings=[group('failing-c')], **base), ignore_errors=True)],
                          verbosity=4, diff=True, env={'ARIA_LCM_USERNAME': user, 'ARIA_LCM_PASSWORD': password})
    assert env_run.assert_ok().task('env')['changed'] and env_run.task('env fails')['failed']
    for outcome in (run, env_run):
        everything = outcome.stdout + outcome.stderr + json.dumps(outcome.tasks)
        assert password not in everything
    assert sorted(state(emulator)) == ['a@example.com', 'b@example.com', 'c@example.com']


def test_the_emulator_serves_the_operations_the_modules_do_not_use(ansible, emulator):
    """PUT, the provider listing and the emulator's refusals, through ansible.builtin.uri."""
    vmid = emulator.client.seed('aria', groups=[seeded('eng', 'LCM Admin', providerIdentifier='idp-1')])['groups'][0]['vmid']

    def call(name, method, path, body=None, status=200):
        uri = {'url': emulator.https + path, 'method': method, 'url_username': USER, 'url_password': PASSWORD,
               'force_basic_auth': True, 'ca_path': emulator.ca_file, 'status_code': [status], 'return_content': True}
        if body is not None:
            uri.update(body=body, body_format='json')
        return {'name': name, 'ansible.builtin.uri': uri}

    run = ansible.run([
        call('put', 'PUT', '%s/%s' % (GROUPS, vmid), {'mappedRoles': [VMID['Certificate Administrator']], 'isDisabled': True}),
        call('provider', 'GET', GROUPS + '/providers/idp-1'),
        call('other provider', 'GET', GROUPS + '/providers/idp-2'),
        call('duplicate', 'POST', GROUPS, {'displayName': 'ENG', 'domain': DOMAIN}, status=409),
        call('role name', 'POST', GROUPS, {'displayName': 'ops', 'domain': DOMAIN, 'mappedRoles': ['LCM Admin']}, status=400),
        call('missing', 'DELETE', GROUPS + '/no-such-vmid', status=404),
    ]).assert_ok()
    put = run.task('put')['json']
    assert put['isDisabled'] is True and [r['roleName'] for r in put['roleMappings']] == ['Certificate Administrator']
    assert [g['vmid'] for g in run.task('provider')['json']] == [vmid]
    assert run.task('other provider')['json'] == []
    assert run.task('duplicate')['json']['errorCode'] == 'LCM_AUTHZN_GROUP_EXISTS_ERROR0409'
    refused = run.task('role name')['json']
    assert refused['errorCode'] == 'LCM_AUTHZN_INVALID_ROLE_ERROR0400' and 'vmids' in refused['recommendations'][0]
    assert set(run.task('missing')['json']) == {'errorCode', 'errorLabel', 'message', 'recommendations'}
    assert state(emulator) == {'eng@example.com': ['Certificate Administrator']}
