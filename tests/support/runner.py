# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs real ansible-playbook processes for the integration tests and the benchmark.

Each run gets a directory of its own (the playbook, extra vars, Ansible's temp files, the recorded
results) and an environment without the caller's provider credentials. The callback plugin
``sso_results`` (callback_plugins/) records every task's result, which comes back in a Result.
"""

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
CALLBACK_DIR = Path(__file__).resolve().parent / "callback_plugins"
RESULTS_CALLBACK = "sso_results"
RESULTS_FILE_ENV = "SSO_RESULTS_FILE"
# Credentials in the caller's environment must never leak into a run.
SCRUBBED_PREFIXES = ("CONFLUENT_", "MONGODB_ATLAS_", "ARIA_LCM_")


class Result:
    """The outcome of one ansible-playbook run."""

    def __init__(self, rc, stdout, stderr, tasks, run_dir=None, wall=None, cpu=None):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.tasks = tasks  # every recorded result in order: {name, status, result}
        # Task name -> result dict; a name recorded twice keeps its last result.
        self.results = {entry["name"]: entry["result"] for entry in tasks}
        self.run_dir = run_dir  # the run's working directory (the playbook's cwd)
        self.wall = wall  # seconds of the ansible-playbook process
        self.cpu = cpu  # user + system CPU seconds of it and of everything it waited for

    def task(self, name):
        if name not in self.results:
            raise KeyError("no result for task %r; recorded: %s\n%s" % (name, list(self.results), self.output()))
        return self.results[name]

    def output(self):
        return "rc=%s\n--- stdout ---\n%s\n--- stderr ---\n%s" % (self.rc, self.stdout, self.stderr)

    def assert_ok(self):
        if self.rc != 0:
            raise AssertionError("ansible-playbook failed:\n" + self.output())
        return self


class AnsibleRunner:
    """Writes a playbook under workdir and runs it with the ansible-playbook next to sys.executable,
    timing the process (Result.wall, Result.cpu).

    collections: the collections path the collection is found in (default: this repository's).
    interpreter: the Python the modules run with (default: this one). When given, it is also passed
    as the extra var ansible_python_interpreter: the implicit localhost sets that variable to the
    controller's Python, which beats ANSIBLE_PYTHON_INTERPRETER, and an extra var beats both.
    """

    def __init__(self, workdir, interpreter=None, collections=None):
        self.workdir = Path(workdir)
        self.interpreter = interpreter
        self.collections = collections  # ANSIBLE_COLLECTIONS_PATH; default: this repository's
        self.runs = 0

    def environment(self, run_dir, results_file, extra=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUBBED_PREFIXES)}
        enabled = [name for name in env.get("ANSIBLE_CALLBACKS_ENABLED", "").split(",") if name.strip()]
        env.update({
            "ANSIBLE_COLLECTIONS_PATH": str(self.collections or os.environ.get("SSO_COLLECTIONS_PATH") or collections_path()),
            "ANSIBLE_PYTHON_INTERPRETER": str(self.interpreter or sys.executable),
            "ANSIBLE_LOCALHOST_WARNING": "False",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "ANSIBLE_LOCAL_TEMP": str(run_dir / "ansible-tmp"),
            "ANSIBLE_REMOTE_TEMP": str(run_dir / "ansible-tmp"),
            "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACK_DIR),
            "ANSIBLE_CALLBACKS_ENABLED": ",".join(enabled + [RESULTS_CALLBACK]),
            RESULTS_FILE_ENV: str(results_file),
        })
        env.update(extra or {})
        return env

    def run(self, tasks=None, *, check=False, diff=False, verbosity=0, env=None, extra_vars=None,
            module_defaults=None, playbook=None, inventory=None, args=(), timeout=600):
        """Run one playbook and return a Result.

        tasks: a list of task dicts, played on localhost (connection local, no facts).
        playbook: instead of tasks, a whole playbook as a list of plays, as YAML text
        (a string with a newline), or a reference passed as is (a path or sso.mappings.<name>).
        module_defaults: play-level module_defaults of the generated play.
        inventory: inventory text (YAML or INI) or a path. env: extra environment variables.
        """
        if (tasks is None) == (playbook is None):
            raise ValueError("give either tasks or playbook")
        self.runs += 1
        run_dir = self.workdir / ("run%03d" % self.runs)
        run_dir.mkdir(parents=True)
        results_file = run_dir / "results.jsonl"

        target = run_dir / "playbook.yml"
        if tasks is not None:
            play = {"name": "test", "hosts": "localhost", "connection": "local", "gather_facts": False}
            if module_defaults:
                play["module_defaults"] = module_defaults
            play["tasks"] = tasks
            target.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
        elif isinstance(playbook, Path) or (isinstance(playbook, str) and "\n" not in playbook):
            target = playbook
        elif isinstance(playbook, str):
            target.write_text(playbook, encoding="utf-8")
        else:
            target.write_text(yaml.safe_dump(playbook, sort_keys=False), encoding="utf-8")

        command = [str(Path(sys.executable).parent / "ansible-playbook"), str(target)]
        if inventory is not None:
            if isinstance(inventory, str) and "\n" in inventory:
                inventory_file = run_dir / "inventory.yml"
                inventory_file.write_text(inventory, encoding="utf-8")
                inventory = inventory_file
            command += ["-i", str(inventory)]
        if self.interpreter:
            extra_vars = dict(extra_vars or {}, ansible_python_interpreter=str(self.interpreter))
        if extra_vars:
            vars_file = run_dir / "extra-vars.json"
            vars_file.write_text(json.dumps(extra_vars), encoding="utf-8")
            command += ["-e", "@%s" % vars_file]
        if check:
            command.append("--check")
        if diff:
            command.append("--diff")
        if verbosity:
            command.append("-" + "v" * verbosity)
        command += list(args)

        environment = self.environment(run_dir, results_file, env)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        process = subprocess.run(command, cwd=run_dir, env=environment, capture_output=True, text=True,
                                 timeout=timeout, check=False)
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (usage.ru_utime + usage.ru_stime)
        tasks_run = []
        if results_file.exists():
            with open(results_file, encoding="utf-8") as handle:
                tasks_run = [json.loads(line) for line in handle if line.strip()]
        return Result(process.returncode, process.stdout, process.stderr, tasks_run, run_dir, wall, cpu)


def collections_path():
    """<repo>/.build/collections, with ansible_collections/sso/mappings linked to the repo if missing."""
    root = REPO / ".build" / "collections"
    link = root / "ansible_collections" / "sso" / "mappings"
    if not link.exists() and not link.is_symlink():
        link.parent.mkdir(parents=True, exist_ok=True)
        try:
            link.symlink_to(REPO, target_is_directory=True)
        except FileExistsError:
            pass  # made meanwhile by a parallel run or the build script
    return root
