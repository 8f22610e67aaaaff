# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Properties of the planning step with the real adapters' validation, identity and comparison.

Each provider's adapter runs offline (no module, no client) on top of an in-memory store that
answers writes the way the API would: a create stores the prediction, an update replaces the
changed fields. Hypothesis generates existing sets and desired items in the module's input shape
(names in other cases, lists in any order and with repeats, omitted optional fields), and checks:

- the plan does not depend on the order of the desired items or of the current set;
- applying the plan and planning again gives no change, and the store then holds the desired set;
- nothing is deleted without purge or ``state: absent``;
- check mode reports the same changes and summary as the real run;
- what an ``_info`` module returns, fed back as a desired item, changes nothing.
"""

from __future__ import annotations

import copy
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.sso.mappings.plugins.module_utils import _aria, _atlas, _confluent, _reconcile
from ansible_collections.sso.mappings.plugins.module_utils._errors import InputError

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ORG = '5e2211c17a3e5a48f5497de3'
PROJECTS = ('6a1b2c3d4e5f60718293a4b5', '6a1b2c3d4e5f60718293a4b6', '6A1B2C3D4E5F60718293A4B7')
NAMES = ('eng', 'ops', 'sec', 'data', 'qa', 'Eng')


class Memory:
    """Mixin: the adapter's list and writes go to a dict instead of an API."""

    id_field = 'id'

    def remember(self, existing):
        self.counter = itertools.count(1)
        self.store = {}
        self.writes = []
        for mapping in existing:
            mapping = copy.deepcopy(mapping)
            mapping.setdefault(self.id_field, 'seed-%d' % next(self.counter))
            self.store[mapping[self.id_field]] = mapping

    order = None  # a permutation of the store, to read the current set in another order

    def list_current(self, desired=None, purge=False):  # pylint: disable=unused-argument
        mappings = [copy.deepcopy(m) for m in self.store.values()]
        return [mappings[i] for i in self.order] if self.order is not None else mappings

    def stored(self, mapping):
        return dict((k, v) for k, v in mapping.items() if k != 'state')

    def create(self, desired):
        self.writes.append(('create', self.key(desired)))
        created = self.stored(self.predict(desired))
        created[self.id_field] = 'new-%d' % next(self.counter)
        self.store[created[self.id_field]] = created
        return copy.deepcopy(created)

    def update(self, current, desired, changed):  # pylint: disable=unused-argument
        self.writes.append(('update', current[self.id_field]))
        updated = self.stored(self.predict(desired, current))
        self.store[current[self.id_field]] = updated
        return copy.deepcopy(updated)

    def delete(self, current):
        self.writes.append(('delete', current[self.id_field]))
        del self.store[current[self.id_field]]


class ConfluentMemory(Memory, _confluent.ConfluentGroupMappings):
    def __init__(self, existing=()):
        _confluent.ConfluentGroupMappings.__init__(self, None)
        self.remember(existing)

    def stored(self, mapping):
        stored = super().stored(mapping)
        stored.setdefault('description', '')  # a create sends description '' when none is given
        return stored

    def read_details(self, mappings):
        for mapping in mappings:  # the generated sets hold no role bindings
            mapping['role_bindings'] = []


class AtlasMemory(Memory, _atlas.AtlasRoleMappings):
    def __init__(self, existing=()):
        _atlas.AtlasRoleMappings.__init__(self, None, {'org_id': ORG, 'api_version': '2023-01-01'})
        self.remember(existing)


ARIA_ROLES = [{'roleName': name, 'vmid': 'vmid-%d' % number}
              for number, name in enumerate(('LCM Admin', 'Certificate Administrator', 'Content Developer', 'Certificate Administrator'))]


class AriaMemory(Memory, _aria.AriaGroupMappings):
    id_field = 'vmid'

    def __init__(self, existing=()):
        _aria.AriaGroupMappings.__init__(self, None)
        self._roles = copy.deepcopy(ARIA_ROLES)
        self.remember(existing)


# -- generated input, in the modules' shape ---------------------------------------------

def confluent_item():
    return st.fixed_dictionaries(
        {'display_name': st.sampled_from(NAMES), 'filter': st.sampled_from(['"a" in claims.groups', 'true'])},
        optional={'description': st.sampled_from(['', 'Team', 'Other team']),
                  'state': st.sampled_from(['present', 'absent'])})


def confluent_current():
    return st.fixed_dictionaries({
        'display_name': st.sampled_from(NAMES), 'filter': st.sampled_from(['"a" in claims.groups', 'true']),
        'description': st.sampled_from(['', 'Team']), 'principal': st.just('User:x'), 'status': st.just('ENABLED')})


def atlas_element():
    project = st.sampled_from(PROJECTS)
    return st.one_of(
        st.fixed_dictionaries({'role': st.sampled_from(['ORG_MEMBER', 'ORG_READ_ONLY', 'ORG_OWNER'])},
                              optional={'org_id': st.sampled_from([ORG, ORG.upper()])}),
        st.fixed_dictionaries({'role': st.sampled_from(['GROUP_READ_ONLY', 'GROUP_OWNER']), 'project_id': project}),
        st.fixed_dictionaries({'roles': st.lists(st.sampled_from(['GROUP_READ_ONLY', 'GROUP_DATA_ACCESS_ADMIN']),
                                                 min_size=1, max_size=3), 'project_id': project}),
    )


def atlas_item():
    org_role = st.fixed_dictionaries({'role': st.sampled_from(['ORG_MEMBER', 'ORG_READ_ONLY'])})
    assignments = st.tuples(org_role, st.lists(atlas_element(), max_size=4)).flatmap(
        lambda parts: st.permutations([parts[0]] + parts[1]))
    return st.fixed_dictionaries({'external_group_name': st.sampled_from(NAMES), 'role_assignments': assignments},
                                 optional={'state': st.sampled_from(['present', 'absent'])})


def atlas_current():
    return atlas_item().map(lambda item: AtlasMemory().validate(dict(item, state='present'), None)).map(
        lambda desired: dict((k, v) for k, v in desired.items() if k != 'state'))


def aria_role():
    return st.sampled_from(ARIA_ROLES).flatmap(lambda role: st.sampled_from([role['roleName'], role['vmid']]))


def cased(text):
    return st.sampled_from([text, text.upper(), text.title()])


def aria_item():
    return st.fixed_dictionaries(
        {'display_name': st.sampled_from(NAMES[:5]).flatmap(cased), 'domain': cased('example.com')},
        optional={'mapped_roles': st.lists(aria_role(), max_size=4),
                  'group_type': st.sampled_from(['ALL_USERS', 'SELECTED']),
                  'is_disabled': st.booleans(),
                  'group_metadata': st.fixed_dictionaries({}, optional={
                      'distinguished_name': st.sampled_from(['CN=a', 'CN=b']),
                      'additional_meta': st.lists(st.sampled_from(['x', 'y', 'z']), max_size=3)}),
                  'state': st.sampled_from(['present', 'absent'])})


def aria_current():
    return st.fixed_dictionaries({
        'display_name': st.sampled_from(NAMES[:5]), 'domain': st.just('example.com'),
        'mapped_roles': st.lists(st.sampled_from([r['roleName'] for r in ARIA_ROLES]), unique=True).map(sorted),
        'is_disabled': st.booleans()},
        optional={'group_type': st.sampled_from(['ALL_USERS', 'SELECTED']),
                  'group_metadata': st.fixed_dictionaries({'distinguished_name': st.sampled_from(['CN=a', 'CN=b'])})})


PROVIDERS = {
    'confluent': (ConfluentMemory, confluent_item, confluent_current),
    'atlas': (AtlasMemory, atlas_item, atlas_current),
    'aria': (AriaMemory, aria_item, aria_current),
}


def scenario(provider):
    """(adapter class, existing mappings with unique identities, desired raw items, purge)."""
    api_class, item, current = PROVIDERS[provider]

    def unique_current(mappings):
        api, seen, out = api_class(), set(), []
        for mapping in mappings:
            identity = api.identities(mapping)[-1]
            if identity not in seen:
                seen.add(identity)
                out.append(mapping)
        return out

    return st.tuples(st.just(api_class), st.lists(current(), max_size=6).map(unique_current),
                     st.lists(item(), max_size=6), st.booleans())


def summary_of(changes):
    return sorted((c.action, c.key) for c in changes)


def check_properties(api_class, existing, raw_items, purge, data):
    api = api_class(existing)
    try:
        # Check mode first: the whole module flow, no write.
        checked = _reconcile.converge(api, [dict(i) for i in raw_items], purge=purge, check_mode=True, allow_empty_purge=True)
    except InputError:
        return  # the items repeat an identity: refused before any request, as the module does
    assert api.writes == []
    desired = [c.desired for c in checked.changes if c.desired is not None]

    # Order-independent: the desired items and the current set in any order give the same plan.
    api.order = data.draw(st.permutations(range(len(api.store))))
    shuffled = data.draw(st.permutations(raw_items))
    reordered = _reconcile.converge(api, [dict(i) for i in shuffled], purge=purge, check_mode=True, allow_empty_purge=True)
    assert summary_of(reordered.changes) == summary_of(checked.changes)
    api.order = None

    # Nothing is deleted without purge or state: absent.
    absent = set(api.identity(d) for d in desired if d.get('state') == 'absent')
    for change in checked.changes:
        if change.action == 'delete':
            assert purge or any(identity in absent for identity in api.identities(change.current))

    # Check mode reports what the real run does.
    done = _reconcile.converge(api, [dict(i) for i in raw_items], purge=purge, allow_empty_purge=True,
                               approved=checked.result['plan_fingerprint'])
    assert done.failures == []
    real = done.result
    assert [(c['action'], c['key']) for c in checked.result['changes']] == [(c['action'], c['key']) for c in real['changes']]
    assert checked.result['summary'] == real['summary']
    assert checked.result['plan_fingerprint'] == real['plan_fingerprint']  # the plan reviewed is the plan applied
    assert checked.result['changed'] == real['changed'] == bool(api.writes)

    # Applying the plan, then planning again: no change, and the store holds the desired set.
    again = _reconcile.converge(api, [dict(i) for i in raw_items], purge=purge, check_mode=True, allow_empty_purge=True)
    assert [c.action for c in again.changes if c.action != 'unchanged'] == []
    stored = set(identity for m in api.store.values() for identity in api.identities(m)[-1:])
    present = set(api.identity(d) for d in desired if d.get('state', 'present') == 'present')
    assert present <= stored
    assert not stored & absent
    if purge:
        assert stored == present
    for item in desired:
        if item.get('state', 'present') == 'present':
            (holder,) = [m for m in api.store.values() if api.identity(item) in api.identities(m)]
            assert_holds(api, item, holder)


def assert_holds(api, desired, stored):
    """Every field the desired item gives is what the store holds (lists as sets, dicts as subsets)."""
    for field, value in desired.items():
        if field in ('state', 'id', 'vmid') or (isinstance(api, AriaMemory) and field in ('display_name', 'domain')):
            continue
        if isinstance(value, dict):
            assert dict(stored.get(field) or {}, **value) == stored.get(field), field
        elif isinstance(value, list):
            assert sorted(map(repr, value)) == sorted(set(map(repr, stored.get(field) or []))), field
        else:
            assert stored.get(field) == value, field


def check_info_round_trip(api_class, existing):
    """An _info result fed back unchanged as a desired item changes nothing."""
    api = api_class(existing)
    for mapping in api.list_current():
        item = dict(mapping, state='present')
        desired = api.validate(item, 'mappings[0]')
        assert api.compare(desired, mapping) == {}
        (change,) = _reconcile.plan(api, [desired], [mapping])
        assert change.action == 'unchanged'


@SETTINGS
@given(case=scenario('confluent'), data=st.data())
def test_confluent_plan_properties(case, data):
    check_properties(*case, data=data)


@SETTINGS
@given(case=scenario('atlas'), data=st.data())
def test_atlas_plan_properties(case, data):
    check_properties(*case, data=data)


@SETTINGS
@given(case=scenario('aria'), data=st.data())
def test_aria_plan_properties(case, data):
    check_properties(*case, data=data)


@SETTINGS
@given(case=st.one_of(*(scenario(p) for p in PROVIDERS)))
def test_info_output_fed_back_changes_nothing(case):
    api_class, existing, _items, _purge = case
    check_info_round_trip(api_class, existing)


@SETTINGS
@given(case=scenario('atlas'), data=st.data())
def test_atlas_role_assignments_compare_as_a_set(case, data):
    """Reordering, repeating and re-casing a mapping's role assignments is no change."""
    api_class, _existing, raw_items, _purge = case
    api = api_class()
    for item in raw_items:
        item = dict(item, state='present')
        desired = api.validate(item, None)
        elements = list(item['role_assignments'])
        noisy = data.draw(st.permutations(elements + elements[:1]))
        other = api.validate(dict(item, role_assignments=noisy), None)
        assert api.compare(other, dict(desired, id='x')) == {}


@SETTINGS
@given(case=scenario('aria'))
def test_aria_identity_ignores_case_and_keys_keep_the_spelling(case):
    api_class, _existing, raw_items, _purge = case
    api = api_class()
    for item in raw_items:
        desired = api.validate(dict(item), None)
        lower = dict(desired, display_name=desired['display_name'].lower(), domain=desired['domain'].lower())
        assert api.identity(desired) == api.identity(lower)
        assert api.key(desired) == '%s@%s' % (item['display_name'], item['domain'])
