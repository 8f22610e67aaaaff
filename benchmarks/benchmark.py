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
import math
import os
import resource
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
from emulator.client import start_emulator  # noqa: E402  pylint: disable=wrong-import-position

LATENCY_MS = 20
RATE_LIMIT = {"per_second": 20, "burst": 20}
DRIFT_SHARE = 0.05
PURGE_SHARE = 0.10
SCRUBBED_PREFIXES = ("CONFLUENT_", "MONGODB_ATLAS_", "ARIA_LCM_")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

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
# Providers: desired items, seeds, drift, state, request kinds, minimum request counts
# --------------------------------------------------------------------------------------------

class Provider:
    name = title = set_module = one_module = None
    purge_extra_reads = 0
    one_fields = ()
    label_field = None

    def __init__(self, emulator):
        self.emulator = emulator

    def name_of(self, index):
        return "bench-group-%05d" % index

    def connection(self):
        raise NotImplementedError

    def desired(self, index):
        raise NotImplementedError

    def seed_item(self, desired, drifted=False):
        raise NotImplementedError

    def seed(self, items):
        raise NotImplementedError

    def state(self):
        """The emulator's mappings as {identity: comparable value}."""
        raise NotImplementedError

    def expected(self, desired_items):
        """What state() must be once desired_items are applied exactly."""
        raise NotImplementedError

    def kind(self, entry):
        if entry["method"] in WRITE_METHODS and self.kind_of_operation(entry) != "token":
            return "write"
        return self.kind_of_operation(entry)

    def kind_of_operation(self, entry):
        raise NotImplementedError

    def min_reads(self, existing):
        raise NotImplementedError

    def uri_vars(self, desired_items):
        raise NotImplementedError


class Confluent(Provider):
    name, title = "confluent", "Confluent Cloud"
    set_module = "sso.mappings.confluent_group_mappings"
    one_module = "sso.mappings.confluent_group_mapping"
    one_fields = ("display_name", "filter", "description")
    label_field = "display_name"
    page_size = 100
    # Deleting a mapping deletes its role bindings first, so a purge also lists the bindings: on the
    # organization and on every scope below it (one page each here).
    purge_extra_reads = 2

    def connection(self):
        return {"base_url": self.emulator.https, "api_key": "EMULATOR-KEY", "api_secret": "emulator-secret",
                "ca_path": self.emulator.ca_file}

    def desired(self, index):
        name = self.name_of(index)
        return {"display_name": name, "filter": '"%s" in claims.groups' % name,
                "description": "Benchmark group %d" % index}

    def seed_item(self, desired, drifted=False):
        item = dict(desired)
        if drifted:
            item["description"] += " (drifted)"
        return item

    def seed(self, items):
        self.emulator.client.seed("confluent", group_mappings=items)

    def state(self):
        return dict((m["display_name"], (m["filter"], m["description"]))
                    for m in self.emulator.client.state("confluent")["group_mappings"])

    def expected(self, desired_items):
        return dict((d["display_name"], (d["filter"], d["description"])) for d in desired_items)

    def kind_of_operation(self, entry):
        return {"listIamV2SsoGroupMappings": "list", "listIamV2RoleBindings": "bindings"}.get(entry["operation"], "other")

    def min_reads(self, existing):
        return max(1, math.ceil(existing / float(self.page_size)))

    def min_reads_text(self, existing):
        return "%d list page(s); a purge also lists the role bindings" % self.min_reads(existing)

    def uri_vars(self, desired_items):
        return {"confluent_url": self.emulator.https, "confluent_api_key": "EMULATOR-KEY",
                "confluent_api_secret": "emulator-secret", "confluent_ca_path": self.emulator.ca_file,
                "desired_mappings": desired_items}


class Atlas(Provider):
    name, title = "atlas", "MongoDB Atlas"
    set_module = "sso.mappings.atlas_role_mappings"
    one_module = "sso.mappings.atlas_role_mapping"
    one_fields = ("external_group_name", "role_assignments")
    label_field = "external_group_name"
    org_id = "5e2211c17a3e5a48f5497de3"
    federation_settings_id = "6a1f0c2b3d4e5f60718293a4"

    def connection(self):
        # federation_settings_id is omitted on purpose: the module discovers it (one more request).
        return {"base_url": self.emulator.https, "client_id": "mdb_sa_id_emulator",
                "client_secret": "mdb_sa_sk_emulator", "org_id": self.org_id, "ca_path": self.emulator.ca_file}

    @staticmethod
    def project(index):
        return "64b0c0de%016x" % (index % 10)

    def desired(self, index):
        return {"external_group_name": self.name_of(index),
                "role_assignments": [{"role": "ORG_MEMBER", "org_id": self.org_id},
                                     {"role": "GROUP_READ_ONLY", "project_id": self.project(index)}]}

    def seed_item(self, desired, drifted=False):
        assignments = []
        for assignment in desired["role_assignments"]:
            role = assignment["role"]
            if drifted and role.startswith("GROUP_"):
                role = "GROUP_DATA_ACCESS_READ_ONLY"
            if "org_id" in assignment:
                assignments.append({"role": role, "orgId": assignment["org_id"]})
            else:
                assignments.append({"role": role, "groupId": assignment["project_id"]})
        return {"externalGroupName": desired["external_group_name"], "roleAssignments": assignments}

    def seed(self, items):
        self.emulator.client.seed("atlas", role_mappings=items)

    @staticmethod
    def _assignments(assignments):
        return tuple(sorted((a.get("role"), a.get("orgId") or "", a.get("groupId") or "") for a in assignments))

    def state(self):
        return dict((m["externalGroupName"], self._assignments(m["roleAssignments"]))
                    for m in self.emulator.client.state("atlas")["role_mappings"])

    def expected(self, desired_items):
        return dict((d["externalGroupName"], self._assignments(d["roleAssignments"]))
                    for d in (self.seed_item(i) for i in desired_items))

    def kind_of_operation(self, entry):
        operation = entry["operation"] or ""
        if operation.startswith("oauth2:"):
            return "token"
        if operation == "getOrgFederationSettings":
            return "discovery"
        if operation == "listFederationSettingConnectedOrgConfigRoleMappings":
            return "list"
        return "other"

    def min_reads(self, existing):
        return 3  # token + federation settings discovery + one list page

    def min_reads_text(self, existing):
        return "token + discovery + 1 list"

    def uri_vars(self, desired_items):
        return {"atlas_url": self.emulator.https, "atlas_client_id": "mdb_sa_id_emulator",
                "atlas_client_secret": "mdb_sa_sk_emulator", "atlas_ca_path": self.emulator.ca_file,
                "atlas_org_id": self.org_id, "atlas_federation_settings_id": self.federation_settings_id,
                "desired_mappings": [self.seed_item(d) for d in desired_items]}


class Aria(Provider):
    name, title = "aria", "VMware Aria Suite Lifecycle"
    set_module = "sso.mappings.aria_group_mappings"
    one_module = "sso.mappings.aria_group_mapping"
    one_fields = ("display_name", "domain", "mapped_roles")
    label_field = "display_name"
    roles = (["Content Developer"], ["LCM Cloud Admin", "Certificate Administrator"], ["Content Release Manager"])
    vmids = {"LCM Admin": "b5e27e25-f4c7-4996-8622-663dc205ef4f", "LCM Cloud Admin": "cbadd457-f8a8-4666-8905-783876ecad41",
             "Content Release Manager": "9ea1033c-cf01-4fdd-9975-ce0b1e2763f7",
             "Content Developer": "2e23702a-acbf-4970-af71-b58f3ac013ac",
             "Certificate Administrator": "8e1e08eb-014f-43f6-b9ff-e66053b57bca"}

    def connection(self):
        return {"base_url": self.emulator.https, "username": "admin@local", "password": "emulator-password",
                "ca_path": self.emulator.ca_file}

    def desired(self, index):
        return {"display_name": self.name_of(index), "domain": "example.com",
                "mapped_roles": list(self.roles[index % len(self.roles)])}

    def seed_item(self, desired, drifted=False):
        roles = ["LCM Admin"] if drifted else desired["mapped_roles"]
        return {"displayName": desired["display_name"], "domain": desired["domain"], "mappedRoles": list(roles)}

    def seed(self, items):
        self.emulator.client.seed("aria", groups=items)

    def state(self):
        return dict(("%s@%s" % (g["displayName"].lower(), g["domain"].lower()),
                     tuple(sorted(r["roleName"] for r in g["roleMappings"])))
                    for g in self.emulator.client.state("aria")["groups"])

    def expected(self, desired_items):
        return dict(("%s@%s" % (d["display_name"].lower(), d["domain"].lower()), tuple(sorted(d["mapped_roles"])))
                    for d in desired_items)

    def kind_of_operation(self, entry):
        return {"getAllExternalRolesV2UsingGET": "roles", "listAllGroupsV1": "list",
                "getGroupsByDisplayNameV2UsingGET": "lookup"}.get(entry["operation"], "other")

    def min_reads(self, existing):
        return 2  # the external roles + one list of the groups

    def min_reads_text(self, existing):
        return "roles + 1 list"

    def uri_vars(self, desired_items):
        return {"aria_url": self.emulator.https, "aria_username": "admin@local", "aria_password": "emulator-password",
                "aria_ca_path": self.emulator.ca_file,
                "desired_mappings": [dict(self.seed_item(d), mappedRoles=[self.vmids[r] for r in d["mapped_roles"]])
                                     for d in desired_items]}


PROVIDERS = {"confluent": Confluent, "atlas": Atlas, "aria": Aria}


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
        for entry in self.results:
            if entry["name"].startswith(prefix):
                return entry
        return {}


class Bench:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.runs = 0
        self.python = str(Path(sys.executable))
        self.rss_file = work / "module-rss.jsonl"
        self.wrapper = work / "python-rss-wrapper"
        self.wrapper.write_text(WRAPPER.format(python=self.python, out=str(self.rss_file)), encoding="utf-8")
        self.wrapper.chmod(0o755)
        self.ansible_playbook = str(Path(sys.executable).parent / "ansible-playbook")
        self.collections = os.environ.get("SSO_COLLECTIONS_PATH") or str(REPO / ".build" / "collections")
        self.emulator = None

    def environment(self, results_file):
        env = dict((k, v) for k, v in os.environ.items() if not k.startswith(SCRUBBED_PREFIXES))
        env.update({
            "ANSIBLE_COLLECTIONS_PATH": self.collections,
            "ANSIBLE_PYTHON_INTERPRETER": str(self.wrapper),
            "ANSIBLE_LOCALHOST_WARNING": "False",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
            "ANSIBLE_DEPRECATION_WARNINGS": "False",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "ANSIBLE_LOCAL_TEMP": str(self.work / "ansible-tmp"),
            "ANSIBLE_REMOTE_TEMP": str(self.work / "ansible-tmp"),
            "ANSIBLE_CALLBACK_PLUGINS": str(BENCH_DIR / "callback_plugins"),
            "ANSIBLE_CALLBACKS_ENABLED": "bench_results",
            "SSO_BENCH_RESULTS_FILE": str(results_file),
        })
        return env

    def reset(self, latency=True, rate_limit=None):
        client = self.emulator.client
        client.reset()
        options = {"latency_ms": LATENCY_MS if latency else 0}
        if rate_limit:
            options["rate_limit"] = rate_limit
        client.config(**options)

    def playbook(self, tasks=None, playbook=None, extra_vars=None, check=False, label="run"):
        """Run one playbook (generated from tasks, or a file) and measure it."""
        self.runs += 1
        run_dir = self.work / ("run%03d" % self.runs)
        run_dir.mkdir()
        results_file = run_dir / "results.json"
        if tasks is not None:
            play = [{"name": "benchmark", "hosts": "localhost", "connection": "local", "gather_facts": False,
                     "tasks": tasks}]
            target = run_dir / "playbook.yml"
            target.write_text(json.dumps(play, indent=1), encoding="utf-8")
        else:
            target = playbook
        command = [self.ansible_playbook, str(target)]
        # The implicit localhost sets ansible_python_interpreter to the controller's Python, which
        # beats ANSIBLE_PYTHON_INTERPRETER: an extra var beats both.
        extra_vars = dict(extra_vars or {}, ansible_python_interpreter=str(self.wrapper))
        vars_file = run_dir / "vars.json"
        vars_file.write_text(json.dumps(extra_vars), encoding="utf-8")
        command += ["-e", "@%s" % vars_file]
        if check:
            command.append("--check")
        measurement = Measurement(label)
        rss_offset = self.rss_file.stat().st_size if self.rss_file.exists() else 0
        if self.emulator is not None:
            self.emulator.client.clear_requests()
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        process = subprocess.run(command, cwd=run_dir, env=self.environment(results_file), capture_output=True,
                                 text=True, check=False)
        measurement.wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        measurement.cpu = (after.ru_utime + after.ru_stime) - (usage.ru_utime + usage.ru_stime)
        measurement.rc = process.returncode
        measurement.output = process.stdout + process.stderr
        (run_dir / "output.txt").write_text(measurement.output, encoding="utf-8")
        if self.rss_file.exists():
            with open(self.rss_file, encoding="utf-8") as handle:
                handle.seek(rss_offset)
                measurement.modules = [json.loads(line) for line in handle if line.strip()]
        if results_file.exists():
            measurement.results = json.loads(results_file.read_text(encoding="utf-8"))
        if self.emulator is not None:
            measurement.requests = self.emulator.client.requests()
        return measurement


def median_run(bench, count, make):
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

def set_task(provider, extra=None, name="bench: set module"):
    options = dict(provider.connection())
    options["mappings"] = "{{ bench_desired }}"
    options.update(extra or {})
    return {"name": name, provider.set_module: options}


def check_state(measurement, provider, expected, what="the desired set"):
    actual = provider.state()
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


def run_provider(bench, provider, args):
    n = args.n
    desired = [provider.desired(i) for i in range(n)]
    out = {}

    def converge(label, parallelism=None):
        bench.reset()
        extra = {"parallelism": parallelism} if parallelism else None
        m = bench.playbook([set_task(provider, extra)], extra_vars={"bench_desired": desired}, label=label)
        m.minimum = provider.min_reads(0) + n
        if require_ok(m):
            check_state(m, provider, provider.expected(desired))
        return m

    progress("%s: 1 converge from empty (parallelism 8)" % provider.name)
    out["converge"] = converge("1  converge from empty")
    progress("%s: 1s converge from empty (parallelism 1)" % provider.name)
    out["converge_seq"] = converge("1s converge from empty, parallelism 1", parallelism=1)

    def nochange():
        bench.reset()
        provider.seed([provider.seed_item(d) for d in desired])
        m = bench.playbook([set_task(provider)], extra_vars={"bench_desired": desired}, label="2  no-change")
        m.minimum = provider.min_reads(n)
        if require_ok(m):
            check_state(m, provider, provider.expected(desired))
            if m.result().get("changed"):
                m.state_ok, m.state_detail = False, "the module reported changed: %s" % m.result().get("summary")
        return m

    # Each no-change run right after a floor run: the difference is robust to a machine whose load changes.
    progress("%s: 2 no-change x%d, each after a floor run" % (provider.name, args.repeat))
    pairs = []
    for _run in range(args.repeat):
        floor = floor_run(bench)
        # The same debug task, with the N desired items loaded as the no-change run loads them.
        data_floor = bench.playbook([{"name": "bench: floor", "ansible.builtin.debug": {"msg": "floor"}}],
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
    progress("%s: 3 check mode, %d%% drifted" % (provider.name, DRIFT_SHARE * 100))
    drifted = max(1, int(round(n * DRIFT_SHARE)))
    step = n // drifted
    drifted_indexes = set(range(0, step * drifted, step))
    bench.reset()
    seeded = [provider.seed_item(d, drifted=i in drifted_indexes) for i, d in enumerate(desired)]
    provider.seed(seeded)
    before = provider.state()
    m = bench.playbook([set_task(provider)], extra_vars={"bench_desired": desired}, check=True,
                       label="3  check mode, %d drifted" % drifted)
    m.minimum = provider.min_reads(n)
    if require_ok(m):
        check_state(m, provider, before, "the seeded set (check mode wrote nothing)")
        summary = m.result().get("summary") or {}
        if summary.get("updated") != drifted:
            m.state_ok = False
            m.state_detail = "planned %s, expected %d updates" % (summary, drifted)
        else:
            m.state_detail += "; planned %d updates" % drifted
    out["drift"] = m

    # 4: purge 10% extras.
    progress("%s: 4 purge %d%% extras" % (provider.name, PURGE_SHARE * 100))
    extras = max(1, int(round(n * PURGE_SHARE)))
    bench.reset()
    provider.seed([provider.seed_item(d) for d in desired]
                  + [provider.seed_item(provider.desired(n + i)) for i in range(extras)])
    m = bench.playbook([set_task(provider, {"purge": True})], extra_vars={"bench_desired": desired},
                       label="4  purge %d extras" % extras)
    m.minimum = provider.min_reads(n + extras) + extras + provider.purge_extra_reads
    if require_ok(m):
        check_state(m, provider, provider.expected(desired))
    out["purge"] = m

    # 5: baseline, the one-resource module in a loop (no-change run).
    bn = min(args.baseline_n, n)
    progress("%s: 5 baseline: one-resource module in a loop over %d of %d items" % (provider.name, bn, n))
    bench.reset()
    provider.seed([provider.seed_item(d) for d in desired])
    options = dict(provider.connection())
    options.update((field, "{{ item.%s }}" % field) for field in provider.one_fields)
    task = {"name": "bench: one-resource module in a loop", provider.one_module: options,
            "loop": "{{ bench_desired }}", "loop_control": {"label": "{{ item.%s }}" % provider.label_field}}
    m = bench.playbook([task], extra_vars={"bench_desired": desired[:bn]}, label="5  baseline: %s loop" % (
        provider.one_module.split(".")[-1]))
    m.minimum = provider.min_reads(n)
    if require_ok(m):
        check_state(m, provider, provider.expected(desired))
    out["loop"] = m
    if bn < n:
        extrapolate(m, bn, n, out["floor"])

    # 6: baseline, a hand-written uri playbook (no-change run).
    un = min(args.uri_baseline_n, n)
    progress("%s: 6 baseline: uri playbook over %d of %d items" % (provider.name, un, n))
    bench.reset()
    provider.seed([provider.seed_item(d) for d in desired])
    m = bench.playbook(playbook=BENCH_DIR / "playbooks" / ("uri-%s.yml" % provider.name),
                       extra_vars=provider.uri_vars(desired[:un]), label="6  baseline: uri playbook")
    m.minimum = provider.min_reads(n)
    if require_ok(m):
        check_state(m, provider, provider.expected(desired))
    out["uri"] = m
    if un < n:
        extrapolate(m, un, n, out["floor"])

    # 7: rate limited, 300 creates.
    rn = args.rate_n
    progress("%s: 7 rate limit %s/s, %d creates" % (provider.name, RATE_LIMIT["per_second"], rn))
    bench.reset(rate_limit=RATE_LIMIT)
    rate_desired = desired[:rn] if rn <= n else [provider.desired(i) for i in range(rn)]
    m = bench.playbook([set_task(provider)], extra_vars={"bench_desired": rate_desired},
                       label="7  %d creates at %d req/s" % (rn, RATE_LIMIT["per_second"]))
    m.minimum = provider.min_reads(0) + rn
    if require_ok(m):
        check_state(m, provider, provider.expected(rate_desired))
    out["rate"] = m
    return out


def extrapolate(measurement, measured_n, n, floor):
    """Scale a baseline measured on measured_n of n items linearly to n items (beyond Ansible's start-up)."""
    measurement.extrapolated_from = (measured_n, measurement.wall, len(measurement.requests))
    measurement.wall = floor + (measurement.wall - floor) * n / float(measured_n)
    measurement.note = ("ran over %d of the %d items (all %d seeded, so each item reads what it would at N=%d); "
                        "wall %.1f s and %d requests EXTRAPOLATED linearly to %d items"
                        % (measured_n, n, n, n, measurement.extrapolated_from[1], measurement.extrapolated_from[2], n))


def memory_run(bench, provider, n):
    """Peak memory of the set module's process on a no-change run over n seeded mappings."""
    desired = [provider.desired(i) for i in range(n)]
    bench.reset()
    provider.seed([provider.seed_item(d) for d in desired])
    m = bench.playbook([set_task(provider)], extra_vars={"bench_desired": desired}, label="no-change at N=%d" % n)
    m.minimum = provider.min_reads(n)
    if require_ok(m):
        check_state(m, provider, provider.expected(desired))
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


def floor_run(bench):
    return bench.playbook([{"name": "bench: floor", "ansible.builtin.debug": {"msg": "floor"}}], label="floor")


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


def by_kind(provider, requests):
    counts = {}
    for entry in requests:
        key = "%s %s" % (entry["method"], provider.kind(entry))
        counts[key] = counts.get(key, 0) + 1
    order = {"token": 0, "discovery": 1, "roles": 2, "list": 3, "bindings": 4, "lookup": 5, "other": 6, "write": 7}
    keys = sorted(counts, key=lambda k: (order.get(k.split()[1], 9), k))
    return ", ".join("%s %d" % (k, counts[k]) for k in keys) or "-"


def fmt(value, pattern="%.2f", none="-"):
    return none if value is None else pattern % value


def print_table(provider, n, results, floor):
    print()
    print("== %s (%s), N=%d, %d ms latency per request ==" % (provider.title, provider.set_module, n, LATENCY_MS))
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
            by_kind(provider, m.requests) + (" (measured part)" if m.extrapolated_from else "")))
    for key in ("converge", "converge_seq", "nochange", "drift", "purge", "loop", "uri", "rate"):
        m = results[key]
        if m.note or not m.state_ok:
            print("   %s: %s%s" % (m.label.strip(), m.note, "" if m.state_ok else " | MISMATCH: " + m.state_detail))
    nochange = results["nochange"].wall
    print("   minimum reads: %s; no-change minus floor: %.2f s wall, %.2f s CPU (medians of the paired differences; "
          "floor %.2f s wall, %.2f s CPU); no-change module process alone: %s s wall, %s s CPU" % (
              provider.min_reads_text(n), results["nochange_minus_floor"], results["nochange_minus_floor_cpu"],
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


def print_targets(provider, n, results, floor, rate_n, memory):
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


def print_module_timeline(provider, measurement):
    """Module process start -> first API request, and last request -> process end."""
    runs = measurement.module_runs()
    if len(runs) != 1 or not measurement.requests:
        return
    run = runs[0]
    first = _epoch(measurement.requests[0]["time"]) - LATENCY_MS / 1000.0
    last = _epoch(measurement.requests[-1]["time"])
    print("   %s no-change module process: %.0f ms from start to its first request, %.0f ms of requests, "
          "%.0f ms from the last answer to exit"
          % (provider.name, (first - run["start"]) * 1000, (last - first) * 1000, (run["end"] - last) * 1000))


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
    unknown = sorted(set(names) - set(PROVIDERS))
    if unknown:
        parser.error("unknown providers %s (known: %s)" % (unknown, ", ".join(PROVIDERS)))
    memory_names = [p.strip() for p in (args.memory_providers or ",".join(names)).split(",") if p.strip()]

    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="sso-benchmark."))
    print("sso.mappings benchmark: %s" % " ".join([Path(sys.argv[0]).name] + (argv or sys.argv[1:])))
    print("N=%d, providers %s, %d ms latency per request, %d CPU(s), %s, ansible-core %s" % (
        args.n, ",".join(names), LATENCY_MS, os.cpu_count(), sys.executable, _ansible_version()))
    print("work directory: %s (emulator log: emulator-requests.jsonl); load average at start: %s" % (
        work, _load()))
    bench = Bench(args, work)
    try:
        with start_emulator(work / "emulator", log_file=work / "emulator-requests.jsonl") as emulator:
            bench.emulator = emulator
            rtt0, rtt = round_trip(emulator, 0), round_trip(emulator, LATENCY_MS)
            print("one request (keep-alive HTTPS GET) to the emulator: %.1f ms with no added latency, %.1f ms with %d ms "
                  "added" % (rtt0 * 1000, rtt * 1000, LATENCY_MS))
            floor = median_run(bench, args.repeat, lambda: floor_run(bench))
            print("floor: a one-task debug playbook takes %.2f s, %.2f s CPU (%s)" % (floor.wall, floor.cpu, floor.note))
            ping = median_run(bench, args.repeat, lambda: bench.playbook(
                [{"name": "bench: ping", "ansible.builtin.ping": {}}], label="ping"))
            print("one-module floor: a one-task ansible.builtin.ping playbook takes %.2f s, %.2f s CPU (%s); its module "
                  "process %s s, %s s CPU, peak %s MB" % (ping.wall, ping.cpu, ping.note, fmt(ping.module_seconds),
                                                          fmt(ping.module_cpu), fmt(ping.peak_mb, "%.1f")))
            all_results = {}
            for name in names:
                provider = PROVIDERS[name](emulator)
                results = run_provider(bench, provider, args)
                all_results[name] = results
                memory = None
                if name in memory_names and args.memory_n:
                    progress("%s: peak memory, no-change at N=%d" % (name, args.memory_n))
                    memory = memory_run(bench, provider, args.memory_n)
                    memory.label_n = args.memory_n
                print_table(provider, args.n, results, floor.wall)
                print_module_timeline(provider, results["nochange"])
                if memory is not None:
                    print("   no-change at N=%s: wall %.2f s, module process %s s, %d requests (minimum %s), "
                          "peak module memory %s MB, state %s" % (
                              args.memory_n, memory.wall, fmt(memory.module_seconds), len(memory.requests),
                              memory.minimum, fmt(memory.peak_mb, "%.1f"),
                              "OK" if memory.state_ok else "MISMATCH: " + memory.state_detail))
                print_targets(provider, args.n, results, floor.wall, args.rate_n, memory)
                sys.stdout.flush()
            bench.emulator = None
        print_startup(startup(sys.executable, bench.collections))
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
