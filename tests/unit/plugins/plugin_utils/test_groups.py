# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sso_groups expanded into one host's items: defaults, hosts, expiry, the catalogue's check and duplicates."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2.exceptions import UndefinedError

from ansible_collections.sso.mappings.plugins.plugin_utils import _groups
from ansible_collections.sso.mappings.plugins.plugin_utils._cel_groups import groups_of_filter

TODAY = datetime.date(2027, 6, 1)
INVENTORY = {'confluent': ['c1', 'c2'], 'atlas': ['a1'], 'aria': ['r1']}
BINDING = {'role_name': 'OrganizationAdmin', 'crn_pattern': 'crn://confluent.cloud/organization=o1'}
ADMINS = {
    'description': 'Platform on-call',
    'owner': 'platform-team@example.com',
    'confluent': {'role_bindings': [BINDING]},
    'atlas': {'role_assignments': [{'role': 'ORG_OWNER'}, {'role': 'GROUP_OWNER', 'project_name': 'payments'}]},
    'aria': {'domain': 'corp.example', 'mapped_roles': ['LCM Cloud Admin']},
}


def expand(catalogue, provider, host, claims='groups', today=TODAY):
    return _groups.expand(catalogue, provider, host, INVENTORY[provider], claims, today)


def test_each_platform_gets_one_item_with_the_group_as_its_name_and_the_defaults():
    catalogue = {'platform-admins': ADMINS}
    assert expand(catalogue, 'confluent', 'c1') == ([{
        'display_name': 'platform-admins', 'filter': '"platform-admins" in groups', 'description': 'Platform on-call',
        'role_bindings': [BINDING]}], [])
    assert expand(catalogue, 'atlas', 'a1')[0] == [{
        'external_group_name': 'platform-admins',
        'role_assignments': [{'role': 'ORG_OWNER'}, {'role': 'GROUP_OWNER', 'project_name': 'payments'}]}]
    assert expand(catalogue, 'aria', 'r1')[0] == [{
        'display_name': 'platform-admins', 'domain': 'corp.example', 'mapped_roles': ['LCM Cloud Admin']}]


def test_a_platform_key_with_no_fields_declares_the_mapping_and_its_own_fields_win():
    catalogue = {
        'eng': {'confluent': None},
        'ops': {'description': 'Operations', 'confluent': {}},
        'sre': {'description': 'Not this one', 'confluent': {
            'display_name': 'SRE', 'filter': '"sre" in groups || "oncall" in groups', 'description': 'Its own'}},
    }
    assert expand(catalogue, 'confluent', 'c2', claims='claims.groups')[0] == [
        {'display_name': 'eng', 'filter': '"eng" in claims.groups', 'description': ''},
        {'display_name': 'ops', 'filter': '"ops" in claims.groups', 'description': 'Operations'},
        {'display_name': 'SRE', 'filter': '"sre" in groups || "oncall" in groups', 'description': 'Its own'},
    ]
    # Platforms the entry does not name get nothing.
    assert expand(catalogue, 'atlas', 'a1') == ([], [])


def test_hosts_limits_the_targets_and_may_be_one_name():
    catalogue = {'eng': {'hosts': ['c2', 'a1'], 'confluent': None, 'atlas': {'role_assignments': [{'role': 'ORG_MEMBER'}]}},
                 'ops': {'hosts': 'c1', 'confluent': None}}
    assert [i['display_name'] for i in expand(catalogue, 'confluent', 'c1')[0]] == ['ops']
    assert [i['display_name'] for i in expand(catalogue, 'confluent', 'c2')[0]] == ['eng']
    assert [i['external_group_name'] for i in expand(catalogue, 'atlas', 'a1')[0]] == ['eng']
    # A host outside the provider's inventory group gets nothing.
    assert expand(catalogue, 'confluent', 'elsewhere') == ([], [])


@pytest.mark.parametrize('expires', ['2027-06-01', datetime.date(2027, 6, 1), '2020-01-31', datetime.date(2027, 5, 31)])
def test_a_group_that_expired_today_or_earlier_is_absent_everywhere_and_named(expires):
    catalogue = {'platform-admins': dict(ADMINS, expires=expires)}
    date = str(expires)
    assert expand(catalogue, 'confluent', 'c2') == (
        [{'display_name': 'platform-admins', 'state': 'absent'}],
        ["sso_groups: group 'platform-admins' expired on %s: its mappings are removed from c2" % date])
    assert expand(catalogue, 'atlas', 'a1')[0] == [{'external_group_name': 'platform-admins', 'state': 'absent'}]
    # An Aria group is known by its name and its domain.
    assert expand(catalogue, 'aria', 'r1')[0] == [{'display_name': 'platform-admins', 'domain': 'corp.example',
                                                   'state': 'absent'}]


@pytest.mark.parametrize('days, warned', [(1, 'in 1 day'), (14, 'in 14 days'), (15, None), (400, None)])
def test_a_group_that_expires_within_14_days_is_named_and_still_applied(days, warned):
    expires = TODAY + datetime.timedelta(days=days)
    items, warnings = expand({'eng': {'expires': expires.isoformat(), 'confluent': None}}, 'confluent', 'c1')
    assert items == [{'display_name': 'eng', 'filter': '"eng" in groups', 'description': ''}]
    if warned:
        assert warnings == ["sso_groups: group 'eng' expires on %s, %s: its mappings will then be removed from c1"
                            % (expires.isoformat(), warned)]
    else:
        assert warnings == []


def test_expiry_is_named_only_on_the_hosts_the_group_goes_to():
    catalogue = {'eng': {'expires': '2020-01-01', 'hosts': ['c1'], 'confluent': None}}
    assert expand(catalogue, 'confluent', 'c2') == ([], [])
    assert expand(catalogue, 'aria', 'r1') == ([], [])


@pytest.mark.parametrize('name, literal', [
    ('eng', '"eng"'),
    ('say "hi"', '"say \\"hi\\""'),
    ('back\\slash', '"back\\\\slash"'),
    ('a\nb\tc\x01', '"a\\nb\\tc\\x01"'),
    ('Ingénieurs', '"Ingénieurs"'),
])
def test_a_group_name_is_written_as_a_cel_string(name, literal):
    assert _groups.default_filter(name, 'claims.groups') == '%s in claims.groups' % literal
    assert groups_of_filter(_groups.default_filter(name, 'claims.groups')) == (name,)


@given(st.text(min_size=1), st.sampled_from(['groups', 'claims.groups', 'a._b.c9']))
def test_every_default_filter_tests_exactly_its_group(name, claims):
    assert groups_of_filter(_groups.default_filter(name, claims)) == (name,)
    assert _groups.claims_problem(claims) is None


@pytest.mark.parametrize('claims', ['', 'in', 'claims.', '.groups', 'claims groups', 'claims . groups', '"groups"',
                                    'groups || true', 'true', 5])
def test_a_claims_path_must_be_names_joined_by_dots(claims):
    assert 'confluent_groups_claim' in _groups.claims_problem(claims)
    with pytest.raises(_groups.CatalogueError, match='confluent_groups_claim'):
        expand({'eng': {'confluent': None}}, 'confluent', 'c1', claims=claims)
    # Only Confluent fills in filters.
    assert expand({'eng': {'atlas': {'role_assignments': []}}}, 'atlas', 'a1', claims=claims)[0]


@pytest.mark.parametrize('entry, problem', [
    ({'confluent': {'filtr': 'x'}},
     "sso_groups.g.confluent: unknown key 'filtr' (valid keys: description, display_name, filter, role_bindings)"),
    ({'confluent': {'id': 'group-1'}}, "sso_groups.g.confluent: unknown key 'id'"),
    ({'atlas': {'role_assignments': [{'role': 'ORG_OWNER'}], 'state': 'absent'}}, "sso_groups.g.atlas: unknown key 'state'"),
    ({'gcp': {}}, "sso_groups.g: unknown key 'gcp' (valid keys: aria, atlas, confluent, description, expires, hosts, owner)"),
    ({'expire': '2027-01-01'}, "sso_groups.g: unknown key 'expire'"),
    ({'description': ['a', 'b']}, 'sso_groups.g: description must be a string, got a list'),
    ({'owner': {'name': 'x'}}, 'sso_groups.g: owner must be a string, got a dictionary'),
    ({'hosts': {'c1': True}}, 'sso_groups.g: hosts must be a list, got a dictionary'),
    ({'hosts': [['c1']]}, 'sso_groups.g.hosts[0] must be a string, got a list'),
    ({'confluent': ['x']}, 'sso_groups.g: confluent must be a dictionary, got a list'),
    ({'confluent': {'role_bindings': [{'role_name': 'X'}]}}, 'sso_groups.g.confluent.role_bindings[0]: crn_pattern is required'),
    ({'atlas': {'role_assignments': 'ORG_OWNER'}}, 'sso_groups.g.atlas: role_assignments must be a list, got a string'),
    ({'atlas': {'role_assignments': [{'role': 'ORG_OWNER', 'roles': ['ORG_MEMBER']}]}},
     'sso_groups.g.atlas.role_assignments[0]: role and roles are mutually exclusive'),
    ({'aria': {'domain': 'd', 'is_disabled': 'perhaps'}}, 'sso_groups.g.aria: is_disabled must be a boolean'),
    ({'aria': {}}, 'sso_groups.g.aria: domain is required'),
    ({'aria': None}, 'sso_groups.g.aria: domain is required'),
    ({'expires': '30/06/2027'}, "sso_groups.g: expires must be a date (YYYY-MM-DD), got '30/06/2027'"),
    ({'expires': '2027-02-30'}, "sso_groups.g: expires must be a date (YYYY-MM-DD), got '2027-02-30'"),
    ({'expires': 20270630}, 'sso_groups.g: expires must be a date (YYYY-MM-DD), got 20270630'),
    ({'expires': datetime.datetime(2027, 6, 30, 12, 0)}, 'sso_groups.g: expires must be a date'),
    ({'hosts': ['a1'], 'confluent': None},
     "sso_groups.g: hosts: 'a1' is in none of the inventory groups of the platforms the entry names (confluent)"),
    ({'hosts': 'c1,nowhere', 'confluent': None, 'atlas': {}}, "sso_groups.g: hosts: 'nowhere' is in none"),
    ({'hosts': ['c1']}, "sso_groups.g: hosts: 'c1' is in none of the inventory groups of the platforms the entry names (none)"),
    ({'hosts': [2027], 'confluent': None}, "sso_groups.g: hosts: '2027' is in none"),
])
def test_a_malformed_entry_is_named_by_group_and_key(entry, problem):
    found = _groups.problems({'g': entry, 'fine': {'confluent': None}}, 'confluent', 'c1', INVENTORY)
    assert any(p.startswith(problem) for p in found), found
    if 'hosts:' in problem:
        return  # only the check with the whole inventory can tell
    # The expansion refuses the same catalogue, whatever the host.
    with pytest.raises(_groups.CatalogueError) as raised:
        expand({'g': entry}, 'aria', 'r1')
    assert raised.value.problems == [p for p in found if 'hosts:' not in p]


@pytest.mark.parametrize('catalogue, problem', [
    (['eng'], 'sso_groups must be a dictionary of group name to entry, got a list'),
    ({'eng': 'confluent'}, 'sso_groups.eng must be a dictionary, got a string'),
    ({'': {'confluent': None}}, "sso_groups: a group name must be a non-empty string, got ''"),
])
def test_a_malformed_catalogue_is_named(catalogue, problem):
    assert _groups.problems(catalogue, 'atlas', 'a1', INVENTORY) == [problem]


def test_nothing_to_expand_and_nothing_wrong_without_a_catalogue():
    assert _groups.problems(None, 'aria', 'r1', INVENTORY) == []
    assert _groups.problems({}, 'aria', 'r1', INVENTORY, [{'display_name': 'x', 'domain': 'd'}]) == []
    assert expand(None, 'aria', 'r1') == ([], [])
    assert expand({'eng': None}, 'aria', 'r1') == ([], [])


def test_an_unknown_provider_is_refused():
    with pytest.raises(_groups.CatalogueError, match="unknown provider 'gcp'"):
        _groups.expand({}, 'gcp', 'h', [])


def test_one_identity_declared_by_a_group_and_the_hosts_list_is_named_with_both_places():
    own = [{'display_name': 'other', 'filter': 'x'}, {'display_name': 'platform-admins', 'filter': 'y'}]
    assert _groups.problems({'platform-admins': ADMINS}, 'confluent', 'c1', INVENTORY, own) == [
        "sso_groups.platform-admins.confluent and confluent_group_mappings[1] both declare the Confluent group mapping "
        "'platform-admins' on c1; declare each once"]
    # Not on a host the group does not go to.
    limited = {'platform-admins': dict(ADMINS, hosts=['c2'])}
    assert _groups.problems(limited, 'confluent', 'c1', INVENTORY, own) == []


def test_two_groups_that_declare_one_identity_are_named():
    catalogue = {'eng': {'aria': {'domain': 'Corp.Example'}},
                 'engineers': {'aria': {'display_name': 'ENG', 'domain': 'corp.example'}},
                 'atlas-eng': {'atlas': {'external_group_name': 'eng', 'role_assignments': [{'role': 'ORG_MEMBER'}]}},
                 'eng-atlas': {'atlas': {'external_group_name': 'eng', 'role_assignments': [{'role': 'ORG_MEMBER'}]}}}
    # Aria compares names and domains in any case, as the module does.
    assert _groups.problems(catalogue, 'aria', 'r1', INVENTORY) == [
        "sso_groups.eng.aria and sso_groups.engineers.aria both declare the Aria group 'eng@Corp.Example' on r1; "
        "declare each once"]
    assert _groups.problems(catalogue, 'atlas', 'a1', INVENTORY, [{'external_group_name': 'eng'}]) == [
        "sso_groups.atlas-eng.atlas and sso_groups.eng-atlas.atlas and atlas_role_mappings[0] both declare the Atlas "
        "role mapping 'eng' on a1; declare each once"]


def test_duplicates_within_the_hosts_own_list_are_left_to_the_module():
    own = [{'external_group_name': 'x'}, {'external_group_name': 'x'}, 'not a mapping', {'role_assignments': []}]
    assert _groups.problems({'eng': {'atlas': {}}}, 'atlas', 'a1', INVENTORY, own) == []


def test_duplicates_are_found_among_the_well_formed_entries_when_others_are_malformed():
    catalogue = {'bad': {'gcp': {}}, 'eng': {'confluent': None}}
    found = _groups.problems(catalogue, 'confluent', 'c1', INVENTORY, [{'display_name': 'eng'}])
    assert len(found) == 2 and found[0].startswith("sso_groups.bad: unknown key 'gcp'")
    assert found[1].startswith('sso_groups.eng.confluent and confluent_group_mappings[0] both declare')


def test_items_keep_to_the_set_modules_item_options():
    """Every field an item may carry is an option of the set module's items."""
    catalogue = {'g': {'expires': '2099-01-01', 'description': 'd', 'confluent': {'role_bindings': [BINDING]},
                       'atlas': {'role_assignments': [{'role': 'ORG_OWNER'}]},
                       'aria': {'domain': 'd', 'group_type': 'USER_GROUP', 'is_disabled': False,
                                'provider_identifier': 'p', 'group_metadata': {'external_id': 'x'}}}}
    for provider, modules in _groups.MODULES.items():
        options = modules.item_option()['options']
        (item,) = expand(catalogue, provider, INVENTORY[provider][0])[0]
        assert set(item) <= set(options)


class _Lazy(dict):
    """A dictionary whose values are templated as they are read, as Ansible's are: a value naming an
    undefined variable raises on reading."""

    def __getitem__(self, key):
        value = dict.__getitem__(self, key)
        if value == '{{ undefined }}':
            raise UndefinedError("'undefined' is undefined")
        return _Lazy(value) if isinstance(value, dict) else value

    def items(self):
        return [(key, self[key]) for key in self]


def test_a_platform_key_that_cannot_be_templated_is_left_to_the_hosts_it_goes_to():
    lazy = _Lazy({'admins': {'owner': 'team@example.com',
                             'confluent': {'description': '{{ undefined }}'},
                             'atlas': {'role_assignments': [{'role': 'ORG_OWNER'}]}}})
    found, problems = _groups.catalogue(lazy, 'atlas')
    assert problems == []
    assert found['admins']['confluent'] is _groups.UNRESOLVED
    assert _groups.problems(found, 'atlas', 'atlas-1', {'atlas': ['atlas-1'], 'confluent': ['c-1']}) == []
    assert _groups.expand(found, 'atlas', 'atlas-1', ['atlas-1'])[0] == [
        {'external_group_name': 'admins', 'role_assignments': [{'role': 'ORG_OWNER'}]}]
    assert _groups.declared(lazy) == {'admins': {'owner': 'team@example.com', 'confluent': _groups.UNRESOLVED,
                                                 'atlas': {'role_assignments': [{'role': 'ORG_OWNER'}]}}}
    # On the hosts the key goes to, the undefined variable is a problem naming the group and the key.
    found, problems = _groups.catalogue(lazy, 'confluent')
    assert problems == ["sso_groups.admins.confluent: 'undefined' is undefined"]
    assert _groups.problems(found, 'confluent', 'c-1', {'atlas': ['atlas-1'], 'confluent': ['c-1']}) == []
    # A key of no platform cannot be left to other hosts.
    lazy = _Lazy({'admins': {'owner': '{{ undefined }}', 'atlas': None}})
    assert _groups.catalogue(lazy, 'atlas')[1] == ["sso_groups.admins.owner: 'undefined' is undefined"]
