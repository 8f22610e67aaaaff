# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark's scenarios: what each one seeds and runs, the fewest requests it can do its job
with, and whether the emulator's state afterwards is what the module was told (OK/MISMATCH).

The items, their API shape for seeding, the state read back and the minimum reads come from the
provider profiles the integration tests use (tests/support/profiles.py).
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"
RATE_LIMIT = {"per_second": 20, "burst": 20}
DRIFT_SHARE = 0.05
PURGE_SHARE = 0.10
PREFIX = "bench-group"  # of the mappings' names
FLOOR_TASK = {"name": "bench: floor", "ansible.builtin.debug": {"msg": "floor"}}


def progress(text):
    print("... %s" % text, file=sys.stderr, flush=True)


class ProviderScenarios:
    """The scenarios of one provider over n desired mappings; each returns a Measurement."""

    def __init__(self, runner, profile, n):
        self.runner = runner
        self.profile = profile
        self.emulator = runner.emulator
        self.n = n
        self.desired = self.items(n)

    def items(self, count):
        return [self.profile.item(i, prefix=PREFIX) for i in range(count)]

    def seed(self, items):
        self.profile.seed(self.emulator, [self.profile.api_shape(i) for i in items])

    def set_task(self, **options):
        # Atlas runs without federation_settings_id: the module looks it up (one more request, in min_reads).
        options = dict(self.profile.connection(self.emulator, federation_settings_id=None), **options)
        options["mappings"] = "{{ bench_desired }}"
        return {"name": "bench: set module", self.profile.set_module: options}

    def run_set(self, label, desired=None, check=False, **options):
        desired = self.desired if desired is None else desired
        return self.runner.measure([self.set_task(**options)], extra_vars={"bench_desired": desired}, check=check,
                                   label=label)

    def expected(self, desired=None):
        """The emulator's state once the desired items are applied exactly, as {key: comparable}."""
        return dict(self.profile.desired_state(self.desired if desired is None else desired))

    def check_state(self, measurement, expected, what="the desired set"):
        actual = dict(self.profile.state(self.emulator))
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

    # -- 1: the set module converging from empty -------------------------------------------------

    def converge(self, label, parallelism=None):
        self.runner.reset()
        m = self.run_set(label, **({"parallelism": parallelism} if parallelism else {}))
        m.minimum = self.profile.min_reads(0) + self.n
        if require_ok(m):
            self.check_state(m, self.expected())
        return m

    # -- 2: no change ------------------------------------------------------------------------------

    def nochange(self, label="2  no-change"):
        self.runner.reset()
        self.seed(self.desired)
        m = self.run_set(label)
        m.minimum = self.profile.min_reads(self.n)
        if require_ok(m):
            self.check_state(m, self.expected())
            if m.result().get("changed"):
                m.state_ok, m.state_detail = False, "the module reported changed: %s" % m.result().get("summary")
        return m

    def nochange_after_floors(self, repeat):
        """The no-change run, each time right after a floor run and the floor given the same items:
        the differences are robust to a machine whose load changes. Returns the median no-change
        run and the medians of the floors and of the differences."""
        pairs = []
        for _run in range(repeat):
            floor = floor_run(self.runner)
            # The same debug task, with the N desired items loaded as the no-change run loads them.
            data_floor = self.runner.measure([FLOOR_TASK], extra_vars={"bench_desired": self.desired},
                                             label="data floor")
            m = self.nochange()
            m.floor, m.floor_cpu, m.data_floor = floor.wall, floor.cpu, data_floor.wall
            pairs.append(m)
        pairs.sort(key=lambda m: m.wall)
        median = pairs[len(pairs) // 2]
        median.note = "median of %d: %s s; the floor run just before each: %s s" % (
            len(pairs), ", ".join("%.2f" % m.wall for m in pairs), ", ".join("%.2f" % m.floor for m in pairs))
        figures = {
            "floor": statistics.median(m.floor for m in pairs),
            "nochange_minus_floor": statistics.median(m.wall - m.floor for m in pairs),
            "floor_cpu": statistics.median(m.floor_cpu for m in pairs),
            "data_floor": statistics.median(m.data_floor for m in pairs),
            "nochange_minus_data_floor": statistics.median(m.wall - m.data_floor for m in pairs),
            "nochange_minus_floor_cpu": statistics.median(m.cpu - m.floor_cpu for m in pairs),
        }
        return median, figures

    # -- 3: check mode with some drifted ---------------------------------------------------------

    def drift(self):
        n = self.n
        drifted = max(1, int(round(n * DRIFT_SHARE)))
        step = n // drifted
        drifted_indexes = set(range(0, step * drifted, step))
        self.runner.reset()
        # Variant 0 differs from the desired items (variant 1) in a field that is not the key.
        seeded = [self.profile.api_item(i, variant=0 if i in drifted_indexes else 1, prefix=PREFIX) for i in range(n)]
        self.profile.seed(self.emulator, seeded)
        before = dict(self.profile.state(self.emulator))
        m = self.run_set("3  check mode, %d drifted" % drifted, check=True)
        m.minimum = self.profile.min_reads(n)
        if require_ok(m):
            self.check_state(m, before, "the seeded set (check mode wrote nothing)")
            summary = m.result().get("summary") or {}
            if summary.get("updated") != drifted:
                m.state_ok = False
                m.state_detail = "planned %s, expected %d updates" % (summary, drifted)
            else:
                m.state_detail += "; planned %d updates" % drifted
        return m

    # -- 4: purge extras -----------------------------------------------------------------------------

    def purge(self):
        n = self.n
        extras = max(1, int(round(n * PURGE_SHARE)))
        self.runner.reset()
        self.seed(self.items(n + extras))
        m = self.run_set("4  purge %d extras" % extras, purge=True)
        m.minimum = self.profile.min_reads(n + extras) + extras + self.profile.purge_extra_reads
        if require_ok(m):
            self.check_state(m, self.expected())
        return m

    # -- 5: baseline, the one-resource module in a loop (no-change run) -----------------------------

    def loop_baseline(self, count, floor):
        """Over the first count of the n seeded items; extrapolated to n when count < n."""
        profile = self.profile
        self.runner.reset()
        self.seed(self.desired)
        options = profile.connection(self.emulator, federation_settings_id=None)
        options.update((field, "{{ item.%s }}" % field) for field in self.desired[0])
        task = {"name": "bench: one-resource module in a loop", profile.one_module: options,
                "loop": "{{ bench_desired }}", "loop_control": {"label": "{{ item.%s }}" % profile.key_field}}
        m = self.runner.measure([task], extra_vars={"bench_desired": self.desired[:count]},
                                label="5  baseline: %s loop" % profile.one_module.split(".")[-1])
        return self.finish_baseline(m, count, floor)

    # -- 6: baseline, a hand-written uri playbook (no-change run) -----------------------------------

    def uri_baseline(self, count, floor):
        """Over the first count of the n seeded items; extrapolated to n when count < n."""
        self.runner.reset()
        self.seed(self.desired)
        m = self.runner.measure(playbook=PLAYBOOKS / ("uri-%s.yml" % self.profile.name),
                                extra_vars=self.profile.uri_vars(self.emulator, self.desired[:count]),
                                label="6  baseline: uri playbook")
        return self.finish_baseline(m, count, floor)

    def finish_baseline(self, m, count, floor):
        """A baseline is a no-change run over all n seeded items, even when it ran over fewer."""
        m.minimum = self.profile.min_reads(self.n)
        if require_ok(m):
            self.check_state(m, self.expected())
        if count < self.n:
            extrapolate(m, count, self.n, floor)
        return m

    # -- 7: creates under a rate limit -------------------------------------------------------------

    def rate_limited(self, count):
        self.runner.reset(rate_limit=RATE_LIMIT)
        desired = self.desired[:count] if count <= self.n else self.items(count)
        m = self.run_set("7  %d creates at %d req/s" % (count, RATE_LIMIT["per_second"]), desired=desired)
        m.minimum = self.profile.min_reads(0) + count
        if require_ok(m):
            self.check_state(m, self.expected(desired))
        return m


def run_provider(runner, profile, args):
    """Every scenario of one provider; returns their measurements and the floor figures by name."""
    name = profile.name
    scenarios = ProviderScenarios(runner, profile, args.n)
    out = {}
    progress("%s: 1 converge from empty (parallelism 8)" % name)
    out["converge"] = scenarios.converge("1  converge from empty")
    progress("%s: 1s converge from empty (parallelism 1)" % name)
    out["converge_seq"] = scenarios.converge("1s converge from empty, parallelism 1", parallelism=1)
    progress("%s: 2 no-change x%d, each after a floor run" % (name, args.repeat))
    out["nochange"], figures = scenarios.nochange_after_floors(args.repeat)
    out.update(figures)
    progress("%s: 3 check mode, %d%% drifted" % (name, DRIFT_SHARE * 100))
    out["drift"] = scenarios.drift()
    progress("%s: 4 purge %d%% extras" % (name, PURGE_SHARE * 100))
    out["purge"] = scenarios.purge()
    count = min(args.baseline_n, args.n)
    progress("%s: 5 baseline: one-resource module in a loop over %d of %d items" % (name, count, args.n))
    out["loop"] = scenarios.loop_baseline(count, out["floor"])
    count = min(args.uri_baseline_n, args.n)
    progress("%s: 6 baseline: uri playbook over %d of %d items" % (name, count, args.n))
    out["uri"] = scenarios.uri_baseline(count, out["floor"])
    progress("%s: 7 rate limit %s/s, %d creates" % (name, RATE_LIMIT["per_second"], args.rate_n))
    out["rate"] = scenarios.rate_limited(args.rate_n)
    return out


def memory_run(runner, profile, n):
    """Peak memory of the set module's process on a no-change run over n seeded mappings."""
    progress("%s: peak memory, no-change at N=%d" % (profile.name, n))
    memory = ProviderScenarios(runner, profile, n).nochange(label="no-change at N=%d" % n)
    memory.label_n = n
    return memory


def floor_run(runner):
    """What Ansible's own start-up costs: a one-task debug playbook."""
    return runner.measure([FLOOR_TASK], label="floor")


def require_ok(measurement):
    if measurement.rc != 0:
        measurement.state_ok = False
        tail = "\n".join(measurement.output.strip().splitlines()[-15:])
        measurement.state_detail = "ansible-playbook rc=%s: %s" % (measurement.rc, tail[-1500:])
        return False
    return True


def extrapolate(measurement, measured_n, n, floor):
    """Scale a baseline measured on measured_n of n items linearly to n items (beyond Ansible's start-up)."""
    measurement.extrapolated_from = (measured_n, measurement.wall, len(measurement.requests))
    measurement.wall = floor + (measurement.wall - floor) * n / float(measured_n)
    measurement.note = ("ran over %d of the %d items (all %d seeded, so each item reads what it would at N=%d); "
                        "wall %.1f s and %d requests EXTRAPOLATED linearly to %d items"
                        % (measured_n, n, n, n, measurement.extrapolated_from[1], measurement.extrapolated_from[2], n))


# -- old against new, scaling, where the time goes (options of the benchmark) -------------------

COMPARED = ("converge", "nochange", "purge", "rate")


def compare_provider(new, old, profile, args):
    """The scenarios whose time a change of the collection could cost, run on the old and the new
    collection in turns (old first), args.repeat times each: {scenario: [(old, new), ...]}."""
    make = {
        "converge": lambda s: s.converge("1  converge from empty"),
        "nochange": lambda s: s.nochange(),
        "purge": lambda s: s.purge(),
        "rate": lambda s: s.rate_limited(args.rate_n),
    }
    pairs = {}
    for key in COMPARED:
        progress("%s: %s, old and new collection in turns x%d" % (profile.name, key, args.repeat))
        pairs[key] = [(make[key](ProviderScenarios(old, profile, args.n)), make[key](ProviderScenarios(new, profile, args.n)))
                      for _run in range(args.repeat)]
    if args.memory_n:
        progress("%s: no-change at N=%d, old and new in turns x%d" % (profile.name, args.memory_n, args.repeat))
        pairs["nochange_large"] = [
            (ProviderScenarios(old, profile, args.memory_n).nochange("no-change at N=%d" % args.memory_n),
             ProviderScenarios(new, profile, args.memory_n).nochange("no-change at N=%d" % args.memory_n))
            for _run in range(args.repeat)]
    return pairs


def scaling(runner, profile, sizes, repeat):
    """The no-change run at each N, each time right after the floor playbook given the same N items:
    what the module task costs per mapping beyond what loading the items costs any playbook."""
    rows = []
    for n in sizes:
        progress("%s: cost per mapping at N=%d x%d" % (profile.name, n, repeat))
        scenarios = ProviderScenarios(runner, profile, n)
        pairs = []
        for _run in range(repeat):
            data_floor = runner.measure([FLOOR_TASK], extra_vars={"bench_desired": scenarios.desired}, label="data floor")
            pairs.append((data_floor, scenarios.nochange(label="no-change at N=%d" % n)))
        rows.append({
            "n": n,
            "data_floor": statistics.median(f.wall for f, _m in pairs),
            "nochange": statistics.median(m.wall for _f, m in pairs),
            "beyond": statistics.median(m.wall - f.wall for f, m in pairs),
            "module_wall": statistics.median(m.module_seconds for _f, m in pairs),
            "module_cpu": statistics.median(m.module_cpu for _f, m in pairs),
            "peak_mb": max(m.peak_mb for _f, m in pairs),
            "ok": all(m.state_ok for _f, m in pairs),
            "requests": len(pairs[0][1].requests), "minimum": pairs[0][1].minimum,
        })
    return rows


def breakdown(runner, profile, n, repeat, stages_of):
    """Where a no-change run over n mappings spends its time: Ansible's start-up, loading the items,
    handing them to a do-nothing module and taking them back, and the set module's own work (its
    process's stages measured in-process on the same arguments)."""
    progress("%s: where the time goes at N=%d x%d" % (profile.name, n, repeat))
    scenarios = ProviderScenarios(runner, profile, n)
    runs = []
    for _run in range(repeat):
        floor = floor_run(runner)
        data_floor = runner.measure([FLOOR_TASK], extra_vars={"bench_desired": scenarios.desired}, label="data floor")
        sink = runner.measure([sink_task()], extra_vars={"bench_desired": scenarios.desired}, label="sink")
        echo = runner.measure([sink_task(echo=True)], extra_vars={"bench_desired": scenarios.desired}, label="echo")
        for sink_run in (sink, echo):
            if not require_ok(sink_run):
                raise RuntimeError("the do-nothing module failed: %s" % sink_run.state_detail)
        runs.append({"floor": floor, "data_floor": data_floor, "sink": sink, "echo": echo,
                     "nochange": scenarios.nochange(label="no-change at N=%d" % n)})
    # The module on the same arguments, in-process, against the same seeded set.
    options = dict(scenarios.set_task()[profile.set_module], mappings=scenarios.desired)
    stages = stages_of(profile.name, options)
    figures = dict((key, statistics.median(run[key].wall for run in runs)) for key in runs[0])
    return dict(figures, n=n, stages=stages,
                module_wall=statistics.median(run["nochange"].module_seconds for run in runs),
                module_cpu=statistics.median(run["nochange"].module_cpu for run in runs),
                requests=len(runs[0]["nochange"].requests), minimum=runs[0]["nochange"].minimum,
                ok=all(run["nochange"].state_ok for run in runs))


def sink_task(echo=False):
    """benchmarks/library/bench_sink.py given the items: a module that does nothing (and, with echo,
    returns them), so that what Ansible costs to hand a module N items, and to take them back, is known."""
    return {"name": "bench: sink", "bench_sink": {"mappings": "{{ bench_desired }}", "echo": echo}}
