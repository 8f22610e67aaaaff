# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Records every task result as JSON for the playbook runner of the tests and the benchmark (tests/support/runner.py)."""

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: sso_results
type: aggregate
short_description: Write task results to a JSON file for the integration tests and the benchmark
description:
  - Records the result dict of every task (ok, changed, failed, skipped, unreachable), including
    the per-item results of loops, as one JSON line per task appended to the file named by
    E(SSO_RESULTS_FILE).
requirements:
  - enable in configuration
"""

RESULTS_FILE_ENV = "SSO_RESULTS_FILE"


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "sso_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._path = os.environ.get(RESULTS_FILE_ENV)

    def _record(self, result, status):
        if not self._path:
            return
        # result.result and result.task are the ansible-core 2.19+ callback API.
        data = dict(result.result)
        data.setdefault("failed", status in ("failed", "unreachable"))
        data.setdefault("skipped", status == "skipped")
        # Serialized now (results may hold tagged or non-JSON values) and appended after every task,
        # so a crashed run still leaves what it did; appending, not rewriting the whole file, keeps
        # the cost linear in the results' size (the benchmark's uri playbook records megabytes).
        line = json.dumps({"name": result.task.get_name(), "status": status, "result": data}, default=str)
        with open(self._path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    def v2_runner_on_ok(self, result):
        self._record(result, "changed" if result.result.get("changed") else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")
