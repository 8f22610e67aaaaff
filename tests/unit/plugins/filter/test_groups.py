# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sso_groups filters: thin over plugin_utils._groups and _groups_export, with warnings and undefined values."""

from __future__ import annotations

import datetime

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.sso.mappings.plugins.filter import groups as filters

GROUPS = {'confluent': ['c1', 'c2'], 'atlas': ['a1'], 'aria': ['r1'], 'all': ['c1', 'c2', 'a1', 'r1'], 'ungrouped': []}


def test_filters_are_registered():
    assert sorted(filters.FilterModule().filters()) == ['group_export', 'group_items', 'group_problems']


def test_group_items_expands_and_shows_each_warning(monkeypatch):
    shown = []
    monkeypatch.setattr(filters.display, 'warning', shown.append)
    soon = (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=3))
    catalogue = {'eng': {'expires': soon, 'confluent': None}, 'gone': {'expires': '2020-01-01', 'confluent': None}}
    assert filters.group_items(catalogue, 'confluent', 'c2', GROUPS['confluent'], claims='claims.groups') == [
        {'display_name': 'eng', 'filter': '"eng" in claims.groups', 'description': ''},
        {'display_name': 'gone', 'state': 'absent'}]
    assert shown == [
        "sso_groups: group 'eng' expires on %s, in 3 days: its mappings will then be removed from c2" % soon.isoformat(),
        "sso_groups: group 'gone' expired on 2020-01-01: its mappings are removed from c2"]


def test_group_items_refuses_a_malformed_catalogue_naming_every_problem():
    with pytest.raises(AnsibleFilterError) as raised:
        filters.group_items({'a': {'gcp': {}}, 'b': {'aria': {}}}, 'aria', 'r1', ['r1'])
    assert "sso_groups.a: unknown key 'gcp'" in str(raised.value)
    assert 'sso_groups.b.aria: domain is required' in str(raised.value)
    with pytest.raises(AnsibleFilterError, match="unknown provider 'gcp'"):
        filters.group_items({}, 'gcp', 'h', [])


def test_group_problems_checks_hosts_against_the_inventory_and_finds_duplicates():
    catalogue = {'eng': {'hosts': ['r1'], 'atlas': {'role_assignments': [{'role': 'ORG_MEMBER'}]}},
                 'ops': {'atlas': {'role_assignments': [{'role': 'ORG_MEMBER'}]}}}
    assert filters.group_problems(catalogue, 'atlas', 'a1', GROUPS, [{'external_group_name': 'ops'}]) == [
        "sso_groups.eng: hosts: 'r1' is in none of the inventory groups of the platforms the entry names (atlas)",
        "sso_groups.ops.atlas and atlas_role_mappings[0] both declare the Atlas role mapping 'ops' on a1; declare each once"]
    with pytest.raises(AnsibleFilterError, match='groups variable'):
        filters.group_problems({}, 'atlas', 'a1', ['a1'])


def test_group_export_drops_the_read_only_fields_and_inverts():
    live = {
        'c1': {'provider': 'confluent', 'claims': 'groups', 'mappings': [
            {'id': 'group-1', 'principal': 'group-1', 'status': 'ENABLED', 'display_name': 'eng',
             'filter': '"eng" in groups', 'description': 'Engineers', 'role_bindings': []},
            {'id': 'group-2', 'principal': 'group-2', 'status': 'ENABLED', 'display_name': 'both',
             'filter': '"a" in groups || "b" in groups', 'description': ''}]},
        'r1': {'provider': 'aria', 'mappings': [{'vmid': 'v1', 'display_name': 'eng', 'domain': 'corp',
                                                 'mapped_roles': ['LCM Admin']}]},
    }
    assert filters.group_export(live, GROUPS) == {
        'sso_groups': {'eng': {'description': 'Engineers', 'hosts': ['c1', 'r1'], 'confluent': {'role_bindings': []},
                               'aria': {'domain': 'corp', 'mapped_roles': ['LCM Admin']}}},
        'host_vars': {'c1': {'confluent_group_mappings': [
            {'description': '', 'display_name': 'both', 'filter': '"a" in groups || "b" in groups'}]},
            'r1': {'aria_group_mappings': []}},
    }
    with pytest.raises(AnsibleFilterError, match="unknown provider None"):
        filters.group_export({'x': {'mappings': []}}, GROUPS)
