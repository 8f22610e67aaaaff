# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Measuring: one ansible-playbook run with its wall and CPU time, the requests the emulator logged,
the module processes' peak memory and times, and the tasks' results; plus a request's round trip
and the modules' start-up.

Peak memory: ansible_python_interpreter points at a small wrapper that runs the real interpreter
as a child (fork + exec) and appends the child's ru_maxrss from wait4() to a file.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from support.profiles import Confluent
from support.runner import REPO, AnsibleRunner

LATENCY_MS = 20  # added to every API request by the emulator
# Warnings are not part of what is measured.
# The benchmark's own do-nothing module (library/bench_sink.py) is found through ANSIBLE_LIBRARY.
QUIET = {"ANSIBLE_DEPRECATION_WARNINGS": "False", "ANSIBLE_LIBRARY": str(Path(__file__).resolve().parent / "library")}

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

    def __init__(self, work, collections=None):
        work.mkdir(parents=True, exist_ok=True)
        self.rss_file = work / "module-rss.jsonl"
        wrapper = work / "python-rss-wrapper"
        wrapper.write_text(WRAPPER.format(python=sys.executable, out=str(self.rss_file)), encoding="utf-8")
        wrapper.chmod(0o755)
        super().__init__(work, interpreter=wrapper, collections=collections)
        self.emulator = None

    def reset(self, latency=True, rate_limit=None):
        """Empty the emulator and set its latency and rate limit for the next run."""
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


def median_run(count, make):
    """Run make() count times; return the measurement with the median wall time and all walls."""
    runs = [make() for _run in range(count)]
    walls = [m.wall for m in runs]
    runs.sort(key=lambda m: m.wall)
    chosen = runs[len(runs) // 2]
    chosen.note = (chosen.note + " " if chosen.note else "") + "median of %d: %s s" % (
        count, ", ".join("%.2f" % w for w in walls))
    return chosen


def round_trip(emulator, latency_ms, count=25):
    """Median time of one keep-alive HTTPS GET from a requests.Session, as the modules send them."""
    import requests  # pylint: disable=import-outside-toplevel

    emulator.client.reset()
    emulator.client.config(latency_ms=latency_ms)
    session = requests.Session()
    url = emulator.https + "/iam/v2/sso/group-mappings"
    options = {"auth": (Confluent.api_key, Confluent.api_secret), "verify": emulator.ca_file,
               "params": {"page_size": 1}}
    session.get(url, **options)  # connect once
    walls = []
    for _request in range(count):
        started = time.monotonic()
        session.get(url, **options).raise_for_status()
        walls.append(time.monotonic() - started)
    session.close()
    return statistics.median(walls)


def startup(python, collections, repeat=7):
    """Module start-up: medians of a bare interpreter and of importing each provider's module_utils,
    ansible.module_utils.basic and requests, plus the heaviest imports by `python -X importtime`."""
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


def module_stages(python, collections, provider, module_args, work, repeat=3):
    """CPU seconds of each stage of a set module's run in-process (benchmarks/stages.py), the median
    of repeat runs per stage, on the same arguments the task gives the module."""
    args_file = work / ("stages-%s.json" % provider)
    args_file.write_text(json.dumps(module_args), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(collections))
    runs = []
    for _run in range(repeat):
        process = subprocess.run([python, str(Path(__file__).resolve().parent / "stages.py"), provider, str(args_file)],
                                 env=env, check=True, capture_output=True, text=True)
        runs.append(json.loads(process.stdout))
    if any(run["failed"] for run in runs):
        raise RuntimeError("the module failed in-process: %s" % runs[0]["msg"])
    return dict((key, statistics.median(run[key] for run in runs)) for key in runs[0] if key not in ("failed", "msg"))


def collection_at(revision, work):
    """A collections path holding the collection as it was at a git revision (for --compare)."""
    root = work / ("collection-%s" % revision.replace("/", "_"))
    target = root / "ansible_collections" / "sso" / "mappings"
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", revision], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return root
