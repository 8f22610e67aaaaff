# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Safe apply, for every provider: ``max_deletions`` and ``allow_empty_purge`` refuse a plan before any
write, in check mode too, and ``plan_fingerprint`` applies exactly the plan that was reviewed; through
the set modules, the roles' variables and the audit and apply playbooks.

The set modules' refusals run at -vvvv with marker secrets and are recorded for docs/reliability.md
(category ``refusal``) when SSO_RELIABILITY_RECORD is set (scripts/reliability-report).
"""

from __future__ import annotations

import json

from integration.playbook_support import ARIA_HOST, ATLAS_HOST, CONFLUENT_HOST, api_writes
from integration.playbook_support import inventory as three_targets
from support import profiles, reliability

HOSTS = {'confluent': CONFLUENT_HOST, 'atlas': ATLAS_HOST, 'aria': ARIA_HOST}
MODULE_VARIABLES = {'confluent': 'confluent_group_mappings', 'atlas': 'atlas_role_mappings', 'aria': 'aria_group_mappings'}
PROFILES = dict((name, profiles.profile(name)) for name in profiles.PROVIDERS)


def set_task(profile, emulator, markers, name, mappings, check=False, **options):
    task = {'name': name, profile.set_module: dict(profile.connection(emulator, markers), mappings=mappings, **options),
            'ignore_errors': True}
    if check:
        task['check_mode'] = True
    return task


def run(ansible, markers, tasks, **kwargs):
    result = ansible.run(tasks, verbosity=4, extra_vars=dict(markers.extra_vars, **kwargs.pop('extra_vars', {})), **kwargs)
    assert result.rc == 0, result.output()
    return result


def writes(profile, emulator):
    return [(e['method'], e['path']) for e in emulator.client.requests() if profile.kind(e) == 'write']


def record(profile, scenario, refusals, sent, result, markers):
    """One scenario's figures for docs/reliability.md: ``refusals`` runs meant to be refused, and whether any wrote."""
    reliability.record({'category': 'refusal', 'provider': profile.name, 'scenario': scenario, 'refusals': refusals,
                        'refused_before_any_write': 0 if sent else refusals, 'runs': refusals,
                        'secrets_leaked': len(reliability.leaks(result, markers.secrets()))})


def profile_resource(profile):
    return {'confluent': 'group mapping', 'atlas': 'role mapping', 'aria': 'group'}[profile.name]


def names(profile, numbers, prefix='grp'):
    return [profile.key(profile.item(n, prefix=prefix)) for n in numbers]


def target(profile, emulator):
    """The target as the set modules document it in the plan fingerprint."""
    base_url = emulator.https.rstrip('/')
    if profile.name == 'confluent':
        org_id = emulator.client.config()['confluent']['org_id']
        return {'base_url': base_url, 'organization': 'crn://confluent.cloud/organization=%s' % org_id}
    if profile.name == 'atlas':
        org_id, federation_settings_id = profile.scope(emulator)
        return {'base_url': base_url, 'org_id': org_id.lower(), 'federation_settings_id': federation_settings_id.lower()}
    return {'base_url': base_url}


# -- the set modules ---------------------------------------------------------------------------------

def test_over_the_limit_fails_with_zero_writes_also_in_check_mode_and_at_the_limit_applies(ansible, emulator, profile, markers):
    profile.seed(emulator, [profile.api_item(n) for n in range(3)] + [profile.api_item(n, prefix='old') for n in range(3)])
    desired = [profile.item(n) for n in range(4)]
    stale = names(profile, range(3), prefix='old')
    refused = run(ansible, markers, [
        set_task(profile, emulator, markers, 'check mode', desired, check=True, purge=True, max_deletions=2),
        set_task(profile, emulator, markers, 'real run', desired, purge=True, max_deletions=2),
        set_task(profile, emulator, markers, 'no deletion allowed', desired, purge=True, max_deletions=0),
    ])
    sent = writes(profile, emulator)
    record(profile, 'deletions over max_deletions (check mode and real run)', 3, sent, refused, markers)
    assert sent == []
    outcomes = [refused.task(name) for name in ('check mode', 'real run', 'no deletion allowed')]
    for outcome, limit in zip(outcomes, (2, 2, 0), strict=True):
        assert outcome['failed'] and not outcome['changed']
        assert ('the plan deletes 3 %ss, more than max_deletions (%d): %s. Nothing was changed.'
                % (profile_resource(profile), limit, ', '.join(stale))) in outcome['msg']
    # Refused, the plan still has its fingerprint: the same in check mode and in the real run.
    assert outcomes[0]['plan_fingerprint'] == outcomes[1]['plan_fingerprint'] == outcomes[2]['plan_fingerprint']
    assert not reliability.leaks(refused, markers.secrets())

    applied = run(ansible, markers, [set_task(profile, emulator, markers, 'at the limit', desired, purge=True,
                                              max_deletions=3)])
    outcome = applied.task('at the limit')
    assert not outcome.get('failed'), outcome
    assert outcome['summary'] == {'created': 1, 'updated': 0, 'deleted': 3, 'unchanged': 3}
    assert sorted(profile.state(emulator)) == profile.desired_state(desired)


def test_an_empty_purge_is_refused_with_zero_writes_and_allowed_with_the_flag(ansible, emulator, profile, markers):
    profile.seed(emulator, [profile.api_item(n) for n in range(3)])
    refused = run(ansible, markers, [
        set_task(profile, emulator, markers, 'check mode', [], check=True, purge=True),
        set_task(profile, emulator, markers, 'real run', [], purge=True),
    ])
    sent = writes(profile, emulator)
    record(profile, 'purge with an empty list, without allow_empty_purge', 2, sent, refused, markers)
    assert sent == []
    resource = profile_resource(profile)
    expected = ('purge with an empty mappings list would delete every %s there is, 3 %ss (%s). Nothing was changed.'
                % (resource, resource, ', '.join(names(profile, range(3)))))
    for name in ('check mode', 'real run'):
        outcome = refused.task(name)
        assert outcome['failed'] and not outcome['changed']
        assert expected in outcome['msg'] and 'allow_empty_purge' in outcome['msg']
    assert not reliability.leaks(refused, markers.secrets())

    allowed = run(ansible, markers, [
        set_task(profile, emulator, markers, 'allowed', [], purge=True, allow_empty_purge=True),
        # Nothing left to delete: nothing to refuse.
        set_task(profile, emulator, markers, 'again, without the flag', [], purge=True),
    ])
    assert allowed.task('allowed')['summary']['deleted'] == 3
    assert profile.state(emulator) == []
    again = allowed.task('again, without the flag')
    assert not again.get('failed') and not again['changed']


def test_a_fingerprint_from_check_mode_lets_the_real_run_apply(ansible, emulator, profile, markers):
    profile.seed(emulator, [profile.api_item(0), profile.api_item(1, variant=0), profile.api_item(0, prefix='old')])
    desired = [profile.item(n) for n in range(3)]
    plan_tasks = [
        dict(set_task(profile, emulator, markers, 'plan', desired, check=True, purge=True), register='plan'),
        # The documented canonical form, recomputed with Ansible's own filters from what the module returned.
        {'name': 'recompute', 'ansible.builtin.set_fact': {'recomputed': (
            "{{ {'provider': '%s', 'target': sso_target, 'changes': plan.changes}"
            " | to_json(sort_keys=true, separators=[',', ':']) | hash('sha256') }}" % profile.name)}},
        set_task(profile, emulator, markers, 'apply', desired, purge=True, plan_fingerprint='{{ plan.plan_fingerprint }}'),
    ]
    result = run(ansible, markers, plan_tasks, extra_vars={'sso_target': target(profile, emulator)})
    plan, applied = result.task('plan'), result.task('apply')
    assert [(c['action'], c['key']) for c in plan['changes']] == [
        ('update', names(profile, [1])[0]), ('create', names(profile, [2])[0]), ('delete', names(profile, [0], 'old')[0])]
    assert result.task('recompute')['ansible_facts']['recomputed'] == plan['plan_fingerprint']
    assert not applied.get('failed'), applied
    assert applied['changed'] and applied['plan_fingerprint'] == plan['plan_fingerprint']
    assert applied['changes'] == plan['changes']
    assert sorted(profile.state(emulator)) == profile.desired_state(desired)


def test_a_change_behind_the_modules_back_makes_it_refuse_with_zero_writes(ansible, emulator, profile, markers):
    profile.seed(emulator, [profile.api_item(0), profile.api_item(1, variant=0)])
    desired = [profile.item(n) for n in range(3)]
    planned = run(ansible, markers, [dict(set_task(profile, emulator, markers, 'plan', desired, check=True, purge=True))])
    approved = planned.task('plan')['plan_fingerprint']
    # Between the review and the apply, someone adds a mapping that this purge would delete.
    profile.seed(emulator, [profile.api_item(7, prefix='new')])
    emulator.client.clear_requests()
    refused = run(ansible, markers, [
        set_task(profile, emulator, markers, 'check mode', desired, check=True, purge=True, plan_fingerprint=approved),
        set_task(profile, emulator, markers, 'real run', desired, purge=True, plan_fingerprint=approved),
    ])
    sent = writes(profile, emulator)
    record(profile, 'plan changed since it was approved (plan_fingerprint)', 2, sent, refused, markers)
    assert sent == []
    for name in ('check mode', 'real run'):
        outcome = refused.task(name)
        assert outcome['failed'] and not outcome['changed']
        now = outcome['plan_fingerprint']
        assert now != approved
        assert ('the plan is not the approved one: its plan_fingerprint is %s, the approved plan_fingerprint is %s. '
                'Nothing was changed.' % (now, approved)) in outcome['msg']
        assert ('Planned changes: update %s, create %s, delete %s.'
                % (names(profile, [1])[0], names(profile, [2])[0], names(profile, [7], 'new')[0])) in outcome['msg']
    assert not reliability.leaks(refused, markers.secrets())


# -- the roles' variables and the playbooks -----------------------------------------------------------

def seed_three(emulator, stale=2):
    """Each provider: item 0 as desired, ``stale`` mappings the desired set does not name; returns the desired sets."""
    desired = {}
    for name, chosen in PROFILES.items():
        chosen.prepare(emulator)
        chosen.seed(emulator, [chosen.api_item(0)] + [chosen.api_item(n, prefix='old') for n in range(stale)])
        desired[HOSTS[name]] = {MODULE_VARIABLES[name]: [chosen.item(0), chosen.item(1)],
                                MODULE_VARIABLES[name] + '_purge': True}
    return desired


def summaries(run_result):
    lines = [t['result']['msg'] for t in run_result.tasks if t['name'] == 'Summary']
    return dict((line.split(' ', 1)[0], line) for line in lines)


def providers_written(emulator):
    return sorted(set(entry['provider'] for entry in api_writes(emulator)))


def test_the_roles_take_the_limits_from_their_variables_and_the_playbook_wide_one(ansible, emulator):
    desired = seed_three(emulator)
    hosts = three_targets(emulator, desired)
    # sso_mappings_max_deletions for every role: each host would delete 2.
    refused = ansible.run(playbook='sso.mappings.apply', inventory=hosts, extra_vars={'sso_mappings_max_deletions': 1})
    assert refused.rc != 0
    lines = summaries(refused)
    for host in HOSTS.values():
        assert 'FAILED' in lines[host] and 'the plan deletes 2' in lines[host] and 'max_deletions (1)' in lines[host], lines
    assert api_writes(emulator) == []

    # A role's own variable beats the playbook-wide one.
    overrides = dict((HOSTS[name], {variable + '_max_deletions': 2}) for name, variable in MODULE_VARIABLES.items())
    applied = ansible.run(playbook='sso.mappings.apply', inventory=three_targets(emulator, desired, **overrides),
                          extra_vars={'sso_mappings_max_deletions': 1}).assert_ok()
    lines = summaries(applied)
    assert sorted(lines) == sorted(HOSTS.values())
    for line in lines.values():
        assert 'changed (created 1, updated 0, deleted 2, unchanged 1)' in line, line

    # An empty desired set with purge: refused on every host, unless the role's flag allows it.
    emptied = dict((HOSTS[name], {variable: [], variable + '_purge': True}) for name, variable in MODULE_VARIABLES.items())
    emulator.client.clear_requests()
    refused = ansible.run(playbook='sso.mappings.apply', inventory=three_targets(emulator, emptied))
    assert refused.rc != 0
    lines = summaries(refused)
    assert sorted(lines) == sorted(HOSTS.values())
    for line in lines.values():
        assert 'FAILED' in line and 'purge with an empty mappings list would delete every' in line, line
    assert api_writes(emulator) == []
    allowed = dict((host, dict(emptied[host], **{MODULE_VARIABLES[name] + '_allow_empty_purge': True}))
                   for name, host in HOSTS.items())
    ansible.run(playbook='sso.mappings.apply', inventory=three_targets(emulator, allowed)).assert_ok()
    assert all(PROFILES[name].state(emulator) == [] for name in PROFILES)


def test_audit_then_apply_with_the_approved_plans_and_a_host_without_one_is_not_written(ansible, emulator, tmp_path):
    desired = seed_three(emulator)
    hosts = three_targets(emulator, desired)
    audit = ansible.run(playbook='sso.mappings.audit', inventory=hosts,
                        extra_vars={'audit_report_dir': str(tmp_path / 'audit')}).assert_ok()
    report = json.loads((tmp_path / 'audit' / 'drift-report.json').read_text(encoding='utf-8'))
    plans = dict((host, entry['plan_fingerprint']) for host, entry in report['hosts'].items())
    assert sorted(plans) == sorted(HOSTS.values()) and all(len(p) == 64 for p in plans.values())
    published = {}
    for task in audit.tasks:
        if task['name'] == 'Publish the drift as job artifacts (set_stats)':
            published.update(task['result']['ansible_stats']['data']['sso_mappings_plans'])
    assert published == plans

    # Aria's plan is not approved; Atlas's state changes behind the audit's back.
    approved = dict((host, plans[host]) for host in (CONFLUENT_HOST, ATLAS_HOST))
    PROFILES['atlas'].seed(emulator, [PROFILES['atlas'].api_item(5, prefix='late')])
    emulator.client.clear_requests()
    applied = ansible.run(playbook='sso.mappings.apply', inventory=hosts,
                          args=['-e', 'sso_mappings_approved_plans=%s' % json.dumps(approved, separators=(',', ':'))])
    assert applied.rc != 0
    lines = summaries(applied)
    assert 'changed (created 1, updated 0, deleted 2, unchanged 1)' in lines[CONFLUENT_HOST], lines
    assert 'FAILED' in lines[ATLAS_HOST] and 'the plan is not the approved one' in lines[ATLAS_HOST]
    assert plans[ATLAS_HOST] in lines[ATLAS_HOST] and 'delete late-005' in lines[ATLAS_HOST]
    assert 'FAILED' in lines[ARIA_HOST] and 'aria-lcm has no approved plan in sso_mappings_approved_plans' in lines[ARIA_HOST]
    assert providers_written(emulator) == ['confluent']

    # Audited again and approved, the other two apply.
    ansible.run(playbook='sso.mappings.audit', inventory=hosts,
                extra_vars={'audit_report_dir': str(tmp_path / 'again')}).assert_ok()
    report = json.loads((tmp_path / 'again' / 'drift-report.json').read_text(encoding='utf-8'))
    approved = dict((host, entry['plan_fingerprint']) for host, entry in report['hosts'].items())
    applied = ansible.run(playbook='sso.mappings.apply', inventory=hosts,
                          extra_vars={'sso_mappings_approved_plans': approved}).assert_ok()
    lines = summaries(applied)
    assert lines[CONFLUENT_HOST].startswith('confluent-org [confluent]: unchanged')
    assert 'deleted 3' in lines[ATLAS_HOST] and 'deleted 2' in lines[ARIA_HOST], lines
