# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""Provider-neutral reconciliation: desired set vs current set -> plan -> applied -> result.

Nothing here knows an API. A ``MappingApi`` (``_adapter.py``, one per provider) supplies
validation, identity, comparison and the writes; this file decides what to do, in which order,
and what to report. ``converge`` is the whole sequence, which the modules and the tests call.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.sso.mappings.plugins.module_utils._errors import ApiError, InputError

CREATE, UPDATE, DELETE, UNCHANGED = 'create', 'update', 'delete', 'unchanged'
# Deletes first (a purged mapping may hold a name an update or create wants), then updates, then creates.
PHASES = (DELETE, UPDATE, CREATE)
FINGERPRINT = r'^[0-9a-fA-F]{64}$'
KEYS_NAMED = 10  # how many keys a refusal names before it says how many more there are


class Change:
    """One planned change of one mapping."""

    __slots__ = ('action', 'key', 'desired', 'current', 'changed', 'result', 'applied')

    def __init__(self, action, key, desired=None, current=None, changed=None):
        self.action = action
        self.key = key
        self.desired = desired
        self.current = current
        self.changed = changed or {}
        self.result = None
        self.applied = False

    def before(self):
        return self.current or {}

    def after(self, api):
        if self.action == DELETE:
            return {}
        if self.action == UNCHANGED:
            return self.current or {}
        return api.predict(self.desired, self.current)

    def report(self, api):
        return {'action': self.action, 'key': self.key, 'before': self.before(), 'after': self.after(api)}


def find_duplicates(api, desired_items, where='mappings'):
    """Two desired items with one identity cannot both be right: refuse before any request."""
    seen = {}
    for index, item in enumerate(desired_items):
        identity = api.identity(item)
        if identity in seen:
            raise InputError('%s[%d] and %s[%d] both name %s; each mapping may appear only once'
                             % (where, seen[identity], where, index, api.describe_identity(identity)))
        seen[identity] = index


def plan(api, desired_items, current_items, purge=False):
    """Decide the changes that make ``current_items`` match ``desired_items``."""
    index = {}
    for current in current_items:
        for identity in api.identities(current):
            index.setdefault(identity, []).append(current)

    matched = []
    claimed = set()
    for desired in desired_items:
        identity = api.identity(desired)
        matches = index.get(identity, [])
        key = api.key(desired)
        if len(matches) > 1:
            ids = ', '.join(sorted(str(m.get(api.id_field, '?')) for m in matches))
            raise InputError('%s: %d existing %ss share %s (ids: %s); %s. Nothing was changed.'
                             % (api.provider, len(matches), api.resource, api.describe_identity(identity), ids,
                                api.duplicate_hint))
        current = matches[0] if matches else None
        if current is not None:
            if id(current) in claimed:
                raise InputError('%s: two items of mappings refer to the same existing %s (%s)'
                                 % (api.provider, api.resource, key))
            claimed.add(id(current))
        matched.append((key, desired, current))
    purged = [current for current in current_items if id(current) not in claimed] if purge else []

    # Details cost requests: read them only for the mappings this plan compares on them or deletes.
    if api.detail_fields:
        needed = [current for _key, desired, current in matched if current is not None
                  and (desired.get('state') == 'absent' or any(f in desired for f in api.detail_fields))]
        if needed or purged:
            api.read_details(needed + purged)

    changes = []
    for key, desired, current in matched:
        if desired.get('state') == 'absent':
            changes.append(Change(DELETE if current else UNCHANGED, key, desired, current))
        elif current is None:
            changes.append(Change(CREATE, key, desired))
        else:
            changed = api.compare(desired, current)
            changes.append(Change(UPDATE if changed else UNCHANGED, key, desired, current, changed))
    changes.extend(Change(DELETE, api.key(current), None, current) for current in purged)
    # The checks that need the current set, once, before any write.
    for change in changes:
        if change.action in (CREATE, UPDATE):
            api.check(change)
    return changes


def is_item_failure(error):
    """An error that concerns one item only (a 4xx about its content): the others may still go on."""
    if not isinstance(error, ApiError) or error.ambiguous or error.status is None:
        return False
    return error.about_item or (400 <= error.status < 500 and error.status not in (401, 403, 407, 429))


def apply(api, changes, workers=1):
    """Send the writes, phase by phase, ``workers`` at a time.

    Returns the failures as ``[(change, error)]``. A failure that concerns one item lets the
    others go on; any other failure (auth, retries exhausted, an answer lost) stops further writes.
    """
    failures = []
    stop = threading.Event()
    lock = threading.Lock()

    def perform(change):
        if stop.is_set():
            return
        try:
            if change.action == CREATE:
                change.result = api.create(change.desired)
            elif change.action == UPDATE:
                change.result = api.update(change.current, change.desired, change.changed)
            else:
                api.delete(change.current)
            change.applied = True
        except ApiError as error:
            if error.partial is not None:
                change.result, change.applied = error.partial, True
            with lock:
                failures.append((change, error))
            if not is_item_failure(error):
                stop.set()

    for phase in PHASES:
        todo = [c for c in changes if c.action == phase]
        if not todo or stop.is_set():
            continue
        if workers <= 1 or len(todo) == 1:
            for change in todo:
                perform(change)
        else:
            with ThreadPoolExecutor(max_workers=min(workers, len(todo))) as pool:
                list(pool.map(perform, todo))
    return failures


def outcome(api, changes, current_items, check_mode=False):
    """The module result: ``changes``, ``summary``, ``mappings`` (the resulting set) and ``diff``.

    In check mode, and for changes that were not sent, ``after`` is the prediction; a real run
    reports what the API answered in ``mappings``.
    """
    if check_mode:
        done = [c for c in changes if c.action != UNCHANGED]
    else:
        done = [c for c in changes if c.applied]

    summary = {'created': 0, 'updated': 0, 'deleted': 0, 'unchanged': 0}
    for change in changes:
        if change.action == UNCHANGED:
            summary['unchanged'] += 1
    for change in done:
        summary[change.action + 'd'] += 1

    touched = {id(c.current): c for c in changes if c.current is not None}
    resulting = []
    for current in current_items:
        change = touched.get(id(current))
        if change is None or not (change.applied or check_mode) or change.action == UNCHANGED:
            resulting.append(current)
        elif change.action == UPDATE:
            resulting.append(change.result if change.result is not None else change.after(api))
    for change in done:
        if change.action == CREATE:
            resulting.append(change.result if change.result is not None else change.after(api))
    resulting.sort(key=api.key)

    reports = sorted((c.report(api) for c in done), key=change_order)
    diff = {'before': {}, 'after': {}}
    for report in reports:
        label, number = report['key'], 1
        while label in diff['before'] or label in diff['after']:
            # Purge may delete several mappings that share a name.
            number += 1
            label = '%s (%d)' % (report['key'], number)
        for side in ('before', 'after'):
            if report[side]:
                diff[side][label] = report[side]
    return {
        'changed': bool(done),
        'changes': reports,
        'summary': summary,
        'mappings': resulting,
        'diff': diff,
    }


# --- safe apply: the plan's fingerprint and the checks of the plan before any write ------------

def canonical_json(value):
    """The one JSON text of ``value``: keys sorted, no white space, ASCII only (other characters as \\uXXXX)."""
    return json.dumps(value, sort_keys=True, separators=(',', ':'), ensure_ascii=True)


def change_order(report):
    """The order of a plan's changes: key, action, then the whole change (purge may delete several
    mappings that share a name)."""
    return (report['key'], report['action'], canonical_json(report))


def plan_fingerprint(provider, target, changes):
    """SHA-256 (hex) of a plan: the canonical JSON of ``{"provider", "target", "changes"}`` where
    ``changes`` are the change reports (``action``, ``key``, ``before``, ``after``) in ``change_order``.

    This is the form the set modules document for users to recompute; changing it changes every
    fingerprint an audit published, so the unit tests pin it.
    """
    plan = {
        'provider': provider,
        'target': target,
        'changes': sorted(({'action': c['action'], 'key': c['key'], 'before': c['before'], 'after': c['after']}
                           for c in changes), key=change_order),
    }
    return hashlib.sha256(canonical_json(plan).encode('ascii')).hexdigest()


class PlanRefused(InputError):
    """A plan the safe-apply options refuse, before any write; carries the plan's fingerprint."""

    def __init__(self, message, fingerprint):
        super().__init__(message)
        self.plan_fingerprint = fingerprint


def check_safe_apply_options(provider, max_deletions=None, approved=None):
    """The safe-apply options, checked before any request; returns the approved fingerprint in lower case."""
    if max_deletions is not None and max_deletions < 0:
        raise InputError('%s: max_deletions must be 0 or more, got %d' % (provider, max_deletions))
    if approved is None:
        return None
    if not isinstance(approved, str) or not re.match(FINGERPRINT, approved):
        raise InputError('%s: plan_fingerprint must be 64 hexadecimal digits, the plan_fingerprint a set module '
                         'returned, got %r' % (provider, approved))
    return approved.lower()


def _keys(keys):
    keys = list(keys)
    named = ', '.join(keys[:KEYS_NAMED])
    if len(keys) > KEYS_NAMED:
        named += ' and %d more' % (len(keys) - KEYS_NAMED)
    return named


def check_plan(api, reports, fingerprint, purge=False, empty=False, max_deletions=None, allow_empty_purge=False,
               approved=None):
    """Refuse, before any write, a plan that empties the target by accident, deletes more than
    ``max_deletions``, or is not the ``approved`` one (its fingerprint differs)."""
    deleted = [r['key'] for r in reports if r['action'] == DELETE]
    plural = api.resource + ('' if len(deleted) == 1 else 's')
    if purge and empty and deleted and not allow_empty_purge:
        raise PlanRefused('%s: purge with an empty mappings list would delete every %s there is, %d %s (%s). Nothing '
                          'was changed. A missing or misspelt variable gives an empty list; set allow_empty_purge '
                          'to true to delete them all.' % (api.provider, api.resource, len(deleted), plural,
                                                           _keys(deleted)), fingerprint)
    if max_deletions is not None and len(deleted) > max_deletions:
        raise PlanRefused('%s: the plan deletes %d %s, more than max_deletions (%d): %s. Nothing was changed. '
                          'Check the desired set, or raise max_deletions.'
                          % (api.provider, len(deleted), plural, max_deletions, _keys(deleted)), fingerprint)
    if approved is not None and fingerprint != approved:
        planned = _keys('%s %s' % (r['action'], r['key']) for r in reports) if reports else 'none'
        raise PlanRefused('%s: the plan is not the approved one: its plan_fingerprint is %s, the approved '
                          'plan_fingerprint is %s. Nothing was changed. The target or the desired set changed since '
                          'the plan was made; plan again and have it approved. Planned changes: %s.'
                          % (api.provider, fingerprint, approved, planned), fingerprint)


class Convergence:
    """What ``converge`` did: the plan, the current set it was made against, the failures and the result."""

    __slots__ = ('api', 'changes', 'current', 'failures', 'result')

    def __init__(self, api, changes, current, failures, result):
        self.api = api
        self.changes = changes
        self.current = current
        self.failures = failures
        self.result = result


def where_of(where, index):
    """``mappings[3]`` for an item of a set, None for the one-resource modules' single item."""
    return '%s[%d]' % (where, index) if where else None


def converge(api, items, purge=False, check_mode=False, parallelism=1, where='mappings', max_deletions=None,
             allow_empty_purge=False, approved=None):
    """Make the API hold ``items``: validate each, refuse duplicates, resolve names, read the current
    set once, plan, check the plan (``check_plan``: the safe-apply options), and (unless in check mode)
    send the writes. Raises MappingError for a failure before any write; write failures are in the
    result's ``failures``. The result carries the plan's fingerprint, the same in check mode."""
    approved = check_safe_apply_options(api.provider, max_deletions, approved)
    wheres = [where_of(where, index) for index in range(len(items))]
    desired = [api.validate(item, label) for item, label in zip(items, wheres)]
    find_duplicates(api, desired, where or 'the task')
    api.resolve(desired, wheres)
    current = api.list_current(desired, purge)
    changes = plan(api, desired, current, purge=purge)
    reports = sorted((c.report(api) for c in changes if c.action != UNCHANGED), key=change_order)
    fingerprint = plan_fingerprint(api.provider.lower(), api.target(), reports)
    check_plan(api, reports, fingerprint, purge=purge, empty=not items, max_deletions=max_deletions,
               allow_empty_purge=allow_empty_purge, approved=approved)
    failures = []
    if not check_mode:
        failures = apply(api, changes, workers=parallelism)
        api.after_apply()
    result = outcome(api, changes, current, check_mode=check_mode)
    result['plan_fingerprint'] = fingerprint
    return Convergence(api, changes, current, failures, result)


def read_mappings(api, filters=None):
    """The current mappings that pass ``filters`` (an ``_info`` module's), sorted, with their details."""
    mappings = [m for m in api.list_current() if api.matches_filters(m, filters or {})]
    mappings.sort(key=api.key)
    api.read_details(mappings)
    return mappings
