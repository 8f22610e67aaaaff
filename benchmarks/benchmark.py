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

Peak memory: ANSIBLE_PYTHON_INTERPRETER points at a small wrapper that runs the real
interpreter as a child (fork + exec) and appends the child's ru_maxrss from wait4() to a file.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO / "benchmarks"
sys.path.insert(0, str(REPO / "tests"))
# pylint: disable=wrong-import-position
from emulator.client import start_emulator  # noqa: E402
from support import profiles  # noqa: E402
from support.runner import AnsibleRunner, collections_path  # noqa: E402

LATENCY_MS = 20
RATE_LIMIT = {"per_second": 20, "burst": 20}
DRIFT_SHARE = 0.05
PURGE_SHARE = 0.10
PREFIX = "bench-group"  # of the mappings' names
# Warnings are not part of what is measured.
QUIET = {"ANSIBLE_DEPRECATION_WARNINGS": "False"}

WRAPPER = '''#!{python} -IS
"""Runs the real interpreter as a child and appends its peak memory and wall time to a file."""
import json, os, sys, time
start = time.time()
pid = os.fork()
if pid == 0:
    os.execv({python!r}, [{python!r}] + sys.argv[1:])
_pid, status, usage = os.wait4(pid, 0)
script = next((os.path.basename(a) for a in sys.argv[1:] if a.endswith(".py")), "-")
with open({out!r}, "a", encoding="utf-8") as handle:
    handle.write(json.dumps({{"script": script, "max_rss_kb": usage.ru_maxrss, "start": start, "end": time.time(),
                              "cpu": usage.ru_utime + usage.ru_stime}}) + "\\n")
sys.exit(os.waitstatus_to_exitcode(status))
'''


# --------------------------------------------------------------------------------------------
# Running playbooks and collecting what happened
# --------------------------------------------------------------------------------------------

class Measurement:
    """One ansible-playbook run: wall time, requests, memory, results."""

    def __init__(self, label):
        self.label = label
        self.wall = None
        self.cpu = None  # user + system CPU seconds of ansible-playbook and everything it waited for
        self.rc = None
        self.requests = []
        self.modules = []  # wrapper records: script, max_rss_kb, start, end
        self.results = []
        self.minimum = None
        self.state_ok = None
        self.state_detail = ""
        self.note = ""
        self.output = ""
        self.extrapolated_from = None  # (baseline N, measured wall, measured requests)

    def module_runs(self, prefix="AnsiballZ_"):
        return [m for m in self.modules if m["script"].startswith(prefix)]

    @property
    def peak_mb(self):
        runs = self.module_runs()
        return max(m["max_rss_kb"] for m in runs) / 1024.0 if runs else None

    @property
    def module_seconds(self):
        runs = self.module_runs()
        return sum(m["end"] - m["start"] for m in runs) if runs else None

    @property
    def module_cpu(self):
        runs = self.module_runs()
        return sum(m["cpu"] for m in runs) if runs else None

    @property
    def count_429(self):
        return sum(1 for r in self.requests if r["status"] == 429)

    def result(self, prefix="bench"):
        """The result dict of the first task whose name starts with prefix."""
        for entry in self.results:
            if entry["name"].startswith(prefix):
                return entry["result"]
        return {}


class MeasuringRunner(AnsibleRunner):
    """The tests' playbook runner, also reading each run's module processes and emulator requests.

    The modules run under WRAPPER (as ansible_python_interpreter), which appends each module
    process's peak memory and times to rss_file; each measured run starts with an empty request log.
    """

    def __init__(self, work):
        self.rss_file = work / "module-rss.jsonl"
        wrapper = work / "python-rss-wrapper"
        wrapper.write_text(WRAPPER.format(python=sys.executable, out=str(self.rss_file)), encoding="utf-8")
        wrapper.chmod(0o755)
        super().__init__(work, interpreter=wrapper)
        self.emulator = None

    def reset(self, latency=True, rate_limit=None):
        client = self.emulator.client
        client.reset()
        options = {"latency_ms": LATENCY_MS if latency else 0}
        if rate_limit:
            options["rate_limit"] = rate_limit
        client.config(**options)

    def measure(self, tasks=None, playbook=None, extra_vars=None, check=False, label="run"):
        """Run one playbook (generated from tasks, or a file) and measure it."""
        measurement = Measurement(label)
        rss_offset = self.rss_file.stat().st_size if self.rss_file.exists() else 0
        if self.emulator is not None:
            self.emulator.client.clear_requests()
        # No timeout: baseline 5 over all N items takes many minutes.
        result = self.run(tasks, playbook=playbook, extra_vars=extra_vars, check=check, env=QUIET, timeout=None)
        measurement.wall, measurement.cpu, measurement.rc = result.wall, result.cpu, result.rc
        measurement.output = result.stdout + result.stderr
        (result.run_dir / "output.txt").write_text(measurement.output, encoding="utf-8")
        if self.rss_file.exists():
            with open(self.rss_file, encoding="utf-8") as handle:
                handle.seek(rss_offset)
                measurement.modules = [json.loads(line) for line in handle if line.strip()]
        measurement.results = result.tasks
        if self.emulator is not None:
            measurement.requests = self.emulator.client.requests()
        return measurement


def median_run(runner, count, make):
    """Run make() count times; return the measurement with the median wall time and all walls."""
    runs = [make() for _run in range(count)]
    walls = [m.wall for m in runs]
    runs.sort(key=lambda m: m.wall)
    chosen = runs[len(runs) // 2]
    chosen.note = (chosen.note + " " if chosen.note else "") + "median of %d: %s s" % (
        count, ", ".join("%.2f" % w for w in walls))
    return chosen


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------

def set_task(profile, emulator, extra=None, name="bench: set module"):
    # Atlas runs without federation_settings_id: the module looks it up (one more request, in min_reads).
    options = profile.connection(emulator, federation_settings_id=None)
    options["mappings"] = "{{ bench_desired }}"
    options.update(extra or {})
    return {"name": name, profile.set_module: options}


def expected_state(profile, desired_items):
    """What the emulator's state must be once desired_items are applied exactly, as {key: comparable}."""
    return dict(profile.desired_state(desired_items))


def check_state(measurement, profile, emulator, expected, what="the desired set"):
    actual = dict(profile.state(emulator))
    if actual == expected:
        measurement.state_ok = True
        measurement.state_detail = "%d mappings = %s" % (len(actual), what)
        return
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    different = sorted(k for k in set(expected) & set(actual) if expected[k] != actual[k])
    measurement.state_ok = False
    measurement.state_detail = "missing %d %s, extra %d %s, different %d %s" % (
        len(missing), missing[:3], len(extra), extra[:3], len(different), different[:3])


def require_ok(measurement):
    if measurement.rc != 0:
        measurement.state_ok = False
        tail = "\n".join(measurement.output.strip().splitlines()[-15:])
        measurement.state_detail = "ansible-playbook rc=%s: %s" % (measurement.rc, tail[-1500:])
        return False
    return True


def run_provider(runner, profile, args):
    n = args.n
    desired = [profile.item(i, prefix=PREFIX) for i in range(n)]
    out = {}

    def converge(label, parallelism=None):
        runner.reset()
        extra = {"parallelism": parallelism} if parallelism else None
        m = runner.measure([set_task(profile, runner.emulator, extra)], extra_vars={"bench_desired": desired},
                           label=label)
        m.minimum = profile.min_reads(0) + n
        if require_ok(m):
            check_state(m, profile, runner.emulator, expected_state(profile, desired))
        return m

    progress("%s: 1 converge from empty (parallelism 8)" % profile.name)
    out["converge"] = converge("1  converge from empty")
    progress("%s: 1s converge from empty (parallelism 1)" % profile.name)
    out["converge_seq"] = converge("1s converge from empty, parallelism 1", parallelism=1)

    def nochange():
        runner.reset()
        profile.seed(runner.emulator, [profile.api_shape(d) for d in desired])
        m = runner.measure([set_task(profile, runner.emulator)], extra_vars={"bench_desired": desired},
                           label="2  no-change")
        m.minimum = profile.min_reads(n)
        if require_ok(m):
            check_state(m, profile, runner.emulator, expected_state(profile, desired))
            if m.result().get("changed"):
                m.state_ok, m.state_detail = False, "the module reported changed: %s" % m.result().get("summary")
        return m

    # Each no-change run right after a floor run: the difference is robust to a machine whose load changes.
    progress("%s: 2 no-change x%d, each after a floor run" % (profile.name, args.repeat))
    pairs = []
    for _run in range(args.repeat):
        floor = floor_run(runner)
        # The same debug task, with the N desired items loaded as the no-change run loads them.
        data_floor = runner.measure([{"name": "bench: floor", "ansible.builtin.debug": {"msg": "floor"}}],
                                    extra_vars={"bench_desired": desired}, label="data floor")
        m = nochange()
        m.floor, m.floor_cpu, m.data_floor = floor.wall, floor.cpu, data_floor.wall
        pairs.append(m)
    pairs.sort(key=lambda m: m.wall)
    out["nochange"] = pairs[len(pairs) // 2]
    out["nochange"].note = "median of %d: %s s; the floor run just before each: %s s" % (
        len(pairs), ", ".join("%.2f" % m.wall for m in pairs), ", ".join("%.2f" % m.floor for m in pairs))
    out["floor"] = statistics.median(m.floor for m in pairs)
    out["nochange_minus_floor"] = statistics.median(m.wall - m.floor for m in pairs)
    out["floor_cpu"] = statistics.median(m.floor_cpu for m in pairs)
    out["data_floor"] = statistics.median(m.data_floor for m in pairs)
    out["nochange_minus_data_floor"] = statistics.median(m.wall - m.data_floor for m in pairs)
    out["nochange_minus_floor_cpu"] = statistics.median(m.cpu - m.floor_cpu for m in pairs)

    # 3: check mode with 5% drifted.
    progress("%s: 3 check mode, %d%% drifted" % (profile.name, DRIFT_SHARE * 100))
    drifted = max(1, int(round(n * DRIFT_SHARE)))
    step = n // drifted
    drifted_indexes = set(range(0, step * drifted, step))
    runner.reset()
    seeded = [profile.api_item(i, variant=0 if i in drifted_indexes else 1, prefix=PREFIX) for i in range(n)]
    profile.seed(runner.emulator, seeded)
    before = dict(profile.state(runner.emulator))
    m = runner.measure([set_task(profile, runner.emulator)], extra_vars={"bench_desired": desired}, check=True,
                       label="3  check mode, %d drifted" % drifted)
    m.minimum = profile.min_reads(n)
    if require_ok(m):
        check_state(m, profile, runner.emulator, before, "the seeded set (check mode wrote nothing)")
        summary = m.result().get("summary") or {}
        if summary.get("updated") != drifted:
            m.state_ok = False
            m.state_detail = "planned %s, expected %d updates" % (summary, drifted)
        else:
            m.state_detail += "; planned %d updates" % drifted
    out["drift"] = m

    # 4: purge 10% extras.
    progress("%s: 4 purge %d%% extras" % (profile.name, PURGE_SHARE * 100))
    extras = max(1, int(round(n * PURGE_SHARE)))
    runner.reset()
    profile.seed(runner.emulator, [profile.api_shape(d) for d in desired]
                  + [profile.api_shape(profile.item(n + i, prefix=PREFIX)) for i in range(extras)])
    m = runner.measure([set_task(profile, runner.emulator, {"purge": True})], extra_vars={"bench_desired": desired},
                       label="4  purge %d extras" % extras)
    m.minimum = profile.min_reads(n + extras) + extras + profile.purge_extra_reads
    if require_ok(m):
        check_state(m, profile, runner.emulator, expected_state(profile, desired))
    out["purge"] = m

    # 5: baseline, the one-resource module in a loop (no-change run).
    bn = min(args.baseline_n, n)
    progress("%s: 5 baseline: one-resource module in a loop over %d of %d items" % (profile.name, bn, n))
    runner.reset()
    profile.seed(runner.emulator, [profile.api_shape(d) for d in desired])
    options = profile.connection(runner.emulator, federation_settings_id=None)
    options.update((field, "{{ item.%s }}" % field) for field in desired[0])
    task = {"name": "bench: one-resource module in a loop", profile.one_module: options,
            "loop": "{{ bench_desired }}", "loop_control": {"label": "{{ item.%s }}" % profile.key_field}}
    m = runner.measure([task], extra_vars={"bench_desired": desired[:bn]}, label="5  baseline: %s loop" % (
        profile.one_module.split(".")[-1]))
    m.minimum = profile.min_reads(n)
    if require_ok(m):
        check_state(m, profile, runner.emulator, expected_state(profile, desired))
    out["loop"] = m
    if bn < n:
        extrapolate(m, bn, n, out["floor"])

    # 6: baseline, a hand-written uri playbook (no-change run).
    un = min(args.uri_baseline_n, n)
    progress("%s: 6 baseline: uri playbook over %d of %d items" % (profile.name, un, n))
    runner.reset()
    profile.seed(runner.emulator, [profile.api_shape(d) for d in desired])
    m = runner.measure(playbook=BENCH_DIR / "playbooks" / ("uri-%s.yml" % profile.name),
                       extra_vars=profile.uri_vars(runner.emulator, desired[:un]), label="6  baseline: uri playbook")
    m.minimum = profile.min_reads(n)
    if require_ok(m):
        check_state(m, profile, runner.emulator, expected_state(profile, desired))
    out["uri"] = m
    if un < n:
        extrapolate(m, un, n, out["floor"])

    # 7: rate limited, 300 creates.
    rn = args.rate_n
    progress("%s: 7 rate limit %s/s, %d creates" % (profile.name, RATE_LIMIT["per_second"], rn))
    runner.reset(rate_limit=RATE_LIMIT)
    rate_desired = desired[:rn] if rn <= n else [profile.item(i, prefix=PREFIX) for i in range(rn)]
    m = runner.measure([set_task(profile, runner.emulator)], extra_vars={"bench_desired": rate_desired},
                       label="7  %d creates at %d req/s" % (rn, RATE_LIMIT["per_second"]))
    m.minimum = profile.min_reads(0) + rn
    if require_ok(m):
        check_state(m, profile, runner.emulator, expected_state(profile, rate_desired))
    out["rate"] = m
    return out


def extrapolate(measurement, measured_n, n, floor):
    """Scale a baseline measured on measured_n of n items linearly to n items (beyond Ansible's start-up)."""
    measurement.extrapolated_from = (measured_n, measurement.wall, len(measurement.requests))
    measurement.wall = floor + (measurement.wall - floor) * n / float(measured_n)
    measurement.note = ("ran over %d of the %d items (all %d seeded, so each item reads what it would at N=%d); "
                        "wall %.1f s and %d requests EXTRAPOLATED linearly to %d items"
                        % (measured_n, n, n, n, measurement.extrapolated_from[1], measurement.extrapolated_from[2], n))


def memory_run(runner, profile, n):
    """Peak memory of the set module's process on a no-change run over n seeded mappings."""
    desired = [profile.item(i, prefix=PREFIX) for i in range(n)]
    runner.reset()
    profile.seed(runner.emulator, [profile.api_shape(d) for d in desired])
    m = runner.measure([set_task(profile, runner.emulator)], extra_vars={"bench_desired": desired},
                       label="no-change at N=%d" % n)
    m.minimum = profile.min_reads(n)
    if require_ok(m):
        check_state(m, profile, runner.emulator, expected_state(profile, desired))
    return m


def round_trip(emulator, latency_ms, count=25):
    """Median time of one keep-alive HTTPS GET from a requests.Session, as the modules send them."""
    import requests  # pylint: disable=import-outside-toplevel

    emulator.client.reset()
    emulator.client.config(latency_ms=latency_ms)
    session = requests.Session()
    url = emulator.https + "/iam/v2/sso/group-mappings"
    options = {"auth": ("EMULATOR-KEY", "emulator-secret"), "verify": emulator.ca_file, "params": {"page_size": 1}}
    session.get(url, **options)  # connect once
    walls = []
    for _request in range(count):
        started = time.monotonic()
        session.get(url, **options).raise_for_status()
        walls.append(time.monotonic() - started)
    session.close()
    return statistics.median(walls)


def floor_run(runner):
    return runner.measure([{"name": "bench: floor", "ansible.builtin.debug": {"msg": "floor"}}], label="floor")


# --------------------------------------------------------------------------------------------
# Module start-up
# --------------------------------------------------------------------------------------------

def startup(python, collections, repeat=7):
    env = dict(os.environ, PYTHONPATH=collections)

    def timed(code):
        walls = []
        for _run in range(repeat):
            started = time.monotonic()
            subprocess.run([python, "-c", code], env=env, check=True, capture_output=True)
            walls.append(time.monotonic() - started)
        return statistics.median(walls)

    figures = {"bare": timed("pass")}
    imports = {}
    for name in ("confluent", "atlas", "aria"):
        imports[name] = timed("import ansible_collections.sso.mappings.plugins.module_utils._%s" % name)
    figures["imports"] = imports
    figures["ansible_basic"] = timed("import ansible.module_utils.basic")
    figures["requests"] = timed("import requests")
    process = subprocess.run([python, "-X", "importtime", "-c",
                              "import ansible_collections.sso.mappings.plugins.module_utils._confluent"],
                             env=env, check=True, capture_output=True, text=True)
    top = []
    for line in process.stderr.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2].rstrip()
        depth = (len(name) - len(name.lstrip())) // 2
        if depth <= 3:  # the module_utils themselves and what they import, two levels down
            top.append((int(parts[1]), "  " * depth + name.strip()))
    top.sort(reverse=True)
    figures["top"] = top[:12]
    return figures


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

def progress(text):
    print("... %s" % text, file=sys.stderr, flush=True)


def by_kind(profile, requests):
    counts = {}
    for entry in requests:
        key = "%s %s" % (entry["method"], profile.kind(entry))
        counts[key] = counts.get(key, 0) + 1
    order = {"token": 0, "discovery": 1, "roles": 2, "list": 3, "bindings": 4, "lookup": 5, "other": 6, "write": 7}
    keys = sorted(counts, key=lambda k: (order.get(k.split()[1], 9), k))
    return ", ".join("%s %d" % (k, counts[k]) for k in keys) or "-"


def fmt(value, pattern="%.2f", none="-"):
    return none if value is None else pattern % value


def print_table(profile, n, results, floor):
    print()
    print("== %s (%s), N=%d, %d ms latency per request ==" % (profile.title, profile.set_module, n, LATENCY_MS))
    header = "%-38s %8s %6s %8s %6s %6s %6s %4s %7s  %-8s %s" % (
        "scenario", "wall s", "cpu s", "module s", "m.cpu", "req", "min", "429", "peak MB", "state", "requests by kind")
    print(header)
    print("-" * len(header))
    for key in ("converge", "converge_seq", "nochange", "drift", "purge", "loop", "uri", "rate"):
        m = results[key]
        requests = len(m.requests)
        if m.extrapolated_from:
            requests_text = "~%d*" % round(requests * n / float(m.extrapolated_from[0]))
        else:
            requests_text = str(requests)
        state = "OK" if m.state_ok else "MISMATCH"
        print("%-38s %8s %6s %8s %6s %6s %6s %4d %7s  %-8s %s" % (
            m.label, fmt(m.wall) + ("*" if m.extrapolated_from else ""), fmt(m.cpu), fmt(m.module_seconds),
            fmt(m.module_cpu), requests_text, m.minimum if m.minimum is not None else "-", m.count_429,
            fmt(m.peak_mb, "%.1f"), state,
            by_kind(profile, m.requests) + (" (measured part)" if m.extrapolated_from else "")))
    for key in ("converge", "converge_seq", "nochange", "drift", "purge", "loop", "uri", "rate"):
        m = results[key]
        if m.note or not m.state_ok:
            print("   %s: %s%s" % (m.label.strip(), m.note, "" if m.state_ok else " | MISMATCH: " + m.state_detail))
    nochange = results["nochange"].wall
    print("   minimum reads: %s; no-change minus floor: %.2f s wall, %.2f s CPU (medians of the paired differences; "
          "floor %.2f s wall, %.2f s CPU); no-change module process alone: %s s wall, %s s CPU" % (
              profile.min_reads_text(n), results["nochange_minus_floor"], results["nochange_minus_floor_cpu"],
              results["floor"], results["floor_cpu"], fmt(results["nochange"].module_seconds),
              fmt(results["nochange"].module_cpu)))
    print("   the floor playbook loading the same %d desired items as extra vars: %.2f s; no-change minus that: %.2f s "
          "(the module task itself: Ansible's per-module work plus the module process)" % (
              n, results["data_floor"], results["nochange_minus_data_floor"]))
    for key, name in (("loop", "baseline 5 (one-resource module in a loop)"), ("uri", "baseline 6 (uri playbook)")):
        m = results[key]
        extrapolated = (" (EXTRAPOLATED from %d items)" % m.extrapolated_from[0]) if m.extrapolated_from else ""
        print("   %s / no-change: %.1fx%s" % (name, m.wall / nochange, extrapolated))
    print("   sequential / parallel converge: %.2f s / %.2f s = %.1fx" % (
        results["converge_seq"].wall, results["converge"].wall, results["converge_seq"].wall / results["converge"].wall))


def verdict(ok):
    return "PASS" if ok else "MISS"


def print_targets(profile, n, results, floor, rate_n, memory):
    nochange = results["nochange"]
    print("   targets (informational):")
    lines = []
    lines.append((len(nochange.requests) == nochange.minimum,
                  "no-change sends exactly the minimum requests: %d sent, minimum %d"
                  % (len(nochange.requests), nochange.minimum)))
    budget = 1.0 + nochange.minimum * LATENCY_MS / 1000.0
    lines.append((results["nochange_minus_floor"] < budget,
                  "no-change minus floor < 1 s + minimum requests' latency (%.2f s): %.2f s"
                  % (budget, results["nochange_minus_floor"])))
    # The same target with the floor playbook given the same N items: what is left is the module
    # task alone, without the loading of the inventory data that any playbook over it pays.
    lines.append((results["nochange_minus_data_floor"] < budget,
                  "  the same, floor given the same %d items: %.2f s" % (n, results["nochange_minus_data_floor"])))
    ratio5 = results["loop"].wall / nochange.wall
    ratio6 = results["uri"].wall / nochange.wall
    lines.append((ratio5 >= 100, "no-change >= 100x faster than baseline 5: %.1fx%s"
                  % (ratio5, " (extrapolated)" if results["loop"].extrapolated_from else "")))
    lines.append((ratio6 >= 10, "no-change >= 10x faster than baseline 6: %.1fx%s"
                  % (ratio6, " (extrapolated)" if results["uri"].extrapolated_from else "")))
    data_floor = results["data_floor"]
    beyond6 = (results["uri"].wall - data_floor) / max(0.001, nochange.wall - data_floor)
    lines.append((beyond6 >= 10, "  the same, both beyond the floor given the same %d items: %.1fx" % (n, beyond6)))
    seq, par = results["converge_seq"].wall, results["converge"].wall
    lines.append((par < seq / 4, "converge from empty under a quarter of the sequential time: %.2f s vs %.2f s / 4 = %.2f s"
                  % (par, seq, seq / 4)))
    rate = results["rate"]
    ideal = rate_n / float(RATE_LIMIT["per_second"])
    lines.append((rate.state_ok and rate.wall <= 1.2 * ideal,
                  "%d creates at %d req/s within 1.2 x %.3g s = %.3g s, none given up: %.2f s, state %s"
                  % (rate_n, RATE_LIMIT["per_second"], ideal, 1.2 * ideal, rate.wall, "OK" if rate.state_ok else "MISMATCH")))
    lines.append((rate.count_429 == 0, "(ideally) no 429 while rate limited: %d" % rate.count_429))
    if memory is not None:
        lines.append((memory.peak_mb is not None and memory.peak_mb < 150 and memory.state_ok,
                      "peak module memory at N=%d < 150 MB: %s MB (wall %.2f s, %d requests, state %s)"
                      % (memory.label_n, fmt(memory.peak_mb, "%.1f"), memory.wall, len(memory.requests),
                         "OK" if memory.state_ok else "MISMATCH")))
    for ok, text in lines:
        print("     %s  %s" % (verdict(ok), text))


def print_startup(figures):
    print()
    print("== Module start-up (median of 7 processes, %s) ==" % sys.executable)
    print("   python -c pass:                         %6.0f ms" % (figures["bare"] * 1000))
    print("   import ansible.module_utils.basic:      %6.0f ms" % (figures["ansible_basic"] * 1000))
    print("   import requests:                        %6.0f ms" % (figures["requests"] * 1000))
    for name, seconds in figures["imports"].items():
        print("   import module_utils._%-10s          %6.0f ms  (+%.0f ms over a bare start)" % (
            name + ":", seconds * 1000, (seconds - figures["bare"]) * 1000))
    print("   heaviest top-level imports (python -X importtime, cumulative):")
    for micros, name in figures["top"]:
        print("     %6.1f ms  %s" % (micros / 1000.0, name))


def print_module_timeline(profile, measurement):
    """Module process start -> first API request, and last request -> process end."""
    runs = measurement.module_runs()
    if len(runs) != 1 or not measurement.requests:
        return
    run = runs[0]
    first = _epoch(measurement.requests[0]["time"]) - LATENCY_MS / 1000.0
    last = _epoch(measurement.requests[-1]["time"])
    print("   %s no-change module process: %.0f ms from start to its first request, %.0f ms of requests, "
          "%.0f ms from the last answer to exit"
          % (profile.name, (first - run["start"]) * 1000, (last - first) * 1000, (run["end"] - last) * 1000))


def _epoch(stamp):
    return datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()


# --------------------------------------------------------------------------------------------

def main(argv=None):
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
    args = parser.parse_args(argv)
    args.n = args.n or (100 if args.quick else 1000)
    args.baseline_n = args.baseline_n or min(args.n, 100)
    args.uri_baseline_n = args.uri_baseline_n or args.n
    args.rate_n = args.rate_n or (60 if args.quick else 300)
    args.memory_n = args.memory_n if args.memory_n is not None else (1000 if args.quick else 10000)
    names = [p.strip() for p in args.providers.split(",") if p.strip()]
    unknown = sorted(set(names) - set(profiles.PROVIDERS))
    if unknown:
        parser.error("unknown providers %s (known: %s)" % (unknown, ", ".join(profiles.PROVIDERS)))
    memory_names = [p.strip() for p in (args.memory_providers or ",".join(names)).split(",") if p.strip()]

    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="sso-benchmark."))
    print("sso.mappings benchmark: %s" % " ".join([Path(sys.argv[0]).name] + (argv or sys.argv[1:])))
    print("N=%d, providers %s, %d ms latency per request, %d CPU(s), %s, ansible-core %s" % (
        args.n, ",".join(names), LATENCY_MS, os.cpu_count(), sys.executable, _ansible_version()))
    print("work directory: %s (emulator log: emulator-requests.jsonl); load average at start: %s" % (
        work, _load()))
    runner = MeasuringRunner(work)
    try:
        with start_emulator(work / "emulator", log_file=work / "emulator-requests.jsonl") as emulator:
            runner.emulator = emulator
            rtt0, rtt = round_trip(emulator, 0), round_trip(emulator, LATENCY_MS)
            print("one request (keep-alive HTTPS GET) to the emulator: %.1f ms with no added latency, %.1f ms with %d ms "
                  "added" % (rtt0 * 1000, rtt * 1000, LATENCY_MS))
            floor = median_run(runner, args.repeat, lambda: floor_run(runner))
            print("floor: a one-task debug playbook takes %.2f s, %.2f s CPU (%s)" % (floor.wall, floor.cpu, floor.note))
            ping = median_run(runner, args.repeat, lambda: runner.measure(
                [{"name": "bench: ping", "ansible.builtin.ping": {}}], label="ping"))
            print("one-module floor: a one-task ansible.builtin.ping playbook takes %.2f s, %.2f s CPU (%s); its module "
                  "process %s s, %s s CPU, peak %s MB" % (ping.wall, ping.cpu, ping.note, fmt(ping.module_seconds),
                                                          fmt(ping.module_cpu), fmt(ping.peak_mb, "%.1f")))
            all_results = {}
            for name in names:
                profile = profiles.profile(name)
                profile.prepare(emulator)
                results = run_provider(runner, profile, args)
                all_results[name] = results
                memory = None
                if name in memory_names and args.memory_n:
                    progress("%s: peak memory, no-change at N=%d" % (name, args.memory_n))
                    memory = memory_run(runner, profile, args.memory_n)
                    memory.label_n = args.memory_n
                print_table(profile, args.n, results, floor.wall)
                print_module_timeline(profile, results["nochange"])
                if memory is not None:
                    print("   no-change at N=%s: wall %.2f s, module process %s s, %d requests (minimum %s), "
                          "peak module memory %s MB, state %s" % (
                              args.memory_n, memory.wall, fmt(memory.module_seconds), len(memory.requests),
                              memory.minimum, fmt(memory.peak_mb, "%.1f"),
                              "OK" if memory.state_ok else "MISMATCH: " + memory.state_detail))
                print_targets(profile, args.n, results, floor.wall, args.rate_n, memory)
                sys.stdout.flush()
            runner.emulator = None
        print_startup(startup(sys.executable, os.environ.get("SSO_COLLECTIONS_PATH") or str(collections_path())))
        print()
        print("* extrapolated (see the notes). wall s: the ansible-playbook process; cpu s: user+system CPU of it and "
              "all its children; module s / m.cpu: wall / CPU of the module process(es), summed; req: requests the "
              "emulator logged; min: the fewest requests that can do the job; peak MB: max RSS of the module process "
              "(the largest of a loop's processes). CPU figures depend less on other load than wall times.")
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
