# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the access policy costs.

- In process: the evaluation over 10 000 grants on 3 platforms with 10 rules of all eight kinds, and each
  report format, in milliseconds (the median of --repeat runs), against the target of under 1 s for the
  evaluation. Pure Python: the engine is one function over the access review, and that function is timed.

      .venv/bin/python benchmarks/policy.py [--grants 10000] [--repeat 5]

- With ansible-playbook (`scripts/benchmark --policy N`, which also runs the above): the apply playbook's
  no-change run on three hosts (one per platform, N mappings each, every Confluent item naming its role
  bindings) without and with an sso_policy of 10 rules that the mappings keep, in turns: wall and CPU
  seconds, and the requests from the emulator's log; the extra reads against those of one audit run
  (one check-mode pass), which they must not exceed.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / ".build" / "collections"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # apply_runs, also when loaded from a file path
# pylint: disable=wrong-import-position
import apply_runs  # noqa: E402

from ansible_collections.sso.mappings.plugins.plugin_utils import _pages, _policy, _policy_reports  # noqa: E402
from ansible_collections.sso.mappings.plugins.plugin_utils._groups import MODULES  # noqa: E402
from support import profiles  # noqa: E402

TARGET_MS = 1000
TODAY = date(2026, 3, 1)
ROLES = {
    'confluent': ['OrganizationAdmin', 'EnvironmentAdmin', 'CloudClusterAdmin', 'DeveloperRead', 'DeveloperWrite', 'MetricsViewer'],
    'atlas': ['ORG_OWNER', 'GROUP_OWNER', 'ORG_MEMBER', 'GROUP_READ_ONLY', 'GROUP_DATA_ACCESS_READ_WRITE'],
    'aria': ['LCM Admin', 'LCM Cloud Admin', 'Content Developer', 'Certificate Administrator'],
}
HOSTS = dict((provider, ['%s-%d' % (provider, n) for n in range(3)]) for provider in ROLES)
ORG = '5e2211c17a3e5a48f5497de3'
CRN = 'crn://confluent.cloud/organization=1111aaaa-22bb-33cc-44dd-555555eeeeee'
FILTERS = ['true', 'claims.email.endsWith("@example.com")', '"a" in groups && claims.email_verified', '"a" in groups || "b" in groups']


def review(grants, seed=24):
    """An access review with about ``grants`` grants over three targets per platform, in the shape of access-review.json."""
    chance = random.Random(seed)
    by_group = {}
    groups = max(grants // 5, 1)
    for index in range(grants):
        provider = chance.choice(('confluent', 'atlas', 'aria'))
        host = HOSTS[provider][chance.randrange(3)]
        group = 'team-%d%s' % (index % groups, '-admins' if index % groups < groups // 10 else '')
        role = chance.choice(ROLES[provider])
        if provider == 'confluent':
            scope = CRN if role in ('OrganizationAdmin', 'MetricsViewer') else '%s/environment=env-%d' % (CRN, chance.randrange(20))
            mapping = group
        elif provider == 'atlas':
            scope = 'org:' + ORG if role.startswith('ORG_') else 'project:%024x' % chance.randrange(1 << 90)
            mapping = group
        else:
            scope, mapping = 'appliance', group + '@example.com'
        grant = {'host': host, 'provider': provider, 'mapping': mapping, 'role': role, 'scope': scope}
        if provider == 'aria' and index % 997 == 0:
            grant['group_type'] = 'ALL_USERS'
        by_group.setdefault(group, []).append(grant)
    unattributed = [{'host': HOSTS['confluent'][n % 3], 'provider': 'confluent', 'mapping': 'filter-%d' % n, 'filter': FILTERS[n % len(FILTERS)],
                     'grants': [{'host': HOSTS['confluent'][n % 3], 'provider': 'confluent', 'mapping': 'filter-%d' % n,
                                 'role': 'DeveloperRead', 'scope': CRN + '/environment=env-1'}]} for n in range(40)]
    targets = [{'host': host, 'provider': provider, 'status': 'ok'} for provider, hosts in HOSTS.items() for host in hosts]
    return {'generated_at': '2026-03-01T08:00:00Z', 'targets': targets,
            'groups': [{'group': name, 'grants': by_group[name]} for name in sorted(by_group)], 'unattributed': unattributed}


def catalogue(report):
    """sso_groups for every other group, half of them with an owner."""
    return dict((g['group'], {'owner': 'owner@example.com'} if n % 4 == 0 else {})
                for n, g in enumerate(report['groups']) if n % 2 == 0)


def policy(report):
    """Ten rules of the eight kinds, and waivers: valid (for 20 groups of the review), expired and unused."""
    expires = (TODAY + timedelta(days=90)).isoformat()
    names = [g['group'] for g in report['groups'] if not g['group'].endswith('-admins')]
    valid = [{'rule': 'admins-are-named', 'group': name, 'reason': 'Migrating (SEC-%d)' % n, 'expires': expires}
             for n, name in enumerate(names[:20])]
    return {
        'tiers': {'readers': {'atlas': ['GROUP_READ_ONLY'], 'confluent': ['DeveloperRead', 'MetricsViewer']}},
        'rules': [
            {'id': 'admins-are-named', 'kind': 'allowed_groups', 'grants': {'tier': 'admin'}, 'groups': ['.*-admins']},
            {'id': 'no-match-everyone', 'kind': 'match_everyone', 'severity': 'critical'},
            {'id': 'an-org-admin', 'kind': 'min_groups', 'grants': {'provider': 'confluent', 'role': 'OrganizationAdmin'}, 'min': 1},
            {'id': 'few-org-owners', 'kind': 'max_groups', 'grants': {'provider': 'atlas', 'role': 'ORG_OWNER'}, 'max': 50},
            {'id': 'one-platform', 'kind': 'max_platforms', 'grants': {'tier': 'admin'}, 'max': 1, 'enforce': False},
            {'id': 'readers-do-not-write', 'kind': 'exclusive', 'grants': {'tier': 'readers'},
             'other': {'role': ['DeveloperWrite', 'GROUP_DATA_ACCESS_READ_WRITE']}, 'severity': 'medium'},
            {'id': 'owners', 'kind': 'owner_required', 'grants': {'tier': 'admin'}, 'severity': 'low'},
            {'id': 'no-certificates', 'kind': 'forbidden', 'grants': {'provider': 'aria', 'role': 'Certificate Administrator'}},
            {'id': 'org-wide-metrics', 'kind': 'forbidden', 'grants': {'provider': 'confluent', 'scope': r'crn://[^/]+/organization=[^/]+'},
             'severity': 'info'},
            {'id': 'readers-named', 'kind': 'allowed_groups', 'grants': {'tier': 'readers', 'host': HOSTS['atlas']}, 'groups': ['team-[0-9]+']},
        ],
        'waivers': valid + [{'rule': 'no-certificates', 'group': 'team-1', 'reason': 'expired', 'expires': '2026-01-01'},
                            {'rule': 'owners', 'group': 'nobody', 'reason': 'unused', 'expires': expires}],
    }


def median_ms(work, repeat):
    times = []
    for _run in range(repeat):
        start = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def measure(grants=10000, repeat=5):
    """Each step's median milliseconds and the policy report."""
    built = review(grants)
    rules = policy(built)
    groups = catalogue(built)
    figures = {}
    figures['evaluate'], report = median_ms(lambda: _policy.evaluate(built, rules, groups, today=TODAY), repeat)
    figures['check the policy'], _problems = median_ms(lambda: _policy.policy_problems(rules, TODAY), repeat)
    figures['SARIF'], _log = median_ms(lambda: _policy_reports.sarif(report), repeat)
    figures['JUnit XML'], _xml = median_ms(lambda: _policy_reports.junit(report), repeat)
    figures['Markdown'], _text = median_ms(lambda: _pages.render('policy-report.md', _policy_reports.page(report)), repeat)
    return figures, report, sum(len(g['grants']) for g in built['groups']) + sum(len(u['grants']) for u in built['unattributed'])


def print_evaluation(figures, report, grants):
    print('Access policy: %d grants on 3 platforms (%d targets), %d rules; %d findings (%d violations, %d waived), '
          '%d stale waivers' % (grants, len(report['targets']), len(report['rules']), len(report['findings']),
                                report['summary']['violations'], report['summary']['waived'], report['summary']['stale_waivers']))
    for name, value in figures.items():
        print('  %-18s %8.1f ms' % (name, value))
    verdict = 'PASS' if figures['evaluate'] < TARGET_MS else 'MISS'
    print('%s: evaluation %.0f ms (target: under %d ms)' % (verdict, figures['evaluate'], TARGET_MS))


# -- the apply playbook with and without a policy (scripts/benchmark --policy N) ------------------------------

ADMINS = 'platform-admins'
PREFIX = 'bench-policy'


def apply_policy(expires):
    """The README's policy, and five rules of the other kinds: ten, none of them violated by desired_items()."""
    return {
        'tiers': {'readers': {'confluent': ['DeveloperRead'], 'atlas': ['GROUP_READ_ONLY', 'ORG_READ_ONLY']}},
        'rules': [
            {'id': 'admins-are-named', 'kind': 'allowed_groups', 'grants': {'tier': 'admin'}, 'groups': ['.*-admins'], 'severity': 'critical'},
            {'id': 'no-match-everyone', 'kind': 'match_everyone', 'severity': 'critical'},
            {'id': 'an-organization-admin', 'kind': 'min_groups', 'grants': {'provider': 'confluent', 'role': 'OrganizationAdmin'}, 'min': 1},
            {'id': 'an-organization-owner', 'kind': 'min_groups', 'grants': {'provider': 'atlas', 'role': 'ORG_OWNER'}, 'min': 1},
            {'id': 'admin-of-one-platform', 'kind': 'max_platforms', 'grants': {'tier': 'admin'}, 'max': 1, 'severity': 'medium'},
            {'id': 'few-organization-owners', 'kind': 'max_groups', 'grants': {'provider': 'atlas', 'role': 'ORG_OWNER'}, 'max': 3},
            {'id': 'no-certificate-admins', 'kind': 'forbidden', 'grants': {'provider': 'aria', 'role': 'Certificate Administrator'}},
            {'id': 'readers-do-not-write', 'kind': 'exclusive', 'grants': {'tier': 'readers'},
             'other': {'role': ['DeveloperWrite', 'GROUP_DATA_ACCESS_READ_WRITE', 'GROUP_CLUSTER_MANAGER']}, 'severity': 'medium'},
            {'id': 'readers-are-teams', 'kind': 'allowed_groups', 'grants': {'tier': 'readers'}, 'groups': [PREFIX + '-[0-9]+(-v[0-9]+)?']},
            {'id': 'admins-have-owners', 'kind': 'owner_required', 'grants': {'tier': 'admin'}, 'severity': 'low'},
        ],
        'waivers': [{'rule': 'admin-of-one-platform', 'group': ADMINS, 'expires': expires,
                     'reason': 'The on-call team administers all three platforms; reviewed quarterly (SEC-123)'}],
    }


def desired_items(n, by_provider, crn):
    """Each platform's N items: platform-admins administers it, the others are as the profiles make them; every
    Confluent item names its role bindings (DeveloperRead on its topic; OrganizationAdmin for platform-admins)."""
    items = {
        'confluent': [{'display_name': ADMINS, 'filter': '"%s" in claims.groups' % ADMINS, 'description': 'Platform admins',
                       'role_bindings': [{'role_name': 'OrganizationAdmin', 'crn_pattern': crn}]}],
        'atlas': [{'external_group_name': ADMINS, 'role_assignments': [{'role': 'ORG_OWNER'}]}],
        'aria': [{'display_name': ADMINS, 'domain': by_provider['aria'].domain, 'mapped_roles': ['LCM Admin']}],
    }
    for provider, profile in by_provider.items():
        items[provider] += [profile.item(number, prefix=PREFIX) for number in range(1, n)]
    for item in items['confluent'][1:]:
        item['role_bindings'] = [{'role_name': 'DeveloperRead', 'crn_pattern': '%s/environment=env-bench/cloud-cluster=lkc-bench'
                                  '/kafka=lkc-bench/topic=%s' % (crn, item['display_name'])}]
    return items


def seed(emulator, by_provider, items):
    """The live state the items describe: the mappings, and the Confluent ones' role bindings."""
    for provider in ('atlas', 'aria'):
        by_provider[provider].seed(emulator, [by_provider[provider].api_shape(item) for item in items[provider]])
    created = emulator.client.seed('confluent', group_mappings=[
        dict((k, v) for k, v in item.items() if k != 'role_bindings') for item in items['confluent']])['group_mappings']
    ids = dict((mapping['display_name'], mapping['id']) for mapping in created)
    emulator.client.seed('confluent', role_bindings=[
        dict(binding, principal='User:' + ids[item['display_name']]) for item in items['confluent'] for binding in item['role_bindings']])


def measure_apply(runner, n, repeat):
    """The no-change apply without and with the policy, in turns, and one audit run (one check-mode pass)."""
    emulator = runner.emulator
    runner.reset()
    by_provider = dict((name, profiles.profile(name)) for name in apply_runs.HOSTS)
    for profile in by_provider.values():
        profile.prepare(emulator)
    crn = 'crn://confluent.cloud/organization=%s' % emulator.client.config()['confluent']['org_id']
    items = desired_items(n, by_provider, crn)
    seed(emulator, by_provider, items)
    hosts = apply_runs.inventory(emulator, by_provider, dict(
        (host, {MODULES[provider].role_variable: items[provider]}) for provider, host in apply_runs.HOSTS.items()))
    rules = apply_policy((date.today() + timedelta(days=90)).isoformat())
    directory = runner.workdir / 'policy'
    inventories = apply_runs.write_variants(directory, {'without policy': (hosts, {}), 'with policy': (hosts, {'sso_policy': rules})})
    reports = directory / 'reports'
    runs = apply_runs.no_change_runs(runner, inventories, n, repeat, extra_vars={'policy_report_dir': str(reports)})
    report = json.loads((reports / 'policy-report.json').read_text(encoding='utf-8'))
    if report['summary']['violations'] or report['summary']['stale_waivers'] or report['summary']['waived'] != 1:
        raise RuntimeError('the benchmark policy was not kept as meant: %s' % report['summary'])
    emulator.client.clear_requests()
    audited = runner.run(playbook='sso.mappings.audit', inventory=inventories['without policy'], timeout=None,
                         extra_vars={'audit_report_dir': str(directory / 'audit')}, env={'ANSIBLE_DEPRECATION_WARNINGS': 'False'})
    audit = apply_runs.Run(audited, emulator.client.requests())
    if audited.rc != 0 or audit.writes():
        raise RuntimeError('the audit run failed or wrote (rc=%s):\n%s' % (audited.rc, audited.stdout[-3000:]))
    return apply_runs.figures(runs, base='without policy'), runs, audit, report


def print_apply(n, found, runs, audit, report):
    print('  apply playbook, no change, three hosts (%d mappings each, Confluent items naming their role bindings), '
          'median of %d in turns; the policy: %d rules, findings: %d (%d waived)' % (
              n, len(runs['with policy']), len(report['rules']), len(report['findings']), report['summary']['waived']))
    apply_runs.print_runs((('without sso_policy', 'without policy'), ('with sso_policy', 'with policy')), found)
    wall, cpu = found['difference']['with policy']
    base = found['without policy']
    print('    the policy adds %.2f s wall (%.0f%%), %.2f s CPU (%.0f%%): the median of each run with it less the run '
          'without it in the same turn' % (wall, wall / base[0] * 100, cpu, cpu / base[1] * 100))

    def reads(run):
        return '%d (%s)' % (len(run.reads()), ', '.join('%s %d' % (p, len(run.reads(p))) for p in apply_runs.HOSTS))

    without, with_policy = runs['without policy'][-1], runs['with policy'][-1]
    extra = len(with_policy.reads()) - len(without.reads())
    print('    reads (Atlas token requests aside; 0 writes in every run): without %s, with %s; the policy adds %d; '
          'one audit run (a check-mode pass) reads %s' % (reads(without), reads(with_policy), extra, reads(audit)))
    verdict = 'PASS' if extra <= len(audit.reads()) else 'MISS'
    print('  %s: the policy adds at most the reads of one check-mode pass (%d <= %d)' % (verdict, extra, len(audit.reads())))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--grants', type=int, default=10000, help='grants in the access review (default 10000)')
    parser.add_argument('--repeat', type=int, default=5, help='runs of each step; the median is shown (default 5)')
    options = parser.parse_args(argv)
    print_evaluation(*measure(options.grants, options.repeat))
    return 0


if __name__ == '__main__':
    sys.exit(main())
