# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The access policy in the apply and audit playbooks, on all three providers at once, against the emulator:
evaluated on the state the targets will be in after the run, before any write."""

from __future__ import annotations

import datetime
import json
from xml.etree import ElementTree

import yaml

from integration.playbook_support import ARIA_HOST, ATLAS_HOST, CONFLUENT_HOST, DOMAIN, api_writes, inventory
from integration.test_review import sarif_problems

POLICY_FILES = ('policy-report.json', 'policy-report.sarif', 'policy-report.xml', 'policy-report.md')


def days_ahead(days):
    return (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=days)).isoformat()


def seed(emulator):
    """Live: platform-admins administers all three platforms (on Confluent through a role binding)."""
    org = emulator.client.state('atlas')['org_id']
    crn = 'crn://confluent.cloud/organization=%s' % emulator.client.config()['confluent']['org_id']
    (mapping,) = emulator.client.seed('confluent', group_mappings=[
        {'display_name': 'platform-admins', 'filter': '"platform-admins" in groups', 'description': ''}])['group_mappings']
    emulator.client.seed('confluent', role_bindings=[
        {'principal': 'User:' + mapping['id'], 'role_name': 'OrganizationAdmin', 'crn_pattern': crn}])
    emulator.client.seed('atlas', role_mappings=[
        {'externalGroupName': 'platform-admins', 'roleAssignments': [{'role': 'ORG_OWNER', 'orgId': org}]}])
    emulator.client.seed('aria', groups=[{'displayName': 'platform-admins', 'domain': DOMAIN, 'mappedRoles': ['LCM Cloud Admin']}])
    return org, crn


def desired(crn):
    """The change to apply: eng gets OrganizationAdmin, a mapping of every SSO user, ops gets ORG_OWNER; the item of
    platform-admins names no role_bindings, so its planned state has them only from the live read."""
    return {
        CONFLUENT_HOST: {'confluent_group_mappings': [
            {'display_name': 'platform-admins', 'filter': '"platform-admins" in groups'},
            {'display_name': 'eng', 'filter': '"eng" in groups',
             'role_bindings': [{'role_name': 'OrganizationAdmin', 'crn_pattern': crn}]},
            {'display_name': 'everyone', 'filter': 'true'}]},
        ATLAS_HOST: {'atlas_role_mappings': [
            {'external_group_name': 'platform-admins', 'role_assignments': [{'role': 'ORG_OWNER'}]},
            {'external_group_name': 'ops', 'role_assignments': [{'role': 'ORG_OWNER'}]}]},
        ARIA_HOST: {'aria_group_mappings': [{'display_name': 'platform-admins', 'domain': DOMAIN, 'mapped_roles': ['LCM Cloud Admin']}]},
    }


def policy(waivers=()):
    """Five rules of five kinds. two-org-admins holds only when platform-admins keeps its live role binding."""
    return {
        'rules': [
            {'id': 'admins-are-named', 'kind': 'allowed_groups', 'grants': {'tier': 'admin'}, 'groups': ['.*-admins'],
             'severity': 'critical'},
            {'id': 'no-match-everyone', 'kind': 'match_everyone'},
            {'id': 'two-org-admins', 'kind': 'min_groups', 'grants': {'provider': 'confluent', 'role': 'OrganizationAdmin'}, 'min': 2},
            {'id': 'one-platform', 'kind': 'max_platforms', 'grants': {'tier': 'admin'}, 'max': 1, 'enforce': False},
            {'id': 'no-lcm-admin', 'kind': 'forbidden', 'grants': {'provider': 'aria', 'role': 'LCM Admin'}},
        ],
        'waivers': list(waivers),
    }


WAIVERS = [
    {'rule': 'admins-are-named', 'group': 'eng', 'reason': 'Until eng-admins exists (SEC-1)', 'expires': days_ahead(30)},
    {'rule': 'admins-are-named', 'group': 'ops', 'host': ATLAS_HOST, 'reason': 'Atlas on-call (SEC-2)', 'expires': days_ahead(30)},
    {'rule': 'no-match-everyone', 'group': '', 'reason': 'Sandbox organization (SEC-3)', 'expires': days_ahead(30)},
    {'rule': 'one-platform', 'group': 'platform-admins', 'reason': 'Was accepted', 'expires': '2020-01-31'},
    {'rule': 'no-lcm-admin', 'group': 'nobody', 'reason': 'Matches nothing', 'expires': days_ahead(30)},
]


def hosts(emulator, crn, sso_policy, **overrides):
    found = yaml.safe_load(inventory(emulator, desired(crn), **overrides))
    found['all'] = {'vars': {'sso_policy': sso_policy}}
    return yaml.safe_dump(found, sort_keys=False)


def files(report_dir):
    return dict((p.name, p.read_text(encoding='utf-8')) for p in report_dir.iterdir()) if report_dir.exists() else {}


def findings(report):
    return sorted((f['rule'], f['status'], f['group'], f['host'], f['mapping'], f['role']) for f in report['findings'])


def published(run):
    (stats,) = [t['result']['ansible_stats']['data']['sso_mappings_policy'] for t in run.tasks
                if t['name'] == "Publish the access policy's summary and enforced violations as job artifacts (set_stats)"]
    return stats


def state(emulator):
    return {'confluent': sorted(m['display_name'] for m in emulator.client.state('confluent')['group_mappings']),
            'atlas': sorted(m['externalGroupName'] for m in emulator.client.state('atlas')['role_mappings']),
            'aria': sorted(g['displayName'] for g in emulator.client.state('aria')['groups'])}


SEEDED = {'confluent': ['platform-admins'], 'atlas': ['platform-admins'], 'aria': ['platform-admins']}
VIOLATIONS = [
    ('admins-are-named', 'violation', 'eng', CONFLUENT_HOST, 'eng', 'OrganizationAdmin'),
    ('admins-are-named', 'violation', 'ops', ATLAS_HOST, 'ops', 'ORG_OWNER'),
    ('no-match-everyone', 'violation', '', CONFLUENT_HOST, 'everyone', ''),
    ('one-platform', 'violation', 'platform-admins', '', '', ''),
]


def test_apply_evaluates_the_planned_state_and_an_enforced_violation_writes_nothing_anywhere(ansible, emulator, tmp_path):
    org, crn = seed(emulator)
    report_dir = tmp_path / 'policy'
    emulator.client.clear_requests()
    run = ansible.run(playbook='sso.mappings.apply', inventory=hosts(emulator, crn, policy()),
                      extra_vars={'policy_report_dir': str(report_dir)})
    assert run.rc != 0
    assert api_writes(emulator) == [] and state(emulator) == SEEDED
    written = files(report_dir)
    assert sorted(written) == sorted(POLICY_FILES)
    report = json.loads(written['policy-report.json'])
    assert report['evaluated'] == 'planned'
    assert [(t['host'], t['status']) for t in report['targets']] == [(ARIA_HOST, 'ok'), (ATLAS_HOST, 'ok'), (CONFLUENT_HOST, 'ok')]
    # The planned grants: eng's and ops's new admin roles, the mapping of every user; platform-admins keeps its
    # live OrganizationAdmin binding (read live: its item names no role_bindings), so two-org-admins holds.
    assert findings(report) == VIOLATIONS
    assert report['summary'] == {'violations': 4, 'enforced': 3, 'waived': 0, 'stale_waivers': 0, 'unread_targets': 0}
    assert sarif_problems(json.loads(written['policy-report.sarif'])) in ([], None)
    suites = dict((s.get('name'), s) for s in ElementTree.fromstring(written['policy-report.xml']).findall('testsuite'))
    assert suites['admins-are-named'].get('failures') == '2' and suites['two-org-admins'].get('failures') == '0'
    assert '| no-match-everyone | high | violation |' in written['policy-report.md']
    assert published(run)['summary'] == report['summary'] and len(published(run)['violations']) == 3
    # Every host fails, naming the rules and groups; none was written.
    refusals = [t for t in run.tasks if t['name'] == 'Write nothing to any host when the access policy is violated or cannot be judged'
                and t['status'] == 'failed']
    assert len(refusals) == 3
    message = refusals[0]['result']['msg']
    assert message.startswith('Nothing was written to any host: the access policy is violated: ')
    assert 'rule admins-are-named (eng, ops)' in message and 'rule no-match-everyone (everyone)' in message
    assert 'one-platform' not in message and str(report_dir / 'policy-report.md') in message
    assert not [t for t in run.tasks if t['name'] == 'Summary']

    # A malformed policy fails every host before any request.
    emulator.client.clear_requests()
    bad = policy([{'rule': 'admins-are-named', 'group': 'eng', 'reason': 'Later', 'expires': days_ahead(400)},
                  {'rule': 'no-match-everyone', 'group': '', 'expires': days_ahead(30)}])
    bad['rules'][0]['groups'] = ['(']
    refused = ansible.run(playbook='sso.mappings.apply', inventory=hosts(emulator, crn, bad),
                          extra_vars={'policy_report_dir': str(tmp_path / 'bad')})
    assert refused.rc != 0 and emulator.client.requests() == []
    failed = [t for t in refused.tasks if t['status'] == 'failed']
    assert [t['name'] for t in failed] == ['Refuse a malformed access policy before any request (sso_policy)'] * 3
    for problem in ('sso_policy.rules[0] (admins-are-named): groups[0]', 'reason is required', 'more than 366 days'):
        assert problem in failed[0]['result']['msg'], failed[0]['result']['msg']
    assert not (tmp_path / 'bad').exists()

    # The audit: the same planned state and findings, in the drift report and the policy reports; it fails on
    # the enforced violations after writing them, unless audit_fail_on_policy=false.
    for fail_on_policy in (True, False):
        audit_dir = tmp_path / ('audit-%s' % fail_on_policy)
        emulator.client.clear_requests()
        audit = ansible.run(playbook='sso.mappings.audit', inventory=hosts(emulator, crn, policy()),
                            extra_vars={'audit_report_dir': str(audit_dir), 'audit_fail_on_policy': fail_on_policy})
        assert api_writes(emulator) == []
        written = files(audit_dir)
        assert sorted(written) == sorted(('drift-report.json', 'drift-report.md') + POLICY_FILES)
        assert findings(json.loads(written['policy-report.json'])) == VIOLATIONS
        drift = json.loads(written['drift-report.json'])
        assert drift['policy']['summary'] == report['summary'] and findings(drift['policy']) == VIOLATIONS
        assert drift['hosts'][CONFLUENT_HOST]['status'] == 'drift'
        assert '## Access policy' in written['drift-report.md'] and '| admins-are-named | critical | violation | eng |' in written['drift-report.md']
        assert published(audit)['summary'] == report['summary']
        policy_failures = [t for t in audit.tasks if t['name'] == 'Fail on an enforced violation of the access policy (audit_fail_on_policy)'
                           and t['status'] == 'failed']
        if fail_on_policy:
            assert audit.rc != 0 and len(policy_failures) == 3
            assert 'rule admins-are-named (eng, ops)' in policy_failures[0]['result']['msg']
        else:
            audit.assert_ok()
            assert policy_failures == []


def test_waivers_let_the_apply_through_with_the_plan_the_policy_saw_and_an_unplanned_target_writes_nothing(ansible, emulator, tmp_path):
    org, crn = seed(emulator)
    waived = policy(WAIVERS)

    # A target that cannot be planned: the policy cannot be judged, so no host is written; the report lists it.
    emulator.client.clear_requests()
    run = ansible.run(playbook='sso.mappings.apply', inventory=hosts(emulator, crn, waived, **{ARIA_HOST: {'aria_password': 'not-the-password'}}),
                      extra_vars={'policy_report_dir': str(tmp_path / 'unread')})
    assert run.rc != 0
    assert api_writes(emulator) == [] and state(emulator) == SEEDED
    report = json.loads((tmp_path / 'unread' / 'policy-report.json').read_text(encoding='utf-8'))
    (unread,) = [t for t in report['targets'] if t['status'] == 'failed']
    assert unread['host'] == ARIA_HOST and 'HTTP 401' in unread['error']
    assert report['summary']['unread_targets'] == 1 and report['summary']['enforced'] == 0
    (refusal,) = set(t['result']['msg'] for t in run.tasks if t['status'] == 'failed'
                     and t['name'] == 'Write nothing to any host when the access policy is violated or cannot be judged')
    assert 'the access policy cannot be judged on the state after the run: 1 could not be planned (%s)' % ARIA_HOST in refusal
    assert 'not-the-password' not in run.stdout + json.dumps(run.tasks)

    # Waived, the violations let the apply through; an expired waiver does not waive (one-platform is reported, not
    # enforced), and it and an unused one are stale. Each host is applied with the plan the policy saw.
    emulator.client.clear_requests()
    report_dir = tmp_path / 'policy'
    applied = ansible.run(playbook='sso.mappings.apply', inventory=hosts(emulator, crn, waived),
                          extra_vars={'policy_report_dir': str(report_dir)}).assert_ok()
    assert state(emulator) == {'confluent': ['eng', 'everyone', 'platform-admins'], 'atlas': ['ops', 'platform-admins'],
                               'aria': ['platform-admins']}
    report = json.loads((report_dir / 'policy-report.json').read_text(encoding='utf-8'))
    assert findings(report) == [(r, 'waived' if r != 'one-platform' else s, g, h, m, x) for r, s, g, h, m, x in VIOLATIONS]
    assert sorted((w['rule'], w['group'], w['why']) for w in report['stale_waivers']) == [
        ('no-lcm-admin', 'nobody', 'unused'), ('one-platform', 'platform-admins', 'expired')]
    assert report['summary'] == {'violations': 1, 'enforced': 0, 'waived': 3, 'stale_waivers': 2, 'unread_targets': 0}
    plans = [t for t in applied.tasks if t['name'] == 'Apply exactly the plan the access policy was evaluated on']
    assert len(plans) == 3 and all(len(t['result']['ansible_facts']['sso_mappings_plan_fingerprint']) == 64 for t in plans)
    summaries = [t['result']['msg'] for t in applied.tasks if t['name'] == 'Summary']
    assert sorted(s.split(':')[0] for s in summaries if ': changed (' in s) == ['atlas-org [atlas]', 'confluent-org [confluent]']

    # Again: nothing to change, nothing written; the Confluent items without role_bindings cost one live read.
    emulator.client.clear_requests()
    again = ansible.run(playbook='sso.mappings.apply', inventory=hosts(emulator, crn, waived),
                        extra_vars={'policy_report_dir': str(report_dir)}).assert_ok()
    assert api_writes(emulator) == []
    assert all('unchanged' in t['result']['msg'] for t in again.tasks if t['name'] == 'Summary')
