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

import threading
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.sso.mappings.plugins.module_utils._errors import ApiError, InputError

CREATE, UPDATE, DELETE, UNCHANGED = 'create', 'update', 'delete', 'unchanged'
# Deletes first (a purged mapping may hold a name an update or create wants), then updates, then creates.
PHASES = (DELETE, UPDATE, CREATE)


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

    reports = sorted((c.report(api) for c in done), key=lambda r: (r['key'], r['action']))
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


def converge(api, items, purge=False, check_mode=False, parallelism=1, where='mappings'):
    """Make the API hold ``items``: validate each, refuse duplicates, resolve names, read the current
    set once, plan, and (unless in check mode) send the writes. Raises MappingError for a failure
    before any write; write failures are in the result's ``failures``."""
    wheres = [where_of(where, index) for index in range(len(items))]
    desired = [api.validate(item, label) for item, label in zip(items, wheres)]
    find_duplicates(api, desired, where or 'the task')
    api.resolve(desired, wheres)
    current = api.list_current(desired, purge)
    changes = plan(api, desired, current, purge=purge)
    failures = []
    if not check_mode:
        failures = apply(api, changes, workers=parallelism)
        api.after_apply()
    return Convergence(api, changes, current, failures, outcome(api, changes, current, check_mode=check_mode))


def read_mappings(api, filters=None):
    """The current mappings that pass ``filters`` (an ``_info`` module's), sorted, with their details."""
    mappings = [m for m in api.list_current() if api.matches_filters(m, filters or {})]
    mappings.sort(key=api.key)
    api.read_details(mappings)
    return mappings
