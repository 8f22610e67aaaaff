"""Fixtures for integration tests that run real ansible-playbook processes against the emulator.

- `emulator` (session): one emulator for the whole session; every API request is appended to
  tests/output/emulator-requests.jsonl, which the conformance test checks afterwards.
- an autouse fixture resets the emulator before each test.
- `ansible`: runs playbooks, see AnsibleRunner.run().
- `confluent_connection`: module options that reach the emulator's Confluent API.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
TESTS_DIR = REPO / "tests"
REQUEST_LOG = TESTS_DIR / "output" / "emulator-requests.jsonl"
CALLBACK_DIR = Path(__file__).resolve().parent / "callback_plugins"
RECORDER = "sso_test_results"
# Credentials in the caller's environment must never leak into a test run.
SCRUBBED_PREFIXES = ("CONFLUENT_", "MONGODB_ATLAS_", "ARIA_LCM_")

sys.path.insert(0, str(TESTS_DIR))
from emulator.client import start_emulator  # noqa: E402  pylint: disable=wrong-import-position

# The emulator's default Confluent credentials (see tests/emulator/README.md).
CONFLUENT_API_KEY = "EMULATOR-KEY"
CONFLUENT_API_SECRET = "emulator-secret"
CONFLUENT_ACCESS_TOKEN = "emulator-token"


class Result:
    """The outcome of one ansible-playbook run."""

    def __init__(self, rc, stdout, stderr, tasks):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.tasks = tasks  # every recorded result in order: {name, status, result}
        # Task name -> result dict; a name recorded twice keeps its last result.
        self.results = {entry["name"]: entry["result"] for entry in tasks}

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
    """Writes a playbook under tmp_path and runs it with the ansible-playbook next to sys.executable."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.runs = 0

    def environment(self, workdir, results_file, extra=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUBBED_PREFIXES)}
        enabled = [name for name in env.get("ANSIBLE_CALLBACKS_ENABLED", "").split(",") if name.strip()]
        env.update({
            "ANSIBLE_COLLECTIONS_PATH": os.environ.get("SSO_COLLECTIONS_PATH") or str(collections_path()),
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "ANSIBLE_LOCALHOST_WARNING": "False",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "ANSIBLE_LOCAL_TEMP": str(workdir / "ansible-tmp"),
            "ANSIBLE_REMOTE_TEMP": str(workdir / "ansible-tmp"),
            "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACK_DIR),
            "ANSIBLE_CALLBACKS_ENABLED": ",".join(enabled + [RECORDER]),
            "SSO_TEST_RESULTS_FILE": str(results_file),
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
        workdir = self.tmp_path / ("run%d" % self.runs)
        workdir.mkdir(parents=True)
        results_file = workdir / "results.json"

        target = workdir / "playbook.yml"
        if tasks is not None:
            play = {"name": "test", "hosts": "localhost", "connection": "local", "gather_facts": False}
            if module_defaults:
                play["module_defaults"] = module_defaults
            play["tasks"] = tasks
            target.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
        elif isinstance(playbook, str) and "\n" not in playbook:
            target = playbook
        elif isinstance(playbook, str):
            target.write_text(playbook, encoding="utf-8")
        else:
            target.write_text(yaml.safe_dump(playbook, sort_keys=False), encoding="utf-8")

        command = [str(Path(sys.executable).parent / "ansible-playbook"), str(target)]
        if inventory is not None:
            if isinstance(inventory, str) and "\n" in inventory:
                inventory_file = workdir / "inventory.yml"
                inventory_file.write_text(inventory, encoding="utf-8")
                inventory = inventory_file
            command += ["-i", str(inventory)]
        if extra_vars:
            vars_file = workdir / "extra-vars.json"
            vars_file.write_text(json.dumps(extra_vars), encoding="utf-8")
            command += ["-e", "@%s" % vars_file]
        if check:
            command.append("--check")
        if diff:
            command.append("--diff")
        if verbosity:
            command.append("-" + "v" * verbosity)
        command += list(args)

        process = subprocess.run(command, cwd=workdir, env=self.environment(workdir, results_file, env),
                                 capture_output=True, text=True, timeout=timeout, check=False)
        tasks_run = json.loads(results_file.read_text(encoding="utf-8")) if results_file.exists() else []
        return Result(process.returncode, process.stdout, process.stderr, tasks_run)


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


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    with start_emulator(tmp_path_factory.mktemp("emulator"), log_file=REQUEST_LOG) as running:
        yield running


@pytest.fixture(autouse=True)
def reset_emulator(emulator):
    emulator.client.reset()


@pytest.fixture
def ansible(tmp_path):
    return AnsibleRunner(tmp_path)


@pytest.fixture
def confluent_connection(emulator):
    """Options for the Confluent modules that reach the emulator over HTTPS."""
    return {"base_url": emulator.https, "api_key": CONFLUENT_API_KEY, "api_secret": CONFLUENT_API_SECRET,
            "ca_path": emulator.ca_file}
