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
