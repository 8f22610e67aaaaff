# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark's output: a table per provider, its notes and figures, the informational PASS/MISS
lines against the targets in the README's "Performance" section, and the module start-up figures."""

from __future__ import annotations

import datetime
import sys

from measure import LATENCY_MS
from scenarios import RATE_LIMIT

SCENARIOS = ("converge", "converge_seq", "nochange", "drift", "purge", "loop", "uri", "rate")  # the table's rows


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


def print_table(profile, n, results):
    print()
    print("== %s (%s), N=%d, %d ms latency per request ==" % (profile.title, profile.set_module, n, LATENCY_MS))
    header = "%-38s %8s %6s %8s %6s %6s %6s %4s %7s  %-8s %s" % (
        "scenario", "wall s", "cpu s", "module s", "m.cpu", "req", "min", "429", "peak MB", "state", "requests by kind")
    print(header)
    print("-" * len(header))
    for key in SCENARIOS:
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
    for key in SCENARIOS:
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
        results["converge_seq"].wall, results["converge"].wall,
        results["converge_seq"].wall / results["converge"].wall))


def print_memory(memory):
    print("   no-change at N=%s: wall %.2f s, module process %s s, %d requests (minimum %s), "
          "peak module memory %s MB, state %s" % (
              memory.label_n, memory.wall, fmt(memory.module_seconds), len(memory.requests),
              memory.minimum, fmt(memory.peak_mb, "%.1f"),
              "OK" if memory.state_ok else "MISMATCH: " + memory.state_detail))


def verdict(ok):
    return "PASS" if ok else "MISS"


def print_targets(n, results, rate_n, memory):
    nochange = results["nochange"]
    print("   targets (informational):")
    lines = []
    lines.append((len(nochange.requests) == nochange.minimum,
                  "no-change sends exactly the minimum requests: %d sent, minimum %d"
                  % (len(nochange.requests), nochange.minimum)))
    latency = nochange.minimum * LATENCY_MS / 1000.0
    lines.append((results["nochange_minus_data_floor"] <= 0.5 + latency,
                  "no-change at most 0.5 s + minimum requests' latency (%.2f s) above the floor given the same %d "
                  "items: %.2f s above it" % (0.5 + latency, n, results["nochange_minus_data_floor"])))
    lines.append((results["nochange_minus_floor"] < 1.0 + latency,
                  "  (earlier target) no-change minus the bare floor < 1 s + that latency (%.2f s): %.2f s"
                  % (1.0 + latency, results["nochange_minus_floor"])))
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
    lines.append((par < seq / 4,
                  "converge from empty under a quarter of the sequential time: %.2f s vs %.2f s / 4 = %.2f s"
                  % (par, seq, seq / 4)))
    rate = results["rate"]
    ideal = rate_n / float(RATE_LIMIT["per_second"])
    lines.append((rate.state_ok and rate.wall <= 1.2 * ideal,
                  "%d creates at %d req/s within 1.2 x %.3g s = %.3g s, none given up: %.2f s, state %s"
                  % (rate_n, RATE_LIMIT["per_second"], ideal, 1.2 * ideal, rate.wall,
                     "OK" if rate.state_ok else "MISMATCH")))
    lines.append((rate.count_429 == 0, "(ideally) no 429 while rate limited: %d" % rate.count_429))
    if memory is not None:
        lines.append((memory.peak_mb is not None and memory.peak_mb < 150 and memory.state_ok,
                      "peak module memory at N=%d < 150 MB: %s MB (wall %.2f s, %d requests, state %s)"
                      % (memory.label_n, fmt(memory.peak_mb, "%.1f"), memory.wall, len(memory.requests),
                         "OK" if memory.state_ok else "MISMATCH")))
    for ok, text in lines:
        print("     %s  %s" % (verdict(ok), text))


def print_footnote():
    print()
    print("* extrapolated (see the notes). wall s: the ansible-playbook process; cpu s: user+system CPU of it and "
          "all its children; module s / m.cpu: wall / CPU of the module process(es), summed; req: requests the "
          "emulator logged; min: the fewest requests that can do the job; peak MB: max RSS of the module process "
          "(the largest of a loop's processes). CPU figures depend less on other load than wall times.")


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


def _median(values):
    values = sorted(values)
    return values[len(values) // 2] if values else None


def print_compare(profile, pairs, revision):
    """Old collection against new, scenario by scenario (medians of the runs taken in turns)."""
    print()
    print("== %s: the collection at %s (old) against this tree (new), run in turns ==" % (profile.title, revision))
    header = "%-32s %9s %9s %8s %10s %10s %6s %6s  %s" % (
        "scenario", "old wall", "new wall", "change", "old m.cpu", "new m.cpu", "old req", "new req", "state")
    print(header)
    print("-" * len(header))
    for runs in pairs.values():
        old_wall, new_wall = _median(o.wall for o, _n in runs), _median(n.wall for _o, n in runs)
        old_cpu, new_cpu = _median(o.module_cpu for o, _n in runs), _median(n.module_cpu for _o, n in runs)
        ok = all(o.state_ok and n.state_ok for o, n in runs)
        print("%-32s %9.2f %9.2f %+7.1f%% %10s %10s %6d %6d  %s  %s" % (
            runs[0][1].label.strip(), old_wall, new_wall, (new_wall / old_wall - 1) * 100, fmt(old_cpu), fmt(new_cpu),
            len(runs[0][0].requests), len(runs[0][1].requests), "OK" if ok else "MISMATCH",
            verdict(new_wall <= old_wall * 1.05) + " (at most 5 % slower)"))
    print("   walls of every run (old/new): %s" % "; ".join(
        "%s %s" % (key, ", ".join("%.2f/%.2f" % (o.wall, n.wall) for o, n in runs)) for key, runs in pairs.items()))


def print_scaling(profile, rows):
    """What the module task costs per mapping as N grows: it must not grow with N."""
    print()
    print("== %s: cost per mapping of a no-change run ==" % profile.title)
    header = "%8s %12s %10s %12s %14s %12s %14s %8s %8s  %s" % (
        "N", "floor+items", "no-change", "difference", "per mapping", "module cpu", "cpu/mapping", "peak MB", "req",
        "state")
    print(header)
    print("-" * len(header))
    for row in rows:
        print("%8d %11.2fs %9.2fs %11.2fs %11.3f ms %11.2fs %11.3f ms %8.1f %8s  %s" % (
            row["n"], row["data_floor"], row["nochange"], row["beyond"], row["beyond"] / row["n"] * 1000,
            row["module_cpu"], row["module_cpu"] / row["n"] * 1000, row["peak_mb"],
            "%d/%d" % (row["requests"], row["minimum"]), "OK" if row["ok"] else "MISMATCH"))
    print("   difference: the no-change run minus the floor playbook given the same N items (medians of paired runs);"
          " module cpu: the module process's CPU")
    print("   targets (informational):")
    smallest = rows[0]
    for row in rows:
        bound = 2 * (row["data_floor"] + row["minimum"] * LATENCY_MS / 1000.0)
        print("     %s  N=%d: no-change at most 2 x (floor given the items + minimum requests' latency) = %.2f s: %.2f s"
              % (verdict(row["nochange"] <= bound), row["n"], bound, row["nochange"]))
    for row in rows[1:]:
        # 10 % for the noise of a median of a few runs; anything beyond that is growth.
        per, first = row["beyond"] / row["n"], smallest["beyond"] / smallest["n"]
        print("     %s  cost per mapping at N=%d not above N=%d's (+10 %% for noise): %.3f ms vs %.3f ms"
              % (verdict(per <= first * 1.1), row["n"], smallest["n"], per * 1000, first * 1000))


def print_breakdown(profile, data):
    """Where a no-change run's wall time goes, and the module process's CPU by stage."""
    stages = data["stages"]
    in_process = sum(stages[k] for k in ("import", "decode", "precheck", "validate", "converge", "exit"))
    n = data["n"]
    print()
    print("== %s: where a no-change run over %d mappings spends its time ==" % (profile.title, n))
    rows = (
        ("ansible-playbook start-up (the one-task floor)", data["floor"], ""),
        ("+ loading the %d items as extra vars" % n, data["data_floor"] - data["floor"],
         "the floor given the items: %.2f s" % data["data_floor"]),
        ("+ handing the items to a module that does nothing", data["sink"] - data["data_floor"],
         "templating the argument, the payload, the module's start and decoding"),
        ("+ that module returning them as its result", data["echo"] - data["sink"],
         "= %.2f s: the floor of any module that takes the set and returns it" % data["echo"]),
        ("+ the set module's own work beyond that floor", data["nochange"] - data["echo"], ""),
        ("= the no-change run", data["nochange"], "%d requests; its module process %.2f s wall, %.2f s CPU"
         % (data["requests"], data["module_wall"], data["module_cpu"])),
    )
    for label, seconds, note in rows:
        print("   %-52s %7.2f s%s" % (label, seconds, "  (%s)" % note if note else ""))
    latency = data["minimum"] * LATENCY_MS / 1000.0
    print("   the no-change run against the floor given the items + the minimum requests' latency: %.2fx; against "
          "the floor of a module that takes the set and returns it + that latency: %.2fx"
          % (data["nochange"] / (data["data_floor"] + latency), data["nochange"] / (data["echo"] + latency)))
    print("   the module process in-process, CPU by stage (median of runs; the requests' waiting is not CPU):")
    for key, what in (("import", "importing the provider's module_utils (Ansible's and requests' included)"),
                      ("decode", "decoding the arguments"),
                      ("precheck", "the collection's argument-shape check"),
                      ("validate", "AnsibleModule: Ansible's validation of every option and item"),
                      ("converge", "options, requests, the collection's validation, plan and outcome"),
                      ("exit", "exit_json: the scan for secrets and the result's JSON")):
        print("     %-10s %6.3f s  %5.1f%%  %s" % (key, stages[key], stages[key] / in_process * 100, what))
    print("     result: %d bytes" % stages["result_bytes"])
