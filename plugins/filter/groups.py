# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters of ``sso_groups``, one declaration per identity-provider group: a host's expanded items,
the roles' check of the catalogue, and the export of live mappings as a catalogue.

Documentation: one sidecar YAML file per filter, next to this file.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.sso.mappings.plugins.filter.mappings import mapping_export
from ansible_collections.sso.mappings.plugins.plugin_utils import _groups, _groups_export
from ansible_collections.sso.mappings.plugins.plugin_utils._plain import plain as _plain

display = Display()


def _provider(provider):
    if provider not in _groups.PROVIDERS:
        raise AnsibleFilterError('sso.mappings: unknown provider %r; expected one of %s'
                                 % (provider, ', '.join(_groups.PROVIDERS)))
    return provider


def group_items(sso_groups, provider, host, hosts, claims=_groups.DEFAULT_CLAIMS):
    """``host``'s items from the catalogue, for the set module of ``provider``. Expired and expiring
    groups are named in warnings: the task that uses the filter shows them."""
    try:
        catalogue, unresolved = _groups.catalogue(sso_groups, _provider(provider))
        if unresolved:
            raise _groups.CatalogueError(unresolved)
        items, warnings = _groups.expand(catalogue, provider, host, _plain(hosts or []), _plain(claims))
    except _groups.CatalogueError as error:
        raise AnsibleFilterError('sso.mappings.group_items: %s' % '; '.join(error.problems)) from error
    for warning in warnings:
        display.warning(warning)
    return items


def group_problems(sso_groups, provider, host, inventory_groups, mappings=None, claims=_groups.DEFAULT_CLAIMS):
    """Everything that stops ``host`` from being converged with the catalogue, each naming the group
    and the key: the catalogue's problems (``hosts`` checked against ``inventory_groups``), the claims
    path, and identities declared twice on the host (by two groups, or by a group and ``mappings``)."""
    inventory = _plain(inventory_groups or {})
    if not isinstance(inventory, dict):
        raise AnsibleFilterError('sso.mappings.group_problems: inventory_groups must be the groups variable')
    catalogue, unresolved = _groups.catalogue(sso_groups, _provider(provider))
    return unresolved + _groups.problems(catalogue, provider, host, inventory, _plain(mappings or []), _plain(claims))


def group_export(entries, inventory_groups):
    """The live mappings of every host as a catalogue and what stays in the hosts' variables:
    ``{sso_groups, host_vars}``. ``entries``: host -> ``{provider, mappings, claims, org_id, projects}``."""
    entries = _plain(entries or {})
    if not isinstance(entries, dict):
        raise AnsibleFilterError('sso.mappings.group_export: expected a dictionary of host name to entry')
    cleaned = {}
    for host, entry in entries.items():
        if not isinstance(entry, dict):
            raise AnsibleFilterError('sso.mappings.group_export: the entry of %s must be a dictionary' % host)
        cleaned[host] = dict(entry, provider=_provider(entry.get('provider')),
                             mappings=mapping_export(entry.get('mappings') or [], entry['provider']))
    return _groups_export.export(cleaned, _plain(inventory_groups or {}))


class FilterModule:
    """sso.mappings filters of sso_groups."""

    def filters(self):
        return {
            'group_items': group_items,
            'group_problems': group_problems,
            'group_export': group_export,
        }
