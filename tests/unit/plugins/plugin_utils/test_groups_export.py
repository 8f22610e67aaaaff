# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The live mappings as sso_groups: what becomes an entry, what stays in the hosts' variables, and the round trips.

The properties apply a catalogue the way the set modules do, with the real adapters' validation (an
organization role takes the module's org_id, a project name becomes its id, lists are sorted), read
the result back in the _info modules' shape, and export it:

- for a random catalogue, the export of the applied state is the same catalogue;
- for a random live state, expanding the export next to the hosts' variables gives back the live state
  (so ``apply`` right after an export changes nothing).
"""

from __future__ import annotations

import copy
import itertools
import json

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ansible_collections.sso.mappings.plugins.filter.mappings import mapping_export
from ansible_collections.sso.mappings.plugins.module_utils._confluent_role_bindings import sort_bindings
from ansible_collections.sso.mappings.plugins.plugin_utils import _groups
from ansible_collections.sso.mappings.plugins.plugin_utils._groups_export import choose_claims, export

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ORGS = {'a1': '5e2211c17a3e5a48f5497de3', 'a2': '5e2211c17a3e5a48f5497de4'}
# Each organization has its own project of each name.
PROJECTS = {'a1': {'payments': '6a1b2c3d4e5f60718293a4b5', 'search': '6a1b2c3d4e5f60718293a4b6'},
            'a2': {'payments': '6a1b2c3d4e5f60718293a4c5', 'search': '6a1b2c3d4e5f60718293a4c6'}}
INVENTORY = {'confluent': ['c1', 'c2', 'c3'], 'atlas': ['a1', 'a2'], 'aria': ['r1']}
PROVIDER_OF = dict((host, provider) for provider, hosts in INVENTORY.items() for host in hosts)
NAMES = ('platform-admins', 'eng', 'Eng', 'ops', 'say "hi"', 'back\\slash', 'Ingénieurs', 'a||b')
CRNS = ('crn://confluent.cloud/organization=o1', 'crn://confluent.cloud/organization=o1/environment=env-1')


def applied(host, items):
    """What ``host`` holds after its set module applied ``items`` to an empty target, as its _info module
    returns it."""
    provider = PROVIDER_OF[host]
    modules = _groups.MODULES[provider]
    api = modules.api_class(None, {'org_id': ORGS[host]} if provider == 'atlas' else {})
    ids = itertools.count(1)
    live = []
    for item in items:
        desired = api.validate(dict((name, item.get(name)) for name in modules.item_option()['options']), 'mappings')
        if desired.pop('state') == 'absent':
            continue
        if provider == 'confluent':
            desired = dict({'description': '', 'role_bindings': []}, **desired)
            desired.update(id='group-%d' % next(ids), principal='group-x', status='ENABLED')
        elif provider == 'atlas':
            names = PROJECTS[host]
            desired['role_assignments'] = sorted(
                ({'role': a['role'], 'project_id': names[a['project_name']]} if 'project_name' in a else a
                 for a in desired['role_assignments']), key=lambda a: sorted(a.items()))
            desired['id'] = 'm%d' % next(ids)
        else:
            desired['mapped_roles'] = sorted(set(desired.get('mapped_roles') or []))
            desired['vmid'] = 'v%d' % next(ids)
        live.append(desired)
    return live


def entries(live, claims):
    """The export filter's input from each host's live mappings."""
    found = {}
    for host, mappings in live.items():
        provider = PROVIDER_OF[host]
        entry = {'provider': provider, 'mappings': mapping_export(mappings, provider)}
        if provider == 'confluent':
            entry['claims'] = claims[host]
        if provider == 'atlas':
            entry['org_id'] = ORGS[host].upper()  # written in any case in the inventory
            entry['projects'] = dict((i, n) for n, i in PROJECTS[host].items())
        found[host] = entry
    return found


def expand_all(catalogue, host_vars, claims):
    """Each host's items: its variables next to its expansion of the catalogue."""
    items = {}
    for host, provider in PROVIDER_OF.items():
        variables = host_vars.get(host, {})
        host_claims = variables.get('confluent_groups_claim', claims.get(host, 'groups'))
        own = list(variables.get(_groups.MODULES[provider].role_variable, []))
        assert _groups.problems(catalogue, provider, host, INVENTORY, own, host_claims) == []
        items[host] = own + _groups.expand(catalogue, provider, host, INVENTORY[provider], host_claims)[0]
    return items


def same_mappings(one, other):
    return sorted(json.dumps(m, sort_keys=True) for m in one) == sorted(json.dumps(m, sort_keys=True) for m in other)


def test_what_the_expansion_fills_in_is_left_out_and_hosts_listed_only_where_needed():
    live = {
        'c1': [{'display_name': 'eng', 'filter': '"eng" in claims.groups', 'description': 'Engineers', 'role_bindings': []},
               {'display_name': 'ops', 'filter': '"ops" in claims.groups', 'description': '', 'role_bindings': []},
               {'display_name': 'both', 'filter': '"x" in groups || "y" in groups', 'description': '', 'role_bindings': []},
               {'display_name': 'named', 'filter': '"other" in groups', 'description': '', 'role_bindings': []}],
        'c2': [{'display_name': 'eng', 'filter': '"eng" in groups', 'description': 'Engineers', 'role_bindings': []},
               {'display_name': 'ops', 'filter': '"ops" in groups', 'description': 'Different', 'role_bindings': []}],
        'c3': [{'display_name': 'eng', 'filter': "'eng' in groups", 'description': 'Engineers', 'role_bindings': []}],
        'a1': [{'external_group_name': 'eng', 'role_assignments': [
            {'org_id': ORGS['a1'], 'role': 'ORG_MEMBER'}, {'project_id': PROJECTS['a1']['payments'], 'role': 'GROUP_OWNER'}]}],
        'a2': [
            {'external_group_name': 'eng', 'role_assignments': [
                {'org_id': ORGS['a2'], 'role': 'ORG_MEMBER'}, {'project_id': PROJECTS['a2']['payments'], 'role': 'GROUP_OWNER'}]},
            {'external_group_name': 'ops', 'role_assignments': [{'org_id': ORGS['a2'], 'role': 'ORG_MEMBER'}]}],
        'r1': [{'display_name': 'ops', 'domain': 'corp', 'mapped_roles': ['LCM Admin'], 'is_disabled': False}],
    }
    claims = {'c1': 'groups', 'c2': 'groups', 'c3': 'claims.groups'}
    result = export(entries(live, claims), INVENTORY)
    # eng's filter on c3 is not of the default form, ops's descriptions differ: both differ between the Confluent hosts.
    assert result['sso_groups'] == {}
    assert result['host_vars']['c1']['confluent_group_mappings'] == mapping_export(live['c1'], 'confluent')

    # Without c3's odd filter and ops's other description, both become entries.
    live['c3'][0]['filter'] = '"eng" in groups'
    live['c2'][1]['description'] = ''
    result = export(entries(live, claims), INVENTORY)
    assert result['sso_groups'] == {
        'eng': {'description': 'Engineers', 'confluent': {'role_bindings': []},
                'atlas': {'role_assignments': [{'role': 'ORG_MEMBER'}, {'project_name': 'payments', 'role': 'GROUP_OWNER'}]}},
        'ops': {'hosts': ['a2', 'c1', 'c2', 'r1'], 'confluent': {'role_bindings': []},
                'atlas': {'role_assignments': [{'role': 'ORG_MEMBER'}]},
                'aria': {'domain': 'corp', 'is_disabled': False, 'mapped_roles': ['LCM Admin']}},
    }
    assert result['host_vars'] == {
        'c1': {'confluent_group_mappings': mapping_export(live['c1'][2:], 'confluent'),
               'confluent_groups_claim': 'claims.groups'},
        'c2': {'confluent_group_mappings': []},
        'c3': {'confluent_group_mappings': [], 'confluent_groups_claim': 'groups'},
        'a1': {'atlas_role_mappings': []}, 'a2': {'atlas_role_mappings': []}, 'r1': {'aria_group_mappings': []},
    }
    items = expand_all(result['sso_groups'], result['host_vars'], claims)
    for host in ('c1', 'a2', 'r1'):
        provider = PROVIDER_OF[host]
        assert same_mappings(mapping_export(applied(host, items[host]), provider), mapping_export(live[host], provider))


def test_a_group_whose_identity_is_taken_twice_on_a_host_stays_in_the_hosts_variables():
    live = {
        # A second mapping named eng, whose filter tests other groups, on the same organization.
        'c1': [{'display_name': 'eng', 'filter': '"eng" in groups', 'description': ''},
               {'display_name': 'eng', 'filter': '"eng" in groups || "ops" in groups', 'description': ''}],
        # Two Aria groups named ops, in two domains.
        'r1': [{'display_name': 'ops', 'domain': 'corp'}, {'display_name': 'ops', 'domain': 'lab'}],
    }
    result = export(entries(live, {'c1': 'groups'}), INVENTORY)
    assert result['sso_groups'] == {}
    assert len(result['host_vars']['c1']['confluent_group_mappings']) == 2
    assert len(result['host_vars']['r1']['aria_group_mappings']) == 2


def test_an_atlas_role_in_another_organization_and_an_unnamed_project_keep_their_ids():
    other_org = 'aaaaaaaaaaaaaaaaaaaaaaaa'
    unnamed = 'bbbbbbbbbbbbbbbbbbbbbbbb'
    live = {'a1': [{'external_group_name': 'eng', 'role_assignments': [
        {'org_id': other_org, 'role': 'ORG_MEMBER'}, {'project_id': unnamed, 'role': 'GROUP_READ_ONLY'}]}]}
    result = export(entries(live, {}), INVENTORY)
    assert result['sso_groups']['eng'] == {'hosts': ['a1'], 'atlas': {'role_assignments': [
        {'org_id': other_org, 'role': 'ORG_MEMBER'}, {'project_id': unnamed, 'role': 'GROUP_READ_ONLY'}]}}


def test_the_claims_path_most_filters_use_wins_and_the_hosts_own_on_a_tie():
    one = {'display_name': 'a', 'filter': '"a" in claims.groups'}
    two = {'display_name': 'b', 'filter': '"b" in groups'}
    odd = {'display_name': 'c', 'filter': '"c"  in groups'}  # not written as the expansion writes it
    assert choose_claims([one, two], 'groups') == 'groups'
    assert choose_claims([one, two], 'claims.groups') == 'claims.groups'
    assert choose_claims([one, dict(one, display_name='d', filter='"d" in claims.groups'), two], 'groups') == 'claims.groups'
    assert choose_claims([odd], 'x.y') == 'x.y'
    assert choose_claims([], 'groups') == 'groups'


# --- properties -------------------------------------------------------------------------------

def _subset(draw, hosts):
    return sorted(draw(st.lists(st.sampled_from(hosts), min_size=1, unique=True)))


@st.composite
def catalogues(draw):
    """A catalogue in the form the export writes (no display name or default filter given, lists sorted
    as the modules and the export sort them), the Confluent hosts' claims paths, and other mappings
    of each Confluent host that no group declares."""
    claims = dict((host, draw(st.sampled_from(['groups', 'claims.groups']))) for host in INVENTORY['confluent'])
    catalogue = {}
    for name in draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=6)):
        platforms = draw(st.lists(st.sampled_from(sorted(INVENTORY)), min_size=1, unique=True))
        entry = {}
        present = dict((p, _subset(draw, INVENTORY[p]) if draw(st.booleans()) else INVENTORY[p]) for p in platforms)
        if 'confluent' in platforms:
            if draw(st.booleans()):
                entry['description'] = draw(st.sampled_from(['On-call', 'Platform "core"']))
        if any(present[p] != INVENTORY[p] for p in platforms):
            entry['hosts'] = sorted(h for hosts in present.values() for h in hosts)
        if 'confluent' in platforms:
            value = {'role_bindings': sort_bindings(
                {'role_name': r, 'crn_pattern': c} for r, c in draw(st.lists(
                    st.tuples(st.sampled_from(['OrganizationAdmin', 'EnvironmentAdmin']), st.sampled_from(CRNS)))))}
            if draw(st.booleans()):
                value['filter'] = '(%s in groups)' % _groups.cel_string(name)  # not the default form: kept
            entry['confluent'] = value
        if 'atlas' in platforms:
            assignments = [{'role': r} for r in sorted(draw(st.lists(
                st.sampled_from(['ORG_OWNER', 'ORG_MEMBER']), min_size=1, unique=True)))]
            assignments += [{'project_name': p, 'role': r} for p, r in sorted(draw(st.lists(st.tuples(
                st.sampled_from(['payments', 'search']), st.sampled_from(['GROUP_OWNER', 'GROUP_READ_ONLY'])), unique=True)))]
            entry['atlas'] = {'role_assignments': assignments}
        if 'aria' in platforms:
            value = {'domain': draw(st.sampled_from(['corp.example', 'lab'])),
                     'mapped_roles': sorted(draw(st.lists(st.sampled_from(['LCM Admin', 'LCM Cloud Admin']), unique=True)))}
            if draw(st.booleans()):
                value['is_disabled'] = draw(st.booleans())
            entry['aria'] = value
        catalogue[name] = entry
    # Mappings no group declares: their filters test several groups, or another group than their name.
    others = dict((host, [{'display_name': 'other-%d' % i, 'filter': '"x" in groups || "y" in %s' % claims[host],
                           'description': ''} for i in range(draw(st.integers(0, 2)))] +
                   ([{'display_name': 'named', 'filter': '"someone" in groups', 'description': 'By hand'}]
                    if draw(st.booleans()) else []))
                  for host in INVENTORY['confluent'])
    return catalogue, claims, others


@SETTINGS
@given(catalogues())
def test_the_export_of_an_applied_catalogue_is_that_catalogue(drawn):
    catalogue, claims, others = drawn
    # A valid catalogue: no identity twice on a host (eng and Eng are one Aria group in one domain).
    assume(all(not _groups.problems(catalogue, provider, host, INVENTORY, others.get(host), claims.get(host, 'groups'))
               for host, provider in PROVIDER_OF.items()))
    live = {}
    for host, provider in PROVIDER_OF.items():
        items = others.get(host, []) + _groups.expand(catalogue, provider, host, INVENTORY[provider], claims.get(host, 'groups'))[0]
        live[host] = applied(host, items)
    result = export(entries(live, claims), INVENTORY)
    assert result['sso_groups'] == catalogue
    for host, provider in PROVIDER_OF.items():
        expected = {_groups.MODULES[provider].role_variable: mapping_export(applied(host, others.get(host, [])), provider)}
        if provider == 'confluent' and claims[host] != 'groups' and len(live[host]) > len(others[host]):
            expected['confluent_groups_claim'] = claims[host]
        assert result['host_vars'][host] == expected


@st.composite
def live_states(draw):
    """Any live state of the inventory's hosts: groups the same or not between hosts, on some hosts only,
    Confluent filters of every form (the default one with any claims path, others, several groups)."""
    claims = dict((host, draw(st.sampled_from(['groups', 'claims.groups']))) for host in INVENTORY['confluent'])
    live = {}
    for host, provider in PROVIDER_OF.items():
        items = []
        names = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=5))
        for name in names:
            if provider == 'confluent':
                literal = _groups.cel_string(name)
                items.append({'display_name': name, 'description': draw(st.sampled_from(['', 'On-call'])),
                              'filter': draw(st.sampled_from([
                                  '%s in groups' % literal, '%s in claims.groups' % literal, '(%s in groups)' % literal,
                                  '%s in groups || "other" in groups' % literal, '"other" in groups'])),
                              'role_bindings': [{'role_name': 'OrganizationAdmin', 'crn_pattern': c}
                                                for c in draw(st.lists(st.sampled_from(CRNS), unique=True))]})
            elif provider == 'atlas':
                items.append({'external_group_name': name, 'role_assignments': [
                    {'role': draw(st.sampled_from(['ORG_OWNER', 'ORG_MEMBER']))}] + [
                    {'role': 'GROUP_OWNER', 'project_name': p} for p in draw(st.lists(
                        st.sampled_from(['payments', 'search']), unique=True))]})
            else:
                for domain in draw(st.lists(st.sampled_from(['corp', 'lab']), min_size=1, unique=True)):
                    items.append({'display_name': name, 'domain': domain,
                                  'mapped_roles': draw(st.lists(st.sampled_from(['LCM Admin', 'LCM Cloud Admin']),
                                                                unique=True))})
        live[host] = applied(host, items)
    return live, claims


@SETTINGS
@given(live_states())
def test_expanding_the_export_next_to_the_hosts_variables_gives_back_the_live_state(drawn):
    live, claims = drawn
    result = export(entries(copy.deepcopy(live), claims), INVENTORY)
    items = expand_all(result['sso_groups'], result['host_vars'], claims)
    for host, provider in PROVIDER_OF.items():
        assert same_mappings(mapping_export(applied(host, items[host]), provider), mapping_export(live[host], provider))
