# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a set module's process spends its time, stage by stage, run in-process on given arguments.

    python benchmarks/stages.py PROVIDER ARGS_JSON

ARGS_JSON holds the module's arguments (as the task gives them). Prints one JSON object of CPU
seconds: import (the provider's module_utils), decode (the arguments), precheck (the collection's
argument-shape check), validate (AnsibleModule: Ansible's own validation of every option),
converge (options checked, the requests, the collection's validation, plan and outcome), exit
(exit_json: the scan for secrets and the JSON of the result), and the result's size in bytes.
Each stage is wrapped where the module calls it, so nothing in the collection knows it is timed.
"""

import contextlib
import importlib
import io
import json
import sys
import time

STAGES = ("import", "decode", "precheck", "validate", "converge", "exit")


def main(provider, args_file):
    spent = dict.fromkeys(STAGES, 0.0)
    started = time.process_time()
    from ansible.module_utils import basic  # pylint: disable=import-outside-toplevel
    module_utils = importlib.import_module('ansible_collections.sso.mappings.plugins.module_utils._%s' % provider)
    from ansible_collections.sso.mappings.plugins.module_utils import _arguments, _reconcile  # pylint: disable=import-outside-toplevel
    spent["import"] = time.process_time() - started

    def timed(stage, function):
        def wrapper(*args, **kwargs):
            begun = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[stage] += time.process_time() - begun
        return wrapper

    with open(args_file, encoding="utf-8") as handle:
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": json.load(handle)}).encode()  # pylint: disable=protected-access
    basic._ANSIBLE_PROFILE = "legacy"  # pylint: disable=protected-access
    basic._load_params = timed("decode", basic._load_params)  # pylint: disable=protected-access
    _arguments.problems = timed("precheck", _arguments.problems)
    basic.AnsibleModule.__init__ = timed("validate", basic.AnsibleModule.__init__)
    _reconcile.converge = timed("converge", _reconcile.converge)
    basic.AnsibleModule.exit_json = timed("exit", basic.AnsibleModule.exit_json)
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output):
            module_utils.MODULES.run_set()
    except SystemExit:
        pass
    result = json.loads(output.getvalue())
    print(json.dumps(dict(spent, result_bytes=len(output.getvalue()), failed=bool(result.get("failed")),
                          msg=result.get("msg"))))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
