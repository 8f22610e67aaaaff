# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A playbook's no-change run on three hosts, one per platform, in variants that differ only in their
variables, run in turns (--repeat each): what --groups and --policy measure with.

Each run must change nothing: rc 0, no write (an Atlas token request aside) and every host's summary
"unchanged" with its N mappings. The figures: each variant's median wall and CPU seconds and its
requests, and the median of each run less the base variant's run of the same turn (robust to a
machine whose load changes).
"""

from __future__ import annotations

import statistics

import yaml

HOSTS = {"confluent": "bench-confluent", "atlas": "bench-atlas", "aria": "bench-aria"}
CLAIMS = "claims.groups"
TOKEN_PATH = "/api/oauth/token"  # Atlas: a POST that changes nothing


def inventory(emulator, by_provider, variables):
    """The three hosts in their provider's group, connected to the emulator; ``variables``: host -> more."""
    hosts = {}
    for provider, host in HOSTS.items():
        connection = by_provider[provider].connection(emulator)
        hosts[provider] = {"hosts": {host: dict(
            dict(("%s_%s" % (provider, k), v) for k, v in connection.items()),
            confluent_groups_claim=CLAIMS, **variables.get(host, {}))}}
    return hosts


def write_variants(directory, variants):
    """``variants``: name -> (inventory hosts, variables of the group all); returns name -> the inventory's path."""
    paths = {}
    for name, (hosts, group_vars) in variants.items():
        path = directory / name.replace(" ", "-")
        (path / "group_vars").mkdir(parents=True, exist_ok=True)
        (path / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False), encoding="utf-8")
        (path / "group_vars" / "all.yml").write_text(yaml.safe_dump(group_vars, sort_keys=False), encoding="utf-8")
        paths[name] = path / "hosts.yml"
    return paths


class Run:
    """One no-change run: its wall and CPU seconds and the requests the emulator logged."""

    def __init__(self, result, requests):
        self.wall, self.cpu, self.requests = result.wall, result.cpu, requests

    def reads(self, provider=None):
        return [r for r in self.requests if r["method"] in ("GET", "HEAD") and provider in (None, r["provider"])]

    def writes(self):
        return [r for r in self.requests if r["method"] not in ("GET", "HEAD") and r["path"] != TOKEN_PATH]


def no_change_runs(runner, inventories, n, repeat, playbook="sso.mappings.apply", extra_vars=None):
    """Each variant's ``repeat`` runs of the playbook, in turns; name -> [Run]."""
    emulator = runner.emulator
    runs = dict((name, []) for name in inventories)
    for _run in range(repeat):
        for name, path in inventories.items():
            emulator.client.clear_requests()
            result = runner.run(playbook=playbook, inventory=path, extra_vars=extra_vars,
                                env={"ANSIBLE_DEPRECATION_WARNINGS": "False"}, timeout=None)
            run = Run(result, emulator.client.requests())
            unchanged = result.stdout.count(" unchanged (created 0, updated 0, deleted 0, unchanged %d)" % n)
            if result.rc != 0 or run.writes() or unchanged != len(HOSTS):
                raise RuntimeError("the %s no-change run was not one (rc=%s, %d writes, %d hosts unchanged):\n%s"
                                   % (name, result.rc, len(run.writes()), unchanged, result.stdout[-3000:]))
            runs[name].append(run)
    return runs


def figures(runs, base):
    """name -> (median wall, median CPU, every wall); and "difference": name -> the medians of each run of that
    variant less the run of ``base`` in the same turn, (wall, CPU)."""
    found = dict((name, (statistics.median(r.wall for r in results), statistics.median(r.cpu for r in results),
                         [r.wall for r in results])) for name, results in runs.items())
    found["difference"] = dict((name, tuple(statistics.median(getattr(one, field) - getattr(other, field)
                                                              for one, other in zip(results, runs[base], strict=True))
                                            for field in ("wall", "cpu")))
                               for name, results in runs.items() if name != base)
    return found


def print_runs(rows, found):
    """``rows``: (label, variant name) in the order to print."""
    for label, name in rows:
        wall, cpu, walls = found[name]
        print("    %-26s %6.2f s wall, %6.2f s CPU (runs: %s s)" % (label, wall, cpu, ", ".join("%.2f" % w for w in walls)))
