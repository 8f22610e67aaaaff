# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Performance figures for the sso.mappings set modules, measured against the API emulator.

Not a test: it prints figures (and informational PASS/MISS against the targets in the
README's "Performance" section). Run it with `scripts/benchmark` (sets up first) or
`.venv/bin/python benchmarks/benchmark.py [--quick] [--n N] [--providers confluent,atlas,aria]`.

Every API request is delayed by 20 ms in the emulator. For each provider it runs real
`ansible-playbook` processes and reports, per scenario: the wall time of the process, the
requests by kind from the emulator's log, the minimum possible request count, the 429s, the
peak memory (max RSS) of the module process, and whether the emulator's state afterwards is
what the module was told (OK/MISMATCH).

scenarios.py says what each scenario runs and checks, measure.py runs and measures
ansible-playbook (with the tests' runner and provider profiles, tests/support), report.py prints.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
# pylint: disable=wrong-import-position
import groups  # noqa: E402
import policy  # noqa: E402
import report  # noqa: E402
from measure import LATENCY_MS, MeasuringRunner, collection_at, median_run, module_stages, round_trip, startup  # noqa: E402
from scenarios import breakdown, compare_provider, floor_run, memory_run, progress, run_provider, scaling  # noqa: E402

from emulator.client import start_emulator  # noqa: E402
from support import profiles  # noqa: E402
from support.runner import collections_path  # noqa: E402


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--n", type=int, default=None, help="mappings per scenario (default 1000; 100 with --quick)")
    parser.add_argument("--providers", default="confluent,atlas,aria", help="comma-separated (default: all three)")
    parser.add_argument("--quick", action="store_true", help="N=100, 60 rate-limited creates, memory at N=1000")
    parser.add_argument("--baseline-n", type=int, default=None,
                        help="items the one-resource loop (baseline 5) runs over, with all N seeded; the figures "
                             "are extrapolated linearly to N (default: 100, or N when smaller; 1000 module runs "
                             "per provider would take 10-30 minutes)")
    parser.add_argument("--uri-baseline-n", type=int, default=None,
                        help="items the uri playbook (baseline 6) runs over (default: N)")
    parser.add_argument("--rate-n", type=int, default=None, help="creates under the rate limit (default 300)")
    parser.add_argument("--memory-n", type=int, default=None, help="N of the peak-memory run (default 10000)")
    parser.add_argument("--memory-providers", default=None, help="providers of the memory run (default: --providers)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the floor and the no-change scenario (median)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (playbooks, logs, outputs)")
    parser.add_argument("--compare", metavar="REV", default=None,
                        help="also run converge, no-change, purge, the rate limit and the no-change at --memory-n on the "
                             "collection at this git revision and on this tree, in turns, --repeat times each")
    parser.add_argument("--scaling", metavar="N,N,...", default=None,
                        help="also measure a no-change run's cost per mapping at these N (e.g. 1000,10000,30000)")
    parser.add_argument("--breakdown", metavar="N,N,...", default=None,
                        help="also show where a no-change run's time goes at these N (e.g. 1000,10000)")
    parser.add_argument("--groups", metavar="N", type=int, default=None,
                        help="also measure what sso_groups costs: N groups on all three platforms, expanded in "
                             "process and in the apply playbook's no-change run (e.g. 1000)")
    parser.add_argument("--policy", metavar="N", type=int, default=None,
                        help="also measure what an access policy (sso_policy) costs: its evaluation over 10 000 grants "
                             "with 10 rules in process, and the apply playbook's no-change run on one host per platform "
                             "with N mappings each, without and with a policy of 10 rules (e.g. 1000)")
    parser.add_argument("--no-scenarios", action="store_true",
                        help="skip the scenario tables (with --compare, --scaling or --breakdown)")
    args = parser.parse_args(argv)
    args.n = args.n or (100 if args.quick else 1000)
    args.baseline_n = args.baseline_n or min(args.n, 100)
    args.uri_baseline_n = args.uri_baseline_n or args.n
    args.rate_n = args.rate_n or (60 if args.quick else 300)
    args.memory_n = args.memory_n if args.memory_n is not None else (1000 if args.quick else 10000)
    args.names = [p.strip() for p in args.providers.split(",") if p.strip()]
    unknown = sorted(set(args.names) - set(profiles.PROVIDERS))
    if unknown:
        parser.error("unknown providers %s (known: %s)" % (unknown, ", ".join(profiles.PROVIDERS)))
    args.memory_names = [p.strip() for p in (args.memory_providers or ",".join(args.names)).split(",") if p.strip()]
    args.scaling = [int(n) for n in args.scaling.split(",")] if args.scaling else []
    args.breakdown = [int(n) for n in args.breakdown.split(",")] if args.breakdown else []
    return args


def main(argv=None):
    args = parse_args(argv)
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="sso-benchmark."))
    print("sso.mappings benchmark: %s" % " ".join([Path(sys.argv[0]).name] + (argv or sys.argv[1:])))
    print("N=%d, providers %s, %d ms latency per request, %d CPU(s), %s, ansible-core %s" % (
        args.n, ",".join(args.names), LATENCY_MS, os.cpu_count(), sys.executable, _ansible_version()))
    print("work directory: %s (emulator log: emulator-requests.jsonl); load average at start: %s" % (
        work, _load()))
    runner = MeasuringRunner(work)
    try:
        with start_emulator(work / "emulator", log_file=work / "emulator-requests.jsonl") as emulator:
            runner.emulator = emulator
            rtt0, rtt = round_trip(emulator, 0), round_trip(emulator, LATENCY_MS)
            print("one request (keep-alive HTTPS GET) to the emulator: %.1f ms with no added latency, %.1f ms with %d ms "
                  "added" % (rtt0 * 1000, rtt * 1000, LATENCY_MS))
            floor = median_run(args.repeat, lambda: floor_run(runner))
            print("floor: a one-task debug playbook takes %.2f s, %.2f s CPU (%s)" % (floor.wall, floor.cpu, floor.note))
            ping = median_run(args.repeat, lambda: runner.measure(
                [{"name": "bench: ping", "ansible.builtin.ping": {}}], label="ping"))
            print("one-module floor: a one-task ansible.builtin.ping playbook takes %.2f s, %.2f s CPU (%s); its module "
                  "process %s s, %s s CPU, peak %s MB" % (
                      ping.wall, ping.cpu, ping.note, report.fmt(ping.module_seconds), report.fmt(ping.module_cpu),
                      report.fmt(ping.peak_mb, "%.1f")))
            old = None
            if args.compare:
                old = MeasuringRunner(work / "old", collections=collection_at(args.compare, work))
                old.emulator = emulator
            for name in args.names:
                profile = profiles.profile(name)
                profile.prepare(emulator)
                if not args.no_scenarios:
                    results = run_provider(runner, profile, args)
                    memory = None
                    if name in args.memory_names and args.memory_n:
                        memory = memory_run(runner, profile, args.memory_n)
                    report.print_table(profile, args.n, results)
                    report.print_module_timeline(profile, results["nochange"])
                    if memory is not None:
                        report.print_memory(memory)
                    report.print_targets(args.n, results, args.rate_n, memory)
                for n in args.breakdown:
                    report.print_breakdown(profile, breakdown(runner, profile, n, args.repeat, lambda provider, options: (
                        module_stages(sys.executable, collections_path(), provider, options, work, args.repeat))))
                if args.scaling:
                    report.print_scaling(profile, scaling(runner, profile, args.scaling, args.repeat))
                if old is not None:
                    report.print_compare(profile, compare_provider(runner, old, profile, args), args.compare)
                sys.stdout.flush()
            if args.groups:
                progress("sso_groups: %d groups, in process and in the apply playbook (x%d each)" % (args.groups, args.repeat))
                groups.print_groups(args.groups, *groups.measure(runner, args.groups, args.repeat))
                sys.stdout.flush()
            if args.policy:
                progress("sso_policy: the evaluation in process, then the apply playbook with %d mappings per host "
                         "without and with a policy (x%d each)" % (args.policy, args.repeat))
                print()
                policy.print_evaluation(*policy.measure())
                policy.print_apply(args.policy, *policy.measure_apply(runner, args.policy, args.repeat))
            runner.emulator = None
        report.print_startup(startup(sys.executable, os.environ.get("SSO_COLLECTIONS_PATH") or str(collections_path())))
        report.print_footnote()
        print("total benchmark time: %.0f s; load average at the end: %s" % (time.monotonic() - started, _load()))
    finally:
        if args.keep:
            print("kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def _load():
    return "%.1f %.1f %.1f" % os.getloadavg()


def _ansible_version():
    try:
        from ansible.release import __version__  # pylint: disable=import-outside-toplevel
    except ImportError:
        return "?"
    return __version__


if __name__ == "__main__":
    sys.exit(main())
