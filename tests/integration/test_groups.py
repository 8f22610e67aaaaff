# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sso_groups, one declaration per identity-provider group, through the apply, audit and export playbooks against
the emulator: two Confluent organizations (a second emulator serves the second), an Atlas organization and an Aria
appliance."""

from __future__ import annotations

import datetime
import json

import pytest
import yaml

from emulator.atlas import DEFAULT_PROJECTS
from emulator.client import start_emulator
from integration.playbook_support import ARIA_HOST, ATLAS_HOST, CONFLUENT_HOST, DOMAIN, api_writes
from integration.playbook_support import inventory as three_targets

SECOND_HOST = 'confluent-org2'  # a second Confluent organization, served by a second emulator
SECOND_ORG = 'c0ffee00-0000-4000-8000-000000000002'
DATA = DEFAULT_PROJECTS['data-platform']
ODD = 'quote"back\\slash'  # a group name that must be escaped in a CEL string
TODAY = datetime.datetime.now(datetime.timezone.utc).date()


@pytest.fixture(scope='module')
def second_emulator(tmp_path_factory):
    with start_emulator(tmp_path_factory.mktemp('second-org')) as running:
        yield running


@pytest.fixture
def second(second_emulator):
    second_emulator.client.reset()
    second_emulator.client.config(confluent={'org_id': SECOND_ORG})
    return second_emulator


def org_of(emulator):
    return emulator.client.config()['confluent']['org_id']


def write_inventory(directory, emulator, second, catalogue, host_vars=None):
    """An inventory directory: hosts.yml with the four targets (each Confluent organization's id in its
    confluent_organization_id), group_vars/all/sso_groups.yml, and each host's variables in host_vars/
    (the YAML as users write it: dates unquoted)."""
    directory.mkdir(parents=True, exist_ok=True)
    hosts = yaml.safe_load(three_targets(emulator, {}))
    hosts['confluent']['hosts'][CONFLUENT_HOST]['confluent_organization_id'] = org_of(emulator)
    hosts['confluent']['hosts'][SECOND_HOST] = dict(
        hosts['confluent']['hosts'][CONFLUENT_HOST], confluent_base_url=second.https, confluent_ca_path=second.ca_file,
        confluent_organization_id=SECOND_ORG)
    (directory / 'hosts.yml').write_text(yaml.safe_dump(hosts, sort_keys=False), encoding='utf-8')
    (directory / 'group_vars' / 'all').mkdir(parents=True, exist_ok=True)
    (directory / 'group_vars' / 'all' / 'sso_groups.yml').write_text(
        yaml.safe_dump({'sso_groups': catalogue}, sort_keys=False), encoding='utf-8')
    # confluent_organization_id is defined on the Confluent hosts alone: the Atlas and Aria hosts never need it.
    (directory / 'host_vars').mkdir(exist_ok=True)
    for host, variables in (host_vars or {}).items():
        (directory / 'host_vars' / ('%s.yml' % host)).write_text(yaml.safe_dump(variables), encoding='utf-8')
    return directory / 'hosts.yml'


def summaries(run):
    lines = [t['result']['msg'] for t in run.tasks if t['name'] == 'Summary']
    return dict((line.split(' ', 1)[0], line) for line in lines)


def warnings(run):
    """Every warning a task showed, as text."""
    return [str(warning) for task in run.tasks for warning in task['result'].get('warnings') or []]


def confluent_state(emulator):
    """display_name -> (filter, description, bindings as (role, crn)) of one organization."""
    state = emulator.client.state('confluent')
    bindings = {}
    for binding in state['role_bindings']:
        bindings.setdefault(binding['principal'], set()).add((binding['role_name'], binding['crn_pattern']))
    return dict((m['display_name'], (m['filter'], m['description'], sorted(bindings.get('User:' + m['id'], ()))))
                for m in state['group_mappings'])


def atlas_state(emulator):
    return dict((m['externalGroupName'], sorted((a['role'], a.get('orgId') or a.get('groupId')) for a in m['roleAssignments']))
                for m in emulator.client.state('atlas')['role_mappings'])


def aria_state(emulator):
    return dict(('%s@%s' % (g['displayName'], g['domain']), sorted(r['roleName'] for r in g['roleMappings']))
                for g in emulator.client.state('aria')['groups'])


def catalogue(expires=None, **changes):
    groups = {
        'platform-admins': {
            'description': 'Platform on-call',
            'owner': 'platform-team@example.com',
            'confluent': {'role_bindings': [{'role_name': 'OrganizationAdmin',
                                             'crn_pattern': 'crn://confluent.cloud/organization={{ confluent_organization_id }}'}]},
            'atlas': {'role_assignments': [{'role': 'ORG_OWNER'}, {'role': 'GROUP_OWNER', 'project_name': 'data-platform'}]},
            'aria': {'domain': DOMAIN, 'mapped_roles': ['LCM Cloud Admin']},
        },
        # Only on some targets; a Confluent key with no fields still declares the mapping.
        'data-readers': {'hosts': [SECOND_HOST, ATLAS_HOST], 'confluent': None,
                         'atlas': {'role_assignments': [{'role': 'ORG_READ_ONLY'}]}},
        ODD: {'hosts': CONFLUENT_HOST, 'confluent': {'description': 'Its own description'}},
    }
    if expires is not None:
        groups['platform-admins']['expires'] = expires
    for group, entry in changes.items():
        groups[group] = entry
    return groups


OWN = {  # the hosts' own lists, next to the catalogue
    CONFLUENT_HOST: {'confluent_groups_claim': 'claims.groups',
                     'confluent_group_mappings': [{'display_name': 'legacy', 'filter': '"a" in groups || "b" in groups'}]},
    ATLAS_HOST: {'atlas_role_mappings': [{'external_group_name': 'atlas-own', 'role_assignments': [{'role': 'ORG_MEMBER'}]}]},
    ARIA_HOST: {'aria_group_mappings': [{'display_name': 'lcm-content', 'domain': DOMAIN, 'mapped_roles': ['Content Developer']}]},
}


def all_writes(emulator, second):
    return api_writes(emulator) + second.client.writes()


def test_one_declaration_lands_on_every_platform_then_no_change_and_drift_shows_in_audit_and_check_mode(
        ansible, emulator, second, tmp_path):
    org = emulator.client.state('atlas')['org_id']
    soon = TODAY + datetime.timedelta(days=5)
    hosts = write_inventory(tmp_path / 'inventory', emulator, second, catalogue(expires=soon), OWN)
    first = ansible.run(playbook='sso.mappings.apply', inventory=hosts).assert_ok()

    # Each platform got the group's mapping, next to the host's own list; hosts limits data-readers and ODD.
    assert confluent_state(emulator) == {
        'platform-admins': ('"platform-admins" in claims.groups', 'Platform on-call',
                            [('OrganizationAdmin', 'crn://confluent.cloud/organization=%s' % org_of(emulator))]),
        ODD: ('"quote\\"back\\\\slash" in claims.groups', 'Its own description', []),
        'legacy': ('"a" in groups || "b" in groups', '', []),
    }
    assert confluent_state(second) == {
        'platform-admins': ('"platform-admins" in groups', 'Platform on-call',
                            [('OrganizationAdmin', 'crn://confluent.cloud/organization=%s' % SECOND_ORG)]),
        'data-readers': ('"data-readers" in groups', '', []),
    }
    assert atlas_state(emulator) == {
        'platform-admins': [('GROUP_OWNER', DATA), ('ORG_OWNER', org)],
        'data-readers': [('ORG_READ_ONLY', org)],
        'atlas-own': [('ORG_MEMBER', org)],
    }
    assert aria_state(emulator) == {'platform-admins@' + DOMAIN: ['LCM Cloud Admin'],
                                    'lcm-content@' + DOMAIN: ['Content Developer']}
    # What the module sent: the escaped filter, as written, in the create request.
    created = [r['body'] for r in emulator.client.requests() if r['method'] == 'POST' and r['path'].endswith('/group-mappings')]
    assert {'display_name': ODD, 'filter': '"quote\\"back\\\\slash" in claims.groups',
            'description': 'Its own description'} in created
    lines = summaries(first)
    assert lines[SECOND_HOST].startswith('confluent-org2 [confluent]: changed (created 2,')
    assert lines[ATLAS_HOST].startswith('atlas-org [atlas]: changed (created 3,')
    # The group that expires soon is named by apply, on every host it goes to.
    expiring = "sso_groups: group 'platform-admins' expires on %s, in 5 days" % soon.isoformat()
    shown = [w for w in warnings(first) if expiring in w]
    assert sorted(w.rsplit(' ', 1)[1] for w in shown) == sorted([CONFLUENT_HOST, SECOND_HOST, ATLAS_HOST, ARIA_HOST])
    assert expiring in first.stdout + first.stderr and '[WARNING]' in first.stdout + first.stderr

    # A second run changes nothing and writes nothing.
    emulator.client.clear_requests()
    second.client.clear_requests()
    again = ansible.run(playbook='sso.mappings.apply', inventory=hosts).assert_ok()
    assert all(' unchanged (' in line for line in summaries(again).values()) and len(summaries(again)) == 4
    assert all_writes(emulator, second) == []

    # The catalogue changes: audit and check mode show the drift on every target, and write nothing.
    changed = catalogue(expires=soon)
    changed['platform-admins']['description'] = 'Platform on-call team'
    changed['platform-admins']['atlas']['role_assignments'] = [{'role': 'ORG_OWNER'}]
    changed['platform-admins']['aria']['mapped_roles'] = ['LCM Admin', 'LCM Cloud Admin']
    hosts = write_inventory(tmp_path / 'inventory', emulator, second, changed, OWN)
    report_dir = tmp_path / 'audit'
    audit = ansible.run(playbook='sso.mappings.audit', inventory=hosts,
                        extra_vars={'audit_report_dir': str(report_dir)}).assert_ok()
    report = json.loads((report_dir / 'drift-report.json').read_text(encoding='utf-8'))
    assert report['totals'] == {'hosts': 4, 'in_sync': 0, 'drift': 4, 'failed': 0}
    for host in (CONFLUENT_HOST, SECOND_HOST):
        (change,) = report['hosts'][host]['changes']
        assert (change['action'], change['key']) == ('update', 'platform-admins')
        assert change['fields'] == {'description': {'before': 'Platform on-call', 'after': 'Platform on-call team'}}
    assert report['hosts'][ATLAS_HOST]['changes'][0]['fields']['role_assignments']['after'] == [
        {'org_id': org, 'role': 'ORG_OWNER'}]
    assert report['hosts'][ARIA_HOST]['changes'][0]['fields'] == {
        'mapped_roles': {'before': ['LCM Cloud Admin'], 'after': ['LCM Admin', 'LCM Cloud Admin']}}
    assert expiring in audit.stdout + audit.stderr
    checked = ansible.run(playbook='sso.mappings.apply', inventory=hosts, check=True).assert_ok()
    assert all(line.split(': ', 1)[1].startswith('drift (to create 0, to update 1, to delete 0,')
               for line in summaries(checked).values()), summaries(checked)
    assert all_writes(emulator, second) == []


def test_an_expired_group_is_removed_from_every_target_with_its_bindings_without_purge(
        ansible, emulator, second, tmp_path):
    org = emulator.client.state('atlas')['org_id']
    for target in (emulator, second):
        mappings = target.client.seed('confluent', group_mappings=[
            {'display_name': 'platform-admins', 'filter': '"platform-admins" in groups', 'description': ''},
            {'display_name': 'stays', 'filter': '"stays" in groups', 'description': ''}])['group_mappings']
        target.client.seed('confluent', role_bindings=[{
            'principal': 'User:' + mappings[0]['id'], 'role_name': 'OrganizationAdmin',
            'crn_pattern': 'crn://confluent.cloud/organization=%s' % org_of(target)}])
    emulator.client.seed('atlas', role_mappings=[
        {'externalGroupName': 'platform-admins', 'roleAssignments': [{'role': 'ORG_OWNER', 'orgId': org}]},
        {'externalGroupName': 'stays', 'roleAssignments': [{'role': 'ORG_MEMBER', 'orgId': org}]}])
    emulator.client.seed('aria', groups=[{'displayName': 'platform-admins', 'domain': DOMAIN, 'mappedRoles': ['LCM Admin']}])
    yesterday = TODAY - datetime.timedelta(days=1)
    hosts = write_inventory(tmp_path / 'inventory', emulator, second, {
        'platform-admins': dict(catalogue()['platform-admins'], expires=yesterday)})
    emulator.client.clear_requests()
    second.client.clear_requests()
    run = ansible.run(playbook='sso.mappings.apply', inventory=hosts).assert_ok()

    for target in (emulator, second):
        assert list(confluent_state(target)) == ['stays']
        assert target.client.state('confluent')['role_bindings'] == []
        # The binding first, then the mapping.
        deletes = [(r['method'], r['path'].rsplit('/', 1)[0]) for r in target.client.writes() if r['provider'] == 'confluent']
        assert deletes == [('DELETE', '/iam/v2/role-bindings'), ('DELETE', '/iam/v2/sso/group-mappings')]
    assert list(atlas_state(emulator)) == ['stays']
    assert aria_state(emulator) == {}
    expired = "sso_groups: group 'platform-admins' expired on %s: its mappings are removed from" % yesterday.isoformat()
    assert sum(1 for w in warnings(run) if expired in w) == 4
    assert all(' (created 0, updated 0, deleted 1, unchanged 0): delete platform-admins' in line
               for line in summaries(run).values()), summaries(run)


def test_bad_entries_and_duplicate_identities_fail_before_any_request_naming_group_and_key(
        ansible, emulator, second, tmp_path):
    bad = {
        'typo': {'confluent': {'filtr': '"typo" in groups'}},
        'wrong-type': {'atlas': {'role_assignments': 'ORG_OWNER'}},
        'no-such-platform': {'gcp': {}},
        'not-a-date': {'expires': '30/06/2027', 'aria': {'domain': DOMAIN}},
        'stray-host': {'hosts': [ATLAS_HOST], 'confluent': None},
        'no-domain': {'aria': None},
        # A variable no host defines: only the Confluent hosts, which this key goes to, are failed for it.
        'undefined': {'confluent': {'description': '{{ nowhere_defined }}'}, 'atlas': None},
    }
    duplicates = {
        'legacy': {'confluent': None},  # also in the Confluent host's own list
        'one': {'atlas': {'role_assignments': [{'role': 'ORG_MEMBER'}]}},
        'two': {'atlas': {'external_group_name': 'one', 'role_assignments': [{'role': 'ORG_MEMBER'}]}},
    }
    hosts = write_inventory(tmp_path / 'inventory', emulator, second, dict(bad, **duplicates), OWN)
    emulator.client.clear_requests()
    second.client.clear_requests()
    run = ansible.run(playbook='sso.mappings.apply', inventory=hosts)
    assert run.rc != 0
    assert emulator.client.requests() == [] and second.client.requests() == []
    lines = summaries(run)
    expected = [
        "sso_groups.typo.confluent: unknown key 'filtr' (valid keys: description, display_name, filter, role_bindings)",
        'sso_groups.wrong-type.atlas: role_assignments must be a list, got a string',
        "sso_groups.no-such-platform: unknown key 'gcp' (valid keys: aria, atlas, confluent, description, expires, hosts, owner)",
        "sso_groups.not-a-date: expires must be a date (YYYY-MM-DD), got '30/06/2027'",
        "sso_groups.stray-host: hosts: 'atlas-org' is in none of the inventory groups of the platforms the entry names "
        "(confluent)",
        'sso_groups.no-domain.aria: domain is required',
    ]
    for host in (CONFLUENT_HOST, SECOND_HOST, ATLAS_HOST, ARIA_HOST):
        assert 'FAILED' in lines[host]
        for problem in expected:
            assert problem in lines[host], (problem, lines[host])
    assert ("sso_groups.legacy.confluent and confluent_group_mappings[0] both declare the Confluent group mapping "
            "'legacy' on confluent-org; declare each once") in lines[CONFLUENT_HOST]
    assert ("sso_groups.one.atlas and sso_groups.two.atlas both declare the Atlas role mapping 'one' on atlas-org; "
            "declare each once") in lines[ATLAS_HOST]
    assert 'both declare' not in lines[SECOND_HOST] + lines[ARIA_HOST]
    for host in (CONFLUENT_HOST, SECOND_HOST):
        assert "sso_groups.undefined.confluent: 'nowhere_defined' is undefined" in lines[host], lines[host]
    assert 'sso_groups.undefined' not in lines[ATLAS_HOST] + lines[ARIA_HOST]


def test_the_groups_export_round_trips_apply_right_after_changes_nothing(ansible, emulator, second, tmp_path):
    org = emulator.client.state('atlas')['org_id']
    crn = 'crn://confluent.cloud/organization=%s' % org_of(emulator)
    seeded = emulator.client.seed('confluent', group_mappings=[
        # This organization's filters use claims.groups: the export sets its confluent_groups_claim.
        {'display_name': 'platform-admins', 'filter': '"platform-admins" in claims.groups', 'description': 'On-call'},
        {'display_name': 'eng', 'filter': '"eng" in claims.groups', 'description': ''},
        {'display_name': 'ops', 'filter': '"ops" in claims.groups', 'description': 'Operations'},
        {'display_name': 'multi', 'filter': '"a" in claims.groups || "b" in claims.groups', 'description': ''},
        {'display_name': 'by-hand', 'filter': '"admins" in claims.groups', 'description': ''},
    ])['group_mappings']
    emulator.client.seed('confluent', role_bindings=[
        {'principal': 'User:' + seeded[1]['id'], 'role_name': 'EnvironmentAdmin', 'crn_pattern': crn + '/environment=env-1'}])
    second.client.seed('confluent', group_mappings=[
        {'display_name': 'platform-admins', 'filter': '"platform-admins" in groups', 'description': 'On-call'},
        {'display_name': 'eng', 'filter': '"eng" in groups', 'description': ''},
        {'display_name': 'audit', 'filter': "'audit' in groups", 'description': ''}])
    emulator.client.seed('atlas', role_mappings=[
        {'externalGroupName': 'platform-admins', 'roleAssignments': [{'role': 'ORG_OWNER', 'orgId': org},
                                                                     {'role': 'GROUP_OWNER', 'groupId': DATA}]},
        {'externalGroupName': 'ops', 'roleAssignments': [{'role': 'ORG_MEMBER', 'orgId': org}]}])
    emulator.client.seed('aria', groups=[
        {'displayName': 'platform-admins', 'domain': DOMAIN, 'mappedRoles': ['LCM Cloud Admin']}])

    export_dir = tmp_path / 'export'
    hosts = write_inventory(export_dir, emulator, second, {})
    (export_dir / 'group_vars' / 'all' / 'sso_groups.yml').unlink()
    # A host that cannot be read: the catalogue would be wrong without it, so nothing is written.
    second.client.credentials('confluent', api_keys={})
    failed = ansible.run(playbook='sso.mappings.export', inventory=hosts,
                         extra_vars={'export_dir': str(export_dir), 'export_format': 'groups'})
    assert failed.rc != 0 and 'could not be read' in failed.stdout and SECOND_HOST in failed.stdout
    assert not (export_dir / 'group_vars' / 'all' / 'sso_groups.yml').exists()
    assert sorted(p.name for p in (export_dir / 'host_vars').iterdir()) == []
    second.client.credentials('confluent', api_keys={'EMULATOR-KEY': 'emulator-secret'})
    ansible.run(playbook='sso.mappings.export', inventory=hosts,
                extra_vars={'export_dir': str(export_dir), 'export_format': 'groups'}).assert_ok()

    exported = yaml.safe_load((export_dir / 'group_vars' / 'all' / 'sso_groups.yml').read_text(encoding='utf-8'))
    assert exported == {'sso_groups': {
        'audit': {'hosts': [SECOND_HOST], 'confluent': {'filter': "'audit' in groups", 'role_bindings': []}},
        'ops': {'description': 'Operations', 'hosts': [ATLAS_HOST, CONFLUENT_HOST],
                'confluent': {'role_bindings': []}, 'atlas': {'role_assignments': [{'role': 'ORG_MEMBER'}]}},
        'platform-admins': {
            'description': 'On-call',
            'confluent': {'role_bindings': []},
            'atlas': {'role_assignments': [{'role': 'ORG_OWNER'}, {'project_name': 'data-platform', 'role': 'GROUP_OWNER'}]},
            'aria': {'domain': DOMAIN, 'is_disabled': False, 'mapped_roles': ['LCM Cloud Admin']},
        },
        # eng has other role bindings on each organization: it stays in the hosts' variables, as do the mappings
        # whose filter tests several groups (multi) or another group than their name (by-hand).
    }}
    first = yaml.safe_load((export_dir / 'host_vars' / ('%s.yml' % CONFLUENT_HOST)).read_text(encoding='utf-8'))
    assert first['confluent_groups_claim'] == 'claims.groups'
    assert [m['display_name'] for m in first['confluent_group_mappings']] == ['by-hand', 'eng', 'multi']
    second_vars = yaml.safe_load((export_dir / 'host_vars' / ('%s.yml' % SECOND_HOST)).read_text(encoding='utf-8'))
    assert second_vars == {'confluent_group_mappings': [
        {'description': '', 'display_name': 'eng', 'filter': '"eng" in groups', 'role_bindings': []}]}
    for host, variable in ((ATLAS_HOST, 'atlas_role_mappings'), (ARIA_HOST, 'aria_group_mappings')):
        variables = yaml.safe_load((export_dir / 'host_vars' / ('%s.yml' % host)).read_text(encoding='utf-8'))
        assert variables == {variable: []}

    emulator.client.clear_requests()
    second.client.clear_requests()
    applied = ansible.run(playbook='sso.mappings.apply', inventory=hosts).assert_ok()
    assert all(' unchanged (' in line for line in summaries(applied).values()) and len(summaries(applied)) == 4
    assert all_writes(emulator, second) == []
