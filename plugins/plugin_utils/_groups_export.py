# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This plugin_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""The live mappings of every host as ``sso_groups``: the inverse of ``_groups.expand``.

A live mapping belongs to a group when its group is known: an Atlas role mapping's
``external_group_name``, an Aria group's ``display_name``, a Confluent group mapping whose filter
tests exactly one group, which is its ``display_name``. A group becomes an entry when, on each
platform, every host that has it has the same mapping (after the defaults the expansion would fill
in are taken out); its ``hosts`` are listed when it is not on every host of a platform. Every other
mapping stays in its host's variables. Expanding the result gives back the live mappings.
"""

from __future__ import annotations

import json
from collections import namedtuple

from ansible_collections.sso.mappings.plugins.plugin_utils import _cel_groups
from ansible_collections.sso.mappings.plugins.plugin_utils._groups import DEFAULT_CLAIMS, MODULES, NAME_FIELDS, PROVIDERS, claims_path, default_filter, identity

CLAIMS_VARIABLE = 'confluent_groups_claim'

# One live mapping of a group on a host: its platform key's value, its Confluent description, the
# mapping itself, and whether no other mapping on the host has its identity.
_Found = namedtuple('_Found', 'value description mapping unique')


def _claims_of(mapping):
    """The claims path of a filter written exactly as the expansion writes one, ``"<name>" in <path>``."""
    group = mapping.get('display_name')
    text = mapping.get('filter')
    if not isinstance(group, str) or not isinstance(text, str):
        return None
    prefix = default_filter(group, '')
    if not text.startswith(prefix):
        return None
    path = claims_path(text[len(prefix):])
    return path if path is not None and default_filter(group, path) == text else None


def choose_claims(mappings, current):
    """The claims path that lets most of a Confluent host's mappings keep the default filter: the
    most used one (the host's ``current`` value on a tie)."""
    counts = {}
    for mapping in mappings:
        path = _claims_of(mapping)
        if path is not None:
            counts[path] = counts.get(path, 0) + 1
    if not counts or counts.get(current, 0) == max(counts.values()):
        return current
    return sorted(counts, key=lambda path: (-counts[path], path))[0]


def _group_of(provider, mapping):
    """The group a live mapping belongs to, or None."""
    name = mapping.get(NAME_FIELDS[provider])
    if not isinstance(name, str):
        return None
    if provider == 'confluent' and _cel_groups.groups_of_filter(mapping.get('filter')) != (name,):
        return None
    return name


def _assignment_key(assignment):
    return tuple(assignment.get(k) or '' for k in ('project_name', 'project_id', 'org_id', 'role'))


def _value(provider, mapping, host_entry, claims):
    """What an entry's platform key holds for ``mapping`` (and, for Confluent, its description): the
    mapping without what the expansion fills in on this host."""
    value = dict((k, v) for k, v in mapping.items() if k != NAME_FIELDS[provider])
    description = None
    if provider == 'confluent':
        description = value.pop('description', '') or ''
        if value.get('filter') == default_filter(mapping['display_name'], claims):
            del value['filter']
    elif provider == 'atlas':
        org_id = (host_entry.get('org_id') or '').lower()
        projects = host_entry.get('projects') or {}
        assignments = []
        for assignment in value.get('role_assignments') or []:
            assignment = dict(assignment)
            # An organization role without org_id takes the host's; a project is found by its name on every host.
            if org_id and (assignment.get('org_id') or '').lower() == org_id and 'project_id' not in assignment:
                del assignment['org_id']
            if assignment.get('project_id') in projects:
                assignment['project_name'] = projects[assignment.pop('project_id')]
            assignments.append(assignment)
        if 'role_assignments' in value:
            value['role_assignments'] = sorted(assignments, key=_assignment_key)
    return value, description


def _same(values):
    texts = set(json.dumps(value, sort_keys=True) for value in values)
    return len(texts) == 1


def export(entries, inventory):
    """``{'sso_groups': {...}, 'host_vars': {host: {variable: [...], ...}}}`` from every host's live mappings.

    ``entries``: host -> ``{provider, mappings, claims, org_id, projects}``, where ``mappings`` are in the
    role's variable format (read-only fields dropped, sorted), ``claims`` is the host's
    ``confluent_groups_claim``, ``org_id`` the Atlas host's organization and ``projects`` the names of
    its projects by id. ``inventory``: provider -> every host of its inventory group.
    """
    claims = {}
    found = {}  # group -> provider -> host -> [_Found, ...]
    for host in sorted(entries):
        entry = entries[host]
        provider = entry['provider']
        mappings = entry.get('mappings') or []
        if provider == 'confluent':
            claims[host] = choose_claims(mappings, entry.get('claims') or DEFAULT_CLAIMS)
        counts = {}
        for mapping in mappings:
            key = identity(provider, mapping)
            counts[key] = counts.get(key, 0) + 1
        for mapping in mappings:
            group = _group_of(provider, mapping)
            if group is not None:
                value, description = _value(provider, mapping, entry, claims.get(host))
                found.setdefault(group, {}).setdefault(provider, {}).setdefault(host, []).append(
                    _Found(value, description, mapping, counts[identity(provider, mapping)] == 1))

    catalogue = {}
    catalogued = set()  # (host, id(mapping)) of the mappings an entry now declares
    for group in sorted(found):
        per_provider = dict((provider, found[group][provider]) for provider in PROVIDERS if provider in found[group])
        if not all(_declarable(per_host) for per_host in per_provider.values()):
            continue  # it differs between the hosts of a platform: it stays in the hosts' variables
        entry = {}
        if 'confluent' in per_provider:
            description = _first(per_provider['confluent']).description
            if description:
                entry['description'] = description
        if any(set(per_host) != set(inventory.get(provider) or []) for provider, per_host in per_provider.items()):
            entry['hosts'] = sorted(host for per_host in per_provider.values() for host in per_host)
        for provider, per_host in per_provider.items():
            value = _first(per_host).value
            entry[provider] = dict((k, value[k]) for k in sorted(value))
            catalogued.update((host, id(places[0].mapping)) for host, places in per_host.items())
        catalogue[group] = entry

    host_vars = {}
    for host in sorted(entries):
        entry = entries[host]
        provider = entry['provider']
        mappings = entry.get('mappings') or []
        variables = {MODULES[provider].role_variable: [m for m in mappings if (host, id(m)) not in catalogued]}
        declared = len(variables[MODULES[provider].role_variable]) < len(mappings)
        # Written unless both the path and the host's own value are the role's default, so that the files
        # say which claims path the filters the entries leave out test.
        current = entry.get('claims') or DEFAULT_CLAIMS
        if provider == 'confluent' and declared and (claims[host], current) != (DEFAULT_CLAIMS, DEFAULT_CLAIMS):
            variables[CLAIMS_VARIABLE] = claims[host]
        host_vars[host] = variables
    return {'sso_groups': catalogue, 'host_vars': host_vars}


def _first(per_host):
    return next(iter(per_host.values()))[0]


def _declarable(per_host):
    """One mapping of the group on each host, alone with its identity there, the same on every host."""
    places = list(per_host.values())
    return (all(len(found) == 1 and found[0].unique for found in places)
            and _same(found[0].value for found in places) and _same(found[0].description for found in places))
