# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles and the apply, audit, export and review playbooks, on all three providers at once, against the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from integration.playbook_support import ARIA_HOST, ATLAS_HOST, CONFLUENT_HOST, DOMAIN, api_writes
from integration.playbook_support import inventory as three_targets

PLAYBOOKS = Path(__file__).resolve().parents[2] / 'playbooks'
PROJECT = '6a1b2c3d4e5f60718293a4b5'


def confluent_mapping(name, description=''):
    return {'display_name': name, 'filter': '"%s" in claims.groups' % name, 'description': description}


def atlas_mapping(name, *projects):
    return {'external_group_name': name,
            'role_assignments': [{'role': 'ORG_MEMBER'}] + [{'role': 'GROUP_READ_ONLY', 'project_id': p} for p in projects]}


def aria_group(name, *roles):
    return {'display_name': name, 'domain': DOMAIN, 'mapped_roles': list(roles)}


DESIRED = {
    CONFLUENT_HOST: {'confluent_group_mappings': [confluent_mapping('engineering', 'Engineers'),
                                                  confluent_mapping('operations')]},
    ATLAS_HOST: {'atlas_role_mappings': [atlas_mapping('atlas-admins'), atlas_mapping('data-engineers', PROJECT)]},
    ARIA_HOST: {'aria_group_mappings': [aria_group('lcm-admins', 'LCM Admin'),
                                        aria_group('lcm-content', 'Content Developer', 'Content Release Manager')]},
}


def inventory(emulator, desired=None, **overrides):
    """Three hosts, one per provider, reaching the emulator over HTTPS; overrides: host -> extra variables."""
    return three_targets(emulator, DESIRED if desired is None else desired, **overrides)


def summaries(run):
    """Host -> its summary line."""
    lines = [t['result']['msg'] for t in run.tasks if t['name'] == 'Summary']
    return dict((line.split(' ', 1)[0], line) for line in lines)


def state(emulator):
    """What the emulator holds, in the modules' terms."""
    confluent = sorted((m['display_name'], m['description']) for m in emulator.client.state('confluent')['group_mappings'])
    atlas = sorted((m['externalGroupName'], len(m['roleAssignments'])) for m in emulator.client.state('atlas')['role_mappings'])
    aria = sorted((g['displayName'], tuple(sorted(r['roleName'] for r in g['roleMappings'])))
                  for g in emulator.client.state('aria')['groups'])
    return {'confluent': confluent, 'atlas': atlas, 'aria': aria}


def test_apply_converges_every_provider_then_a_second_apply_and_an_audit_change_nothing(ansible, emulator):
    hosts = inventory(emulator)
    first = ansible.run(playbook='sso.mappings.apply', inventory=hosts).assert_ok()
    lines = summaries(first)
    assert lines[CONFLUENT_HOST] == ('confluent-org [confluent]: changed (created 2, updated 0, deleted 0, unchanged 0): '
                                     'create engineering, create operations')
    assert lines[ATLAS_HOST].startswith('atlas-org [atlas]: changed (created 2,')
    assert lines[ARIA_HOST].startswith('aria-lcm [aria]: changed (created 2,')
    assert 'create lcm-admins@example.com, create lcm-content@example.com' in lines[ARIA_HOST]
    assert state(emulator) == {
        'confluent': [('engineering', 'Engineers'), ('operations', '')],
        'atlas': [('atlas-admins', 1), ('data-engineers', 2)],
        'aria': [('lcm-admins', ('LCM Admin',)), ('lcm-content', ('Content Developer', 'Content Release Manager'))],
    }

    emulator.client.clear_requests()
    second = ansible.run(playbook=str(PLAYBOOKS / 'apply.yml'), inventory=hosts).assert_ok()
    assert all(' unchanged (' in line for line in summaries(second).values()), summaries(second)
    assert api_writes(emulator) == []

    audit = ansible.run(playbook='sso.mappings.audit', inventory=hosts).assert_ok()
    report_dir = audit.run_dir / 'sso-mappings-audit'  # the default, under the cwd
    report = json.loads((report_dir / 'drift-report.json').read_text(encoding='utf-8'))
    assert report['drifted'] is False
    assert report['totals'] == {'hosts': 3, 'in_sync': 3, 'drift': 0, 'failed': 0}
    assert sorted(report['hosts']) == [ARIA_HOST, ATLAS_HOST, CONFLUENT_HOST]
    assert all(entry['changes'] == [] and entry['status'] == 'in_sync' for entry in report['hosts'].values())
    markdown = (report_dir / 'drift-report.md').read_text(encoding='utf-8')
    assert markdown.count('No drift.') == 3
    assert str(report_dir / 'drift-report.md') in audit.stdout
    assert api_writes(emulator) == []
    # Only the role's module task may report a change; the report files do not count.
    assert 'changed=0' in audit.stdout and 'changed=1' not in audit.stdout


def seed_drift(emulator):
    """Live state that differs from DESIRED on every provider."""
    org_id = emulator.client.state('atlas')['org_id']
    emulator.client.seed('confluent', group_mappings=[dict(confluent_mapping('engineering'), description='Old'),
                                                      confluent_mapping('stale', 'Left over')])
    emulator.client.seed('atlas', role_mappings=[
        {'externalGroupName': 'atlas-admins', 'roleAssignments': [{'role': 'ORG_MEMBER', 'orgId': org_id}]},
        {'externalGroupName': 'data-engineers', 'roleAssignments': [{'role': 'ORG_OWNER', 'orgId': org_id}]}])
    emulator.client.seed('aria', groups=[{'displayName': 'lcm-admins', 'domain': DOMAIN, 'mappedRoles': ['LCM Admin']},
                                         {'displayName': 'lcm-content', 'domain': DOMAIN,
                                          'mappedRoles': ['Content Developer']}])
    return org_id


def test_audit_reports_drift_per_host_and_field_writes_nothing_and_fails_when_asked(ansible, emulator, tmp_path):
    org_id = seed_drift(emulator)
    hosts = inventory(emulator, **{CONFLUENT_HOST: {'confluent_group_mappings_purge': True}})
    emulator.client.clear_requests()
    report_dir = tmp_path / 'report'
    audit = ansible.run(playbook='sso.mappings.audit', inventory=hosts,
                        extra_vars={'audit_report_dir': str(report_dir)}).assert_ok()
    assert api_writes(emulator) == []

    report = json.loads((report_dir / 'drift-report.json').read_text(encoding='utf-8'))
    assert report['drifted'] is True
    assert report['totals'] == {'hosts': 3, 'in_sync': 0, 'drift': 3, 'failed': 0}
    confluent = report['hosts'][CONFLUENT_HOST]
    assert confluent['status'] == 'drift' and confluent['provider'] == 'confluent'
    assert confluent['summary'] == {'created': 1, 'updated': 1, 'deleted': 1, 'unchanged': 0}
    changes = dict((c['key'], c) for c in confluent['changes'])
    assert [(c['action'], c['key']) for c in confluent['changes']] == [
        ('update', 'engineering'), ('create', 'operations'), ('delete', 'stale')]
    assert changes['engineering']['fields'] == {'description': {'before': 'Old', 'after': 'Engineers'}}
    assert changes['operations']['fields']['filter'] == {'before': None, 'after': '"operations" in claims.groups'}
    assert changes['stale']['fields']['display_name'] == {'before': 'stale', 'after': None}

    atlas = report['hosts'][ATLAS_HOST]
    assert [(c['action'], c['key']) for c in atlas['changes']] == [('update', 'data-engineers')]
    assert atlas['summary']['unchanged'] == 1
    assert atlas['changes'][0]['fields'] == {'role_assignments': {
        'before': [{'org_id': org_id, 'role': 'ORG_OWNER'}],
        'after': [{'project_id': PROJECT, 'role': 'GROUP_READ_ONLY'}, {'org_id': org_id, 'role': 'ORG_MEMBER'}]}}

    aria = report['hosts'][ARIA_HOST]
    assert [(c['action'], c['key']) for c in aria['changes']] == [('update', 'lcm-content@example.com')]
    assert aria['changes'][0]['fields'] == {'mapped_roles': {
        'before': ['Content Developer'], 'after': ['Content Developer', 'Content Release Manager']}}
    assert aria['summary']['unchanged'] == 1

    markdown = (report_dir / 'drift-report.md').read_text(encoding='utf-8')
    assert '## confluent-org (confluent): drift' in markdown
    assert '| Mapping | Action | Field | Live | Desired |' in markdown
    assert '| engineering | update | description | Old | Engineers |' in markdown
    assert '| stale | delete | display_name | stale | - |' in markdown
    assert ('| lcm-content@example.com | update | mapped_roles | ["Content Developer"] | '
            '["Content Developer", "Content Release Manager"] |') in markdown

    # The drift, per host, for AWX (set_stats, aggregated into the job's artifacts).
    stats = [t['result']['ansible_stats'] for t in audit.tasks if t['name'] == 'Publish the drift as job artifacts (set_stats)']
    published = {}
    for stat in stats:
        assert stat['aggregate'] is True and stat['per_host'] is False
        published.update(stat['data']['sso_mappings_drift'])
    assert published == report['hosts']
    lines = summaries(audit)
    assert lines[CONFLUENT_HOST].startswith('confluent-org [confluent]: drift (to create 1, to update 1, to delete 1,')

    # Asked to fail on drift: the report is still written first.
    for path in report_dir.iterdir():
        path.unlink()
    failing = ansible.run(playbook=str(PLAYBOOKS / 'audit.yml'), inventory=hosts,
                          extra_vars={'audit_report_dir': str(report_dir), 'audit_fail_on_drift': True})
    assert failing.rc != 0
    assert json.loads((report_dir / 'drift-report.json').read_text(encoding='utf-8'))['drifted'] is True
    failed = [t for t in failing.tasks if t['status'] == 'failed']
    assert len(failed) == 3
    assert all(str(report_dir / 'drift-report.md') in t['result']['msg'] for t in failed)
    assert api_writes(emulator) == []
    assert len(emulator.client.state('confluent')['group_mappings']) == 2


def test_export_then_apply_changes_nothing_and_two_exports_are_byte_identical(ansible, emulator, tmp_path):
    org_id = emulator.client.state('atlas')['org_id']
    seeded = emulator.client.seed('confluent', group_mappings=[confluent_mapping('zeta', 'Last'),
                                                               confluent_mapping('alpha')])['group_mappings']
    principal = 'User:' + next(m['id'] for m in seeded if m['display_name'] == 'alpha')
    crn = 'crn://confluent.cloud/organization=%s/environment=env-1' % emulator.client.config()['confluent']['org_id']
    emulator.client.seed('confluent', role_bindings=[{'principal': principal, 'role_name': 'EnvironmentAdmin',
                                                      'crn_pattern': crn}])
    emulator.client.seed('atlas', role_mappings=[{'externalGroupName': 'data', 'roleAssignments': [
        {'role': 'GROUP_READ_ONLY', 'groupId': PROJECT}, {'role': 'ORG_MEMBER', 'orgId': org_id}]}])
    emulator.client.seed('aria', groups=[{'displayName': 'lcm-admins', 'domain': DOMAIN, 'groupType': 'ALL_USERS',
                                          'mappedRoles': ['Certificate Administrator', 'LCM Admin'],
                                          'groupMetadata': {'distinguishedName': 'CN=lcm-admins,DC=example,DC=com'}}])

    first, second = tmp_path / 'first', tmp_path / 'second'
    for directory in (first, second):
        directory.mkdir()
        (directory / 'hosts.yml').write_text(inventory(emulator, desired={}), encoding='utf-8')
    ansible.run(playbook='sso.mappings.export', inventory=first / 'hosts.yml',
                extra_vars={'export_dir': str(first)}).assert_ok()
    exported = dict((path.name, path.read_bytes()) for path in sorted((first / 'host_vars').iterdir()))
    assert sorted(exported) == ['aria-lcm.yml', 'atlas-org.yml', 'confluent-org.yml']

    confluent = yaml.safe_load(exported['confluent-org.yml'])
    assert confluent == {'confluent_group_mappings': [
        {'description': '', 'display_name': 'alpha', 'filter': '"alpha" in claims.groups',
         'role_bindings': [{'crn_pattern': crn, 'role_name': 'EnvironmentAdmin'}]},
        {'description': 'Last', 'display_name': 'zeta', 'filter': '"zeta" in claims.groups', 'role_bindings': []}]}
    atlas = yaml.safe_load(exported['atlas-org.yml'])['atlas_role_mappings']
    assert atlas == [{'external_group_name': 'data', 'role_assignments': [
        {'project_id': PROJECT, 'role': 'GROUP_READ_ONLY'}, {'org_id': org_id, 'role': 'ORG_MEMBER'}]}]
    aria = yaml.safe_load(exported['aria-lcm.yml'])['aria_group_mappings']
    assert 'vmid' not in aria[0]
    assert aria[0]['mapped_roles'] == ['Certificate Administrator', 'LCM Admin']
    assert aria[0]['group_metadata'] == {'distinguished_name': 'CN=lcm-admins,DC=example,DC=com'}
    for text in exported.values():
        for read_only in (b'id:', b'principal:', b'status:', b'vmid:'):
            assert read_only not in text.replace(b'_id:', b'')

    # The export is the desired state: applying it changes nothing.
    emulator.client.clear_requests()
    applied = ansible.run(playbook=str(PLAYBOOKS / 'apply.yml'), inventory=first / 'hosts.yml').assert_ok()
    assert all(' unchanged (' in line for line in summaries(applied).values()), summaries(applied)
    assert len(summaries(applied)) == 3
    assert api_writes(emulator) == []

    ansible.run(playbook=str(PLAYBOOKS / 'export.yml'), inventory=second / 'hosts.yml',
                extra_vars={'export_dir': str(second)}).assert_ok()
    again = dict((path.name, path.read_bytes()) for path in sorted((second / 'host_vars').iterdir()))
    assert again == exported


def test_argument_specs_reject_wrong_types_and_unknown_keys_naming_the_variable_and_item(ansible, emulator):
    hosts = inventory(emulator, desired={
        CONFLUENT_HOST: {'confluent_group_mappings': [confluent_mapping('fine'),
                                                      {'display_name': 'typo', 'filtr': '"x" in claims.groups'}]},
        ATLAS_HOST: {'atlas_role_mappings': DESIRED[ATLAS_HOST]['atlas_role_mappings'],
                     'atlas_role_mappings_purge': 'sometimes'},
        ARIA_HOST: {'aria_group_mappings': [dict(aria_group('lcm-admins', 'LCM Admin'), is_disabled='perhaps')]},
    })
    run = ansible.run(playbook='sso.mappings.apply', inventory=hosts)
    assert run.rc != 0
    lines = summaries(run)
    assert 'FAILED' in lines[CONFLUENT_HOST]
    assert 'confluent_group_mappings.filtr' in lines[CONFLUENT_HOST]
    assert "confluent_group_mappings[1] (typo): unknown key 'filtr'" in lines[CONFLUENT_HOST]
    assert "argument 'atlas_role_mappings_purge' is of type str" in lines[ATLAS_HOST]
    assert 'aria_group_mappings[0] (lcm-admins@example.com): is_disabled must be a boolean' in lines[ARIA_HOST]
    assert emulator.client.requests() == []

    # A list where a string belongs would be turned into a string silently; the role refuses it.
    silent = inventory(emulator, desired={CONFLUENT_HOST: {'confluent_group_mappings': [
        dict(confluent_mapping('listed'), description=['not', 'a', 'string'])]}})
    refused = ansible.run(playbook='sso.mappings.apply', inventory=silent, args=['--limit', CONFLUENT_HOST])
    assert refused.rc != 0
    assert ('confluent_group_mappings[0] (listed): description must be a string, got a list'
            in summaries(refused)[CONFLUENT_HOST])
    assert emulator.client.requests() == []


def test_a_host_that_fails_does_not_stop_the_others(ansible, emulator):
    hosts = inventory(emulator, **{CONFLUENT_HOST: {'confluent_api_secret': 'wrong-secret'}})
    run = ansible.run(playbook='sso.mappings.apply', inventory=hosts)
    assert run.rc != 0
    lines = summaries(run)
    assert lines[CONFLUENT_HOST].startswith('confluent-org [confluent]: FAILED: ')
    assert 'HTTP 401' in lines[CONFLUENT_HOST]
    assert 'wrong-secret' not in run.stdout + run.stderr + json.dumps(run.tasks)
    assert lines[ATLAS_HOST].startswith('atlas-org [atlas]: changed (created 2,')
    assert lines[ARIA_HOST].startswith('aria-lcm [aria]: changed (created 2,')
    current = state(emulator)
    assert current['confluent'] == []
    assert current['atlas'] == [('atlas-admins', 1), ('data-engineers', 2)]
    assert len(current['aria']) == 2
    recap = run.stdout[run.stdout.index('PLAY RECAP'):]
    assert any(line.startswith(CONFLUENT_HOST) and 'failed=1' in line for line in recap.splitlines())
    assert any(line.startswith(ATLAS_HOST) and 'failed=0' in line for line in recap.splitlines())


@pytest.mark.parametrize('playbook', ['apply', 'audit', 'export', 'review'])
def test_without_a_provider_host_each_playbook_succeeds_without_a_request(ansible, emulator, tmp_path, playbook):
    run = ansible.run(playbook='sso.mappings.%s' % playbook, inventory='[other]\nsomewhere\n',
                      extra_vars={'audit_report_dir': str(tmp_path / 'r'), 'export_dir': str(tmp_path / 'e'),
                                  'review_report_dir': str(tmp_path / 'v')})
    run.assert_ok()
    assert emulator.client.requests() == []
