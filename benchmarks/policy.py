# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How long the access policy takes to evaluate: 10 000 grants on 3 platforms, 10 rules of all eight kinds.

Not a test: it prints milliseconds (the median of --repeat runs) for the evaluation and for each report
format, against the target of under 1 s for the evaluation. Pure Python, no emulator and no ansible-playbook:
the engine is one function over the access review, and that function is what is timed.

    .venv/bin/python benchmarks/policy.py [--grants 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / ".build" / "collections"))
# pylint: disable=wrong-import-position
from ansible_collections.sso.mappings.plugins.plugin_utils import _pages, _policy, _policy_reports  # noqa: E402

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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--grants', type=int, default=10000, help='grants in the access review (default 10000)')
    parser.add_argument('--repeat', type=int, default=5, help='runs of each step; the median is shown (default 5)')
    options = parser.parse_args(argv)
    figures, report, grants = measure(options.grants, options.repeat)
    print('Access policy: %d grants on 3 platforms (%d targets), %d rules; %d findings (%d violations, %d waived), '
          '%d stale waivers' % (grants, len(report['targets']), len(report['rules']), len(report['findings']),
                                report['summary']['violations'], report['summary']['waived'], report['summary']['stale_waivers']))
    for name, value in figures.items():
        print('  %-18s %8.1f ms' % (name, value))
    verdict = 'PASS' if figures['evaluate'] < TARGET_MS else 'MISS'
    print('%s: evaluation %.0f ms (target: under %d ms)' % (verdict, figures['evaluate'], TARGET_MS))
    return 0


if __name__ == '__main__':
    sys.exit(main())
