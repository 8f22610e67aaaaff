# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters the collection's playbooks use to report on the roles' results.

Documentation: one sidecar YAML file per filter, next to this file.
"""

from __future__ import annotations

import json
import os

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.collections import is_sequence

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML is a dependency of ansible-core
    yaml = None

PROVIDERS = ('confluent', 'atlas', 'aria')

# The role variable that holds each provider's desired set.
MAPPINGS_VARIABLE = {
    'confluent': 'confluent_group_mappings',
    'atlas': 'atlas_role_mappings',
    'aria': 'aria_group_mappings',
}

# Fields the API sets; never part of a desired mapping.
READ_ONLY = {
    'confluent': ('id', 'principal', 'status'),
    'atlas': ('id',),
    'aria': ('vmid',),
}

# Statuses of a host entry.
IN_SYNC = 'in_sync'
DRIFT = 'drift'
CHANGED = 'changed'
UNCHANGED = 'unchanged'
FAILED = 'failed'

_ROLES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'roles')
_SPECS = {}


def _provider(provider):
    if provider not in PROVIDERS:
        raise AnsibleFilterError('sso.mappings: unknown provider %r; expected one of %s' % (provider, ', '.join(PROVIDERS)))
    return provider


def _plain(value):
    """Tagged or lazy containers -> plain dicts, lists and scalars (for JSON and YAML output)."""
    if isinstance(value, dict):
        return dict((str(k), _plain(v)) for k, v in value.items())
    if is_sequence(value):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


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
    return {'provider': provider, 'status': status, 'summary': summary, 'changes': changes}


# --- mapping_problems and mapping_failure -------------------------------------------------------

def _spec(provider):
    """The options of the mapping items, read from the role's meta/argument_specs.yml."""
    if provider not in _SPECS:
        spec = {}
        path = os.path.join(_ROLES_DIR, provider, 'meta', 'argument_specs.yml')
        if yaml is not None and os.path.isfile(path):
            with open(path, encoding='utf-8') as handle:
                data = yaml.safe_load(handle) or {}
            options = data['argument_specs']['main']['options']
            spec = options[MAPPINGS_VARIABLE[provider]].get('options') or {}
        _SPECS[provider] = spec
    return _SPECS[provider]


def _type_name(value):
    if isinstance(value, bool):
        return 'a boolean'
    if isinstance(value, dict):
        return 'a dictionary'
    if is_sequence(value):
        return 'a list'
    if isinstance(value, (int, float)):
        return 'a number'
    return 'a string'


def _check_type(value, option):
    """A message when ``value`` does not fit the option's type, else None (None values always fit)."""
    kind = option.get('type', 'str')
    if value is None:
        return None
    if kind in ('str', 'path'):
        ok = isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool))
        want = 'a string'
    elif kind == 'bool':
        ok = isinstance(value, bool)
        want = 'a boolean (true or false)'
    elif kind == 'int':
        ok = isinstance(value, int) and not isinstance(value, bool)
        want = 'an integer'
    elif kind == 'list':
        ok = is_sequence(value)
        want = 'a list'
    elif kind == 'dict':
        ok = isinstance(value, dict)
        want = 'a dictionary'
    else:
        return None
    if not ok:
        return 'must be %s, got %s' % (want, _type_name(value))
    if option.get('choices') and value not in option['choices']:
        return 'must be one of %s, got %r' % (', '.join(str(c) for c in option['choices']), value)
    return None


def _check_dict(item, options, where, problems):
    unknown = sorted(str(k) for k in item if k not in options)
    if unknown:
        problems.append('%s: unknown key%s %s (valid keys: %s)'
                        % (where, 's' if len(unknown) > 1 else '', ', '.join(repr(k) for k in unknown),
                           ', '.join(sorted(options))))
    for name in sorted(options):
        option = options[name] or {}
        value = item.get(name)
        if option.get('required') and value is None:
            problems.append('%s: %s is required' % (where, name))
            continue
        message = _check_type(value, option)
        if message:
            problems.append('%s: %s %s' % (where, name, message))
            continue
        if value is None:
            continue
        if option.get('type') == 'list' and option.get('elements') == 'dict' and option.get('options'):
            _check_list(value, option, '%s.%s' % (where, name), problems)
        elif option.get('type') == 'list' and option.get('elements'):
            for index, element in enumerate(value):
                message = _check_type(element, {'type': option['elements']})
                if message:
                    problems.append('%s.%s[%d] %s' % (where, name, index, message))
        elif option.get('type') == 'dict' and option.get('options'):
            _check_dict(value, option['options'], '%s.%s' % (where, name), problems)


def _label(item):
    for key in ('display_name', 'external_group_name', 'id'):
        if isinstance(item, dict) and isinstance(item.get(key), str):
            if key == 'display_name' and isinstance(item.get('domain'), str):
                return '%s@%s' % (item[key], item['domain'])
            return item[key]
    return None


def _check_list(value, option, where, problems):
    for index, item in enumerate(value):
        label = _label(item)
        item_where = '%s[%d]%s' % (where, index, ' (%s)' % label if label else '')
        if not isinstance(item, dict):
            problems.append('%s must be a dictionary, got %s' % (item_where, _type_name(item)))
            continue
        _check_dict(item, option['options'], item_where, problems)


def mapping_problems(mappings, provider):
    """Every problem of a role's desired set, each naming the variable and the item."""
    provider = _provider(provider)
    variable = MAPPINGS_VARIABLE[provider]
    if mappings is None:
        return []
    if not is_sequence(mappings):
        return ['%s must be a list of mappings, got %s' % (variable, _type_name(mappings))]
    options = _spec(provider)
    if not options:
        return []
    problems = []
    _check_list(mappings, {'options': options}, variable, problems)
    return problems


def mapping_failure(result, provider, mappings=None):
    """A failed host's entry: the task's message, plus where in the desired set the problem is."""
    provider = _provider(provider)
    result = _plain(result or {})
    message = str(result.get('msg') or 'failed without a message')
    if result.get('argument_errors') or 'Validation of arguments failed' in message:
        problems = mapping_problems(mappings, provider)
        if problems:
            message = '%s\n%s' % (message, '\n'.join(problems))
    return {'provider': provider, 'status': FAILED, 'error': message, 'summary': {}, 'changes': []}


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
    if value is None:
        text = '-'
    elif isinstance(value, str):
        text = value if value else '""'
    else:
        text = json.dumps(value, sort_keys=True)
    return text.replace('\\', '\\\\').replace('|', '\\|').replace('\r', ' ').replace('\n', '<br>')


def drift_markdown(report):
    """The drift report (as the audit playbook writes it in JSON) as Markdown, one table per host."""
    report = _plain(report or {})
    hosts = report.get('hosts') or {}
    totals = report.get('totals') or {}
    lines = ['# SSO mappings drift report', '']
    lines.append('Planned in check mode: nothing was changed. Hosts: %d, in sync: %d, drifted: %d, failed: %d.'
                 % tuple(int(totals.get(k, 0)) for k in ('hosts', IN_SYNC, DRIFT, FAILED)))
    lines.append('')
    for host in sorted(hosts):
        entry = hosts[host] or {}
        status = entry.get('status')
        lines.append('## %s (%s): %s' % (host, entry.get('provider'), {
            IN_SYNC: 'in sync', DRIFT: 'drift', FAILED: 'audit failed'}.get(status, status)))
        lines.append('')
        if status == FAILED:
            lines.append('The audit could not read this host:')
            lines.append('')
            lines.extend('    ' + line for line in str(entry.get('error')).splitlines())
            lines.append('')
            continue
        summary = entry.get('summary') or {}
        lines.append('To create: %d, to update: %d, to delete: %d, unchanged: %d.'
                     % tuple(int(summary.get(k, 0)) for k in ('created', 'updated', 'deleted', 'unchanged')))
        lines.append('')
        if not entry.get('changes'):
            lines.append('No drift.')
            lines.append('')
            continue
        lines.append('| Mapping | Action | Field | Live | Desired |')
        lines.append('|---|---|---|---|---|')
        hidden = READ_ONLY.get(entry.get('provider'), ())
        for change in entry['changes']:
            fields = change.get('fields') or {}
            if change.get('action') != 'update':
                # The JSON report has them; for people, the API's own fields of a whole mapping are noise.
                fields = dict((k, v) for k, v in fields.items() if k not in hidden)
            if not fields:
                lines.append('| %s | %s | | | |' % (_cell(change.get('key')), change.get('action')))
            for name in sorted(fields):
                lines.append('| %s | %s | %s | %s | %s |' % (
                    _cell(change.get('key')), change.get('action'), name,
                    _cell(fields[name].get('before')), _cell(fields[name].get('after'))))
        lines.append('')
    return '\n'.join(lines)


# --- mapping_export ------------------------------------------------------------------------------

def mapping_export(mappings, provider):
    """Live mappings (an _info module's ``mappings``) in the role's variable format: read-only fields
    dropped, items sorted by identity, keys sorted."""
    provider = _provider(provider)
    drop = READ_ONLY[provider]
    items = []
    for mapping in _plain(mappings or []):
        if not isinstance(mapping, dict):
            raise AnsibleFilterError('sso.mappings.mapping_export: every mapping must be a dictionary, got %r' % (mapping,))
        items.append(dict((k, mapping[k]) for k in sorted(mapping) if k not in drop and mapping[k] is not None))
    items.sort(key=lambda m: json.dumps([_label(m), m], sort_keys=True))
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
        }
