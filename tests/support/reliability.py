# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers of tests/integration/test_reliability.py and test_bad_input.py: fault bookkeeping, secret checks
and the figures behind docs/reliability.md.

Figures are recorded only when the environment variable SSO_RELIABILITY_RECORD names the
figures file (scripts/reliability-report sets it to tests/output/reliability.json): each
scenario appends one JSON line to ``<that file>.records.jsonl``, which the script aggregates.
"""

from __future__ import annotations

import bisect
import json
import os
import threading
import time

import ansible.release

RECORD_ENV = 'SSO_RELIABILITY_RECORD'
READ_METHODS = ('GET', 'HEAD', 'OPTIONS')
_LOCK = threading.Lock()


def records_path():
    target = os.environ.get(RECORD_ENV)
    return (target + '.records.jsonl') if target else None


def record(entry):
    """Append one scenario's figures (no-op unless SSO_RELIABILITY_RECORD is set)."""
    path = records_path()
    if not path:
        return
    entry = dict(entry, ansible_core=ansible.release.__version__)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with _LOCK, open(path, 'a', encoding='utf-8') as handle:
        handle.write(json.dumps(entry, sort_keys=True) + '\n')


# -- faults ---------------------------------------------------------------------


def noop_rule(emulator, match, count=1):
    """A rule that lets ``count`` matching requests through untouched (a zero-second delay).

    The emulator cannot match on the query string, so "fail the second page" is written as
    "let the first matching request through, then fail every later one". Returns the rule id,
    which fault_figures() leaves out of the injected faults.
    """
    return emulator.client.fault({'type': 'delay', 'seconds': 0}, match=match, count=count)


def wait_for_delayed(emulator, timeout=15.0):
    """Wait until every delayed request has been handled (and logged): a delayed write that
    lands after the module gave up must not race a re-run."""
    deadline = time.monotonic() + timeout
    while True:
        fired = sum(r['fired'] for r in emulator.client.faults() if r['action']['type'] == 'delay')
        logged = sum(1 for e in emulator.client.requests() if e['fault'] == 'delay')
        if logged >= fired:
            return
        if time.monotonic() > deadline:
            raise AssertionError('delayed requests still unanswered after %ss' % timeout)
        time.sleep(0.2)


def _signature(entry):
    return (entry['method'], entry['path'], json.dumps(entry['query'], sort_keys=True),
            json.dumps(entry['body'], sort_keys=True))


def fault_figures(emulator, noop_ids=(), cleared=(), run_starts=(1,)):
    """Faults injected (by the rules' fired counts, checked against the log's fault field),
    requests retried, and lost create answers recovered by a look-up instead of a second create.

    A faulted request counts as retried when the same request (method, path, query, body) reached
    the emulator again in the same ansible-playbook run (``run_starts``: the first log seq of each
    run) and the fault is one the client retries (429, 5xx, a lost or late answer; never another
    4xx). With no-op rules (noop_rule) in a scenario, its 'delay' log entries are those no-ops:
    such scenarios add no real delays.
    """
    all_rules = list(cleared) + emulator.client.faults()  # cleared: rules removed earlier in the test
    rules = [r for r in all_rules if r['id'] not in set(noop_ids)]
    if noop_ids:
        assert not any(r['action']['type'] == 'delay' for r in rules), 'no-op rules cannot be mixed with delays'
    entries = emulator.client.requests()
    faulted = [e for e in entries if e['fault'] and not (noop_ids and e['fault'] == 'delay')]
    injected = sum(r['fired'] for r in rules)
    assert len(faulted) == injected, 'the request log shows %d faults, the rules fired %d' % (len(faulted), injected)
    by_kind = {}
    for entry in faulted:
        by_kind[entry['fault']] = by_kind.get(entry['fault'], 0) + 1
    starts = sorted(run_starts)

    def run_of(entry):
        return bisect.bisect_right(starts, entry['seq'])

    retried = recovered = 0
    for entry in faulted:
        if entry['fault'].startswith('status:') and entry['fault'] != 'status:429' and entry['status'] < 500:
            continue
        # Entries are logged once answered: a delayed request's retry may come first in the log.
        again = [other for other in entries if other['seq'] != entry['seq'] and _signature(other) == _signature(entry)
                 and (other['seq'] > entry['seq'] or entry['fault'] == 'delay') and run_of(other) == run_of(entry)]
        if again:
            retried += 1
        elif entry['fault'] == 'drop_after_apply' and entry['method'] == 'POST':
            recovered += 1
    return {'faults_injected': injected, 'faults_by_kind': by_kind, 'requests_retried': retried,
            'lost_answers_recovered': recovered, 'requests': len(entries)}


# -- secrets ----------------------------------------------------------------------


def leaks(result, secrets):
    """The secrets found in a run's stdout, stderr or recorded results (each counted once)."""
    everything = result.stdout + result.stderr + json.dumps(result.tasks)
    return sorted(s for s in secrets if s in everything)


def assert_no_leak(result, markers):
    found = leaks(result, markers.secrets())
    assert not found, 'secret marker(s) %s leaked into the output' % found
    return 0


def writes(entries):
    return [e for e in entries if e['method'] not in READ_METHODS]
