# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Records a small summary of every task result for benchmarks/benchmark.py."""

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: bench_results
type: aggregate
short_description: Write a summary of each task result to a JSON file for the benchmark
description:
  - Records status, changed, failed, msg and summary of every task (and how many loop items
    changed, failed or were skipped) in the file named by E(SSO_BENCH_RESULTS_FILE), at the end of the play.
requirements:
  - enable in configuration
"""

RESULTS_FILE_ENV = "SSO_BENCH_RESULTS_FILE"
KEPT = ("changed", "failed", "msg", "summary", "skipped")


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._path = os.environ.get(RESULTS_FILE_ENV)
        self._tasks = []

    def _record(self, result, status):
        data = result.result
        entry = {"name": result.task.get_name(), "status": status}
        for key in KEPT:
            if key in data:
                entry[key] = json.loads(json.dumps(data[key], default=str))
        if isinstance(data.get("results"), list):
            items = data["results"]
            entry["items"] = {"total": len(items),
                              "changed": sum(1 for i in items if i.get("changed")),
                              "failed": sum(1 for i in items if i.get("failed")),
                              "skipped": sum(1 for i in items if i.get("skipped"))}
        self._tasks.append(entry)

    def v2_runner_on_ok(self, result):
        self._record(result, "changed" if result.result.get("changed") else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        if self._path:
            with open(self._path, "w", encoding="utf-8") as handle:
                json.dump(self._tasks, handle)
