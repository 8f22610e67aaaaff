# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What sso_groups costs: N groups, each declared for all three platforms, expanded by the roles.

- In process: the two filters a role runs on its host (group_problems, then group_items), timed on
  one host of each platform, median of 5.
- With ansible-playbook: the apply playbook's no-change run on three hosts (one per platform) over
  the same N mappings each, once declared in sso_groups and once in the hosts' own lists, in turns,
  median of --repeat each. The difference is what the catalogue adds to a no-change run.
"""

from __future__ import annotations

import statistics
import sys
import time

import apply_runs
from apply_runs import CLAIMS, HOSTS

from support import profiles
from support.runner import collections_path

sys.path.insert(0, str(collections_path()))
# pylint: disable=wrong-import-position
from ansible_collections.sso.mappings.plugins.filter import groups as filters  # noqa: E402
from ansible_collections.sso.mappings.plugins.plugin_utils._groups import MODULES  # noqa: E402

PREFIX = "bench-group"
INVENTORY_GROUPS = dict((provider, [host]) for provider, host in HOSTS.items())


def catalogue(n, by_provider):
    """N groups, each on all three platforms, with the fields the providers' benchmark items have."""
    atlas, aria = by_provider["atlas"], by_provider["aria"]
    groups = {}
    for number in range(n):
        name = profiles.Profile.name_of(number, PREFIX)
        groups[name] = {
            "description": "Group %d" % number,
            "owner": "team-%d@example.com" % (number % 10),
            "confluent": {},
            "atlas": {"role_assignments": atlas.item(number, prefix=PREFIX)["role_assignments"]},
            "aria": dict((k, v) for k, v in aria.item(number, prefix=PREFIX).items() if k != "display_name"),
        }
    return groups


def expanded(groups):
    """Each host's items, as the roles expand them."""
    return dict((provider, filters.group_items(groups, provider, host, [host], claims=CLAIMS))
                for provider, host in HOSTS.items())


def in_process(groups, repeat=5):
    """Median seconds of a role's two filters on one host of each platform."""
    figures = {}
    for provider, host in HOSTS.items():
        times = []
        for _run in range(repeat):
            started = time.perf_counter()
            problems = filters.group_problems(groups, provider, host, INVENTORY_GROUPS, [], claims=CLAIMS)
            filters.group_items(groups, provider, host, [host], claims=CLAIMS)
            times.append(time.perf_counter() - started)
            assert problems == [], problems[:3]
        figures[provider] = statistics.median(times)
    return figures


def measure(runner, n, repeat):
    """The in-process figures and those of the apply playbook's no-change runs."""
    by_provider = dict((name, profiles.profile(name)) for name in HOSTS)
    for profile in by_provider.values():
        profile.prepare(runner.emulator)
    groups = catalogue(n, by_provider)
    return in_process(groups), role_runs(runner, by_provider, groups, n, repeat)


def role_runs(runner, by_provider, groups, n, repeat):
    """The apply playbook's no-change run from sso_groups and from the hosts' lists, in turns."""
    emulator = runner.emulator
    items = expanded(groups)
    runner.reset()
    for provider, profile in by_provider.items():
        profile.seed(emulator, [profile.api_shape(item) for item in items[provider]])
    variants = {
        "sso_groups": (apply_runs.inventory(emulator, by_provider, {}), {"sso_groups": groups}),
        "own lists": (apply_runs.inventory(emulator, by_provider, dict(
            (host, {MODULES[provider].role_variable: items[provider]}) for provider, host in HOSTS.items())),
            {"sso_groups": {}}),
    }
    inventories = apply_runs.write_variants(runner.workdir / "groups", variants)
    return apply_runs.figures(apply_runs.no_change_runs(runner, inventories, n, repeat), base="own lists")


def print_groups(n, process, runs):
    print()
    print("sso_groups: %d groups, each on all three platforms (%d mappings per host, one host per platform)" % (n, n))
    total = sum(process.values())
    print("  in process, a role's filters (group_problems + group_items) on its host, median of 5: %s; "
          "the three hosts %.0f ms, %.1f us per group and host" % (
              ", ".join("%s %.0f ms" % (p, s * 1000) for p, s in process.items()), total * 1000,
              total / (3 * n) * 1e6))
    if runs:
        lists = runs["own lists"]
        print("  apply playbook, no change, three hosts, median of %d in turns:" % len(lists[2]))
        apply_runs.print_runs((("from the hosts' own lists", "own lists"), ("from sso_groups", "sso_groups")), runs)
        wall, cpu = runs["difference"]["sso_groups"]
        print("    sso_groups adds %.2f s wall (%.0f%% of the no-change run), %.2f s CPU (%.0f%%): the median of each "
              "run from sso_groups less the run from the lists in the same turn" % (
                  wall, wall / lists[0] * 100, cpu, cpu / lists[1] * 100))
