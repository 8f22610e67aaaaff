# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters the collection's playbooks use to report on the roles' results.

Documentation: one sidecar YAML file per filter, next to this file.
"""

from __future__ import annotations

import json

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.collections import is_sequence

from ansible_collections.sso.mappings.plugins.module_utils import _arguments, _aria, _atlas, _confluent
from ansible_collections.sso.mappings.plugins.plugin_utils import _pages
from ansible_collections.sso.mappings.plugins.plugin_utils._plain import plain as _plain

# Each provider's modules know their options, the role variable that holds the desired set and
# the fields the API sets: the reports and the roles' checks take them from there.
MODULES = {'confluent': _confluent.MODULES, 'atlas': _atlas.MODULES, 'aria': _aria.MODULES}
PROVIDERS = tuple(MODULES)

# Statuses of a host entry.
IN_SYNC = 'in_sync'
DRIFT = 'drift'
CHANGED = 'changed'
UNCHANGED = 'unchanged'
FAILED = 'failed'


def _variable(provider):
    return MODULES[_provider(provider)].role_variable


def _read_only(provider):
    return MODULES[_provider(provider)].api_class.read_only


def _provider(provider):
    if provider not in PROVIDERS:
        raise AnsibleFilterError('sso.mappings: unknown provider %r; expected one of %s' % (provider, ', '.join(PROVIDERS)))
    return provider


# --- mapping_drift -----------------------------------------------------------------------------

def _fields(action, before, after):
    """Field-level differences of one change: ``{field: {before, after}}``, sorted by field."""
    names = sorted(set(before) | set(after))
    fields = {}
    for name in names:
        old = before.get(name) if action != 'create' else None
        new = after.get(name) if action != 'delete' else None
        if action == 'update' and old == new:
            continue
        if old is None and new is None:
            continue
        fields[name] = {'before': old, 'after': new}
    return fields


def mapping_drift(result, provider, check_mode=True):
    """One host's entry of the drift report, from the registered result of a set module."""
    provider = _provider(provider)
    result = _plain(result or {})
    if result.get('failed') or 'changes' not in result:
        return mapping_failure(result, provider)
    changes = []
    for change in result.get('changes') or []:
        before = change.get('before') or {}
        after = change.get('after') or {}
        changes.append({
            'key': change.get('key'),
            'action': change.get('action'),
            'fields': _fields(change.get('action'), before, after),
        })
    changes.sort(key=lambda c: (str(c['key']), str(c['action'])))
    summary = dict((k, int((result.get('summary') or {}).get(k, 0)))
                   for k in ('created', 'updated', 'deleted', 'unchanged'))
    if check_mode:
        status = DRIFT if changes else IN_SYNC
    else:
        status = CHANGED if changes else UNCHANGED
    entry = {'provider': provider, 'status': status, 'summary': summary, 'changes': changes}
    if result.get('plan_fingerprint'):
        entry['plan_fingerprint'] = result['plan_fingerprint']
    return entry


# --- mapping_problems and mapping_failure -------------------------------------------------------

def mapping_problems(mappings, provider):
    """Every problem of a role's desired set, each naming the variable and the item: the same check
    the set module makes of its ``mappings``, so the role accepts what the module accepts."""
    variable = _variable(provider)
    if mappings is None:
        return []
    if not is_sequence(mappings):
        return ['%s must be a list of mappings, got %s' % (variable, _arguments.type_name(mappings))]
    return _arguments.list_problems(MODULES[provider].item_option(), _plain(mappings), variable)


def mapping_failure(result, provider, mappings=None):
    """A failed host's entry: the task's message, plus where in the desired set the problem is.
    ``provider`` may be None: the host's provider could not be told."""
    provider = _provider(provider) if provider else None
    result = _plain(result or {})
    message = str(result.get('msg') or 'failed without a message')
    if provider and (result.get('argument_errors') or 'Validation of arguments failed' in message):
        problems = mapping_problems(mappings, provider)
        if problems:
            message = '%s\n%s' % (message, '\n'.join(problems))
    return {'provider': provider, 'status': FAILED, 'error': message, 'summary': {}, 'changes': []}


# --- mapping_target ------------------------------------------------------------------------------

def mapping_target(group_names, host=None):
    """The provider an inventory host stands for, from its groups: ``{provider, role, variable}``."""
    groups = list(group_names or [])
    providers = [name for name in PROVIDERS if name in groups]
    if len(providers) != 1:
        raise AnsibleFilterError('%s is in %s; a host stands for one target, so it must be in exactly one of the '
                                 'groups %s' % (host or 'the host', 'the groups %s' % ', '.join(providers)
                                                if providers else 'none of them', ', '.join(PROVIDERS)))
    provider = providers[0]
    return {'provider': provider, 'role': 'sso.mappings.%s' % provider, 'variable': _variable(provider)}


# --- approved_plan -------------------------------------------------------------------------------

def approved_plan(plans, host):
    """The fingerprint approved for ``host`` in ``plans`` (host -> fingerprint, a dictionary or its JSON text,
    as the audit playbook publishes it); an error when there is none, so that nothing is written to that host."""
    given = plans = _plain(plans)
    if isinstance(given, str):
        try:
            plans = json.loads(given)  # -e sso_mappings_approved_plans='{...}' gives the JSON text
        except ValueError:
            plans = None
    if not isinstance(plans, dict):
        raise AnsibleFilterError('sso_mappings_approved_plans must be a dictionary of host name to plan_fingerprint '
                                 '(the audit playbook publishes it as sso_mappings_plans), got %s'
                                 % ('null' if given is None else 'text that is not a JSON dictionary'
                                    if isinstance(given, str) else _arguments.type_name(given)))
    fingerprint = plans.get(host)
    if not fingerprint or not isinstance(fingerprint, str):
        raise AnsibleFilterError('%s has no approved plan in sso_mappings_approved_plans (%s), so nothing is written to '
                                 'it; audit it and approve its plan_fingerprint'
                                 % (host, 'hosts with a plan: %s' % ', '.join(sorted(str(h) for h in plans if plans[h]))
                                    if any(plans.values()) else 'no host has a plan'))
    return fingerprint


# --- mapping_summary -----------------------------------------------------------------------------

def mapping_summary(entry, host=None):
    """One line about one host's entry, for the end of a play."""
    entry = _plain(entry or {})
    head = '%s [%s]' % (host, entry.get('provider')) if host else '[%s]' % entry.get('provider')
    status = entry.get('status')
    if status == FAILED:
        return '%s: FAILED: %s' % (head, ' | '.join(line for line in str(entry.get('error')).splitlines() if line))
    summary = entry.get('summary') or {}
    counts = 'created %d, updated %d, deleted %d, unchanged %d' % tuple(
        int(summary.get(k, 0)) for k in ('created', 'updated', 'deleted', 'unchanged'))
    if status == DRIFT:
        counts = counts.replace('created', 'to create').replace('updated', 'to update').replace('deleted', 'to delete')
    changes = entry.get('changes') or []
    text = '%s: %s (%s)' % (head, status.replace('_', ' ') if status else 'unknown', counts)
    if changes:
        text += ': ' + ', '.join('%s %s' % (c.get('action'), c.get('key')) for c in changes)
    return text


# --- drift_report --------------------------------------------------------------------------------

def drift_report(entries):
    """The whole drift report from ``{host: entry}``: ``drifted``, ``totals`` and ``hosts``."""
    entries = _plain(entries or {})
    if not isinstance(entries, dict):
        raise AnsibleFilterError('sso.mappings.drift_report: expected a dictionary of host name to entry')
    totals = {'hosts': len(entries), IN_SYNC: 0, DRIFT: 0, FAILED: 0}
    for entry in entries.values():
        status = (entry or {}).get('status')
        if status in totals:
            totals[status] += 1
    return {
        'drifted': totals[DRIFT] > 0,
        'totals': totals,
        'hosts': dict((host, entries[host]) for host in sorted(entries)),
    }


# --- drift_markdown ------------------------------------------------------------------------------

def _cell(value):
    """A live or desired value in a table cell: text as it is, anything else as JSON; nothing can start a tag
    or a new cell."""
    if value is None:
        text = '-'
    elif isinstance(value, str):
        text = value if value else '""'
    else:
        text = json.dumps(value, sort_keys=True)
    for character, escaped in (('\\', '\\\\'), ('|', '\\|'), ('&', '&amp;'), ('<', '&lt;'), ('>', '&gt;'), ('\r', ' '), ('\n', '<br>')):
        text = text.replace(character, escaped)
    return _pages.Markdown(text)


def _drift_page(report):
    """The data of the template drift-report.md.j2: one entry per host, one row per changed field."""
    report = _plain(report or {})
    hosts = report.get('hosts') or {}
    entries = []
    for host in sorted(hosts):
        entry = hosts[host] or {}
        status = entry.get('status')
        rows = []
        hidden = _read_only(entry.get('provider')) if entry.get('provider') in MODULES else ()
        for change in entry.get('changes') or []:
            fields = change.get('fields') or {}
            if change.get('action') != 'update':
                # The JSON report has them; for people, the API's own fields of a whole mapping are noise.
                fields = dict((k, v) for k, v in fields.items() if k not in hidden)
            if not fields:
                rows.append({'key': _cell(change.get('key')), 'action': change.get('action'), 'field': '', 'live': '', 'desired': ''})
            for name in sorted(fields):
                rows.append({'key': _cell(change.get('key')), 'action': change.get('action'), 'field': name,
                             'live': _cell(fields[name].get('before')), 'desired': _cell(fields[name].get('after'))})
        entries.append({
            'host': host, 'provider': entry.get('provider') or 'unknown', 'status': status,
            'status_label': {IN_SYNC: 'in sync', DRIFT: 'drift', FAILED: 'audit failed'}.get(status, status),
            # Lines of an indented code block: shown as they are.
            'error_lines': [_pages.Markdown('    ' + line) for line in str(entry.get('error')).splitlines()] if status == FAILED else [],
            'summary': dict((k, int((entry.get('summary') or {}).get(k, 0))) for k in ('created', 'updated', 'deleted', 'unchanged')),
            'rows': rows,
        })
    totals = report.get('totals') or {}
    # The access policy's findings on the planned state, when the audit evaluated one.
    policy = report.get('policy')
    if isinstance(policy, dict):
        policy = {'summary': policy.get('summary') or {}, 'findings': policy.get('findings') or [],
                  'stale_waivers': policy.get('stale_waivers') or []}
    else:
        policy = None
    return {'totals': dict((k, int(totals.get(k, 0))) for k in ('hosts', IN_SYNC, DRIFT, FAILED)), 'hosts': entries,
            'policy': policy}


def drift_markdown(report, template=None):
    """The drift report (as the audit playbook writes it in JSON) as Markdown, one table per host, from the
    template drift-report.md.j2 or one's own."""
    return _pages.render('drift-report.md', _drift_page(report), template)


# --- mapping_export ------------------------------------------------------------------------------

def mapping_export(mappings, provider):
    """Live mappings (an _info module's ``mappings``) in the role's variable format: read-only fields
    dropped, items sorted by identity, keys sorted."""
    drop = _read_only(provider)
    items = []
    for mapping in _plain(mappings or []):
        if not isinstance(mapping, dict):
            raise AnsibleFilterError('sso.mappings.mapping_export: every mapping must be a dictionary, got %r' % (mapping,))
        items.append(dict((k, mapping[k]) for k in sorted(mapping) if k not in drop and mapping[k] is not None))
    items.sort(key=lambda m: json.dumps([_arguments.item_label(m), m], sort_keys=True))
    return items


class FilterModule:
    """sso.mappings report filters."""

    def filters(self):
        return {
            'mapping_drift': mapping_drift,
            'mapping_failure': mapping_failure,
            'mapping_problems': mapping_problems,
            'mapping_summary': mapping_summary,
            'drift_report': drift_report,
            'drift_markdown': drift_markdown,
            'mapping_export': mapping_export,
            'mapping_target': mapping_target,
            'approved_plan': approved_plan,
        }
