# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning and applying, on an in-memory API."""

from __future__ import annotations

import hashlib
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.sso.mappings.plugins.module_utils import _adapter, _reconcile
from ansible_collections.sso.mappings.plugins.module_utils._errors import ApiError, InputError


class MemoryApi(_adapter.MappingApi):
    """Mappings ``{id, name, value}`` identified by name; writes go to a dict."""

    provider = 'Memory'

    def __init__(self, existing=(), reject=()):
        super().__init__(None)
        self.ids = itertools.count(1)
        self.store = {}
        for item in existing:
            self._store(dict(item))
        self.reject = set(reject)
        self.writes = []

    def _store(self, item):
        item.setdefault('id', 'm%d' % next(self.ids))
        self.store[item['id']] = item
        return dict(item)

    def validate(self, item, where):
        return dict(item)

    def key(self, item):
        return item.get('name') or item.get('id')

    def identity(self, desired):
        return ('id', desired['id']) if desired.get('id') else ('name', desired['name'])

    def identities(self, current):
        return [('id', current['id']), ('name', current['name'])]

    def list_current(self, desired=None, purge=False):
        return [dict(v) for v in self.store.values()]

    def compare(self, desired, current):
        return dict((k, v) for k, v in desired.items() if k in ('name', 'value') and current.get(k) != v)

    def predict(self, desired, current=None):
        after = dict(current or {})
        after.update((k, v) for k, v in desired.items() if k in ('name', 'value'))
        return after

    def _maybe_reject(self, name):
        if name in self.reject:
            raise ApiError(self.provider, 'write %s' % name, status=422, detail='rejected')

    def create(self, desired):
        self._maybe_reject(desired['name'])
        self.writes.append(('create', desired['name']))
        return self._store(self.predict(desired))

    def update(self, current, desired, changed):
        self._maybe_reject(desired.get('name'))
        self.writes.append(('update', current['id']))
        self.store[current['id']].update(changed)
        return dict(self.store[current['id']])

    def delete(self, current):
        self.writes.append(('delete', current['id']))
        del self.store[current['id']]


def converge(api, desired, purge=False, check_mode=False, workers=1):
    done = _reconcile.converge(api, desired, purge=purge, check_mode=check_mode, parallelism=workers)
    return done.result, done.failures


def test_create_update_delete_unchanged_and_summary():
    api = MemoryApi([{'name': 'a', 'value': 1}, {'name': 'b', 'value': 2}, {'name': 'c', 'value': 3}])
    desired = [{'name': 'a', 'value': 1}, {'name': 'b', 'value': 20}, {'name': 'c', 'state': 'absent'},
               {'name': 'd', 'value': 4}]
    result, failures = converge(api, desired)
    assert not failures
    assert result['summary'] == {'created': 1, 'updated': 1, 'deleted': 1, 'unchanged': 1}
    assert [(c['action'], c['key']) for c in result['changes']] == [('update', 'b'), ('delete', 'c'), ('create', 'd')]
    assert [m['name'] for m in result['mappings']] == ['a', 'b', 'd']
    assert result['diff']['before'] == {'b': {'id': 'm2', 'name': 'b', 'value': 2}, 'c': {'id': 'm3', 'name': 'c', 'value': 3}}
    # changes and diff show the plan, the same as in check mode; mappings shows what the API answered.
    assert result['diff']['after']['d'] == {'name': 'd', 'value': 4}
    assert {'id': 'm4', 'name': 'd', 'value': 4} in result['mappings']
    again = converge(api, desired)[0]
    assert not again['changed'] and again['changes'] == []


def test_deletes_go_first_then_updates_then_creates():
    api = MemoryApi([{'name': 'old', 'value': 1}, {'name': 'keep', 'value': 1}])
    converge(api, [{'name': 'new', 'value': 1}, {'name': 'keep', 'value': 2}], purge=True)
    assert [w[0] for w in api.writes] == ['delete', 'update', 'create']


def test_check_mode_plans_the_same_and_writes_nothing():
    desired = [{'name': 'a', 'value': 9}, {'name': 'z', 'value': 1}]
    api = MemoryApi([{'name': 'a', 'value': 1}, {'name': 'x', 'value': 1}])
    checked = converge(api, desired, purge=True, check_mode=True)[0]
    assert api.writes == []
    real = converge(api, desired, purge=True)[0]
    strip = [dict(c, after={k: v for k, v in c['after'].items() if k != 'id'}) for c in checked['changes']]
    assert [c['action'] for c in checked['changes']] == [c['action'] for c in real['changes']]
    assert strip == [dict(c, after={k: v for k, v in c['after'].items() if k != 'id'}) for c in real['changes']]
    assert checked['summary'] == real['summary']


def test_ambiguous_existing_name_fails_listing_ids_before_any_write():
    api = MemoryApi([{'name': 'dup', 'value': 1}, {'name': 'dup', 'value': 2}])
    with pytest.raises(InputError, match=r'm1, m2'):
        converge(api, [{'name': 'dup', 'value': 3}])
    assert api.writes == []


def test_duplicate_desired_items_are_refused():
    api = MemoryApi()
    with pytest.raises(InputError, match=r'mappings\[0\] and mappings\[2\]'):
        _reconcile.find_duplicates(api, [{'name': 'a'}, {'name': 'b'}, {'name': 'a'}])


def test_item_failure_lets_the_others_through():
    api = MemoryApi()
    result, failures = converge(api, [{'name': 'ok1', 'value': 1}, {'name': 'bad', 'value': 1},
                                      {'name': 'ok2', 'value': 1}], workers=3)
    assert not failures
    api = MemoryApi(reject={'bad'})
    result, failures = converge(api, [{'name': 'ok1', 'value': 1}, {'name': 'bad', 'value': 1},
                                      {'name': 'ok2', 'value': 1}], workers=3)
    assert [c.key for c, _e in failures] == ['bad']
    assert sorted(c['key'] for c in result['changes']) == ['ok1', 'ok2']
    assert result['summary']['created'] == 2


def test_a_fatal_failure_stops_further_writes():
    class Down(MemoryApi):
        def create(self, desired):
            raise ApiError(self.provider, 'create', status=503, attempts=6)

    api = Down()
    _result, failures = converge(api, [{'name': 'a', 'value': 1}, {'name': 'b', 'value': 1}])
    assert len(failures) == 1


def test_a_5xx_the_adapter_knows_to_concern_its_item_lets_the_others_go_on():
    class RefusesOne(MemoryApi):
        def create(self, desired):
            if desired['name'] == 'a':
                error = ApiError(self.provider, 'create', status=500, code='UNEXPECTED_ERROR')
                error.about_item = True
                raise error
            return super().create(desired)

    _result, failures = converge(RefusesOne(), [{'name': 'a', 'value': 1}, {'name': 'b', 'value': 1}])
    assert [c.key for c, _e in failures] == ['a']
    assert _reconcile.is_item_failure(failures[0][1])
    assert not _reconcile.is_item_failure(ApiError('P', 'create', status=500))
    assert _reconcile.is_item_failure(ApiError('P', 'create', status=402, code='quota_exceeded'))


def test_without_purge_nothing_unnamed_is_deleted():
    api = MemoryApi([{'name': 'x', 'value': 1}])
    result = converge(api, [{'name': 'a', 'value': 1}])[0]
    assert 'x' in [m['name'] for m in result['mappings']]
    assert ('delete', 'm1') not in api.writes


# Properties of the planning step.
NAMES = st.sampled_from(['a', 'b', 'c', 'd', 'e'])
ITEM = st.fixed_dictionaries({'name': NAMES, 'value': st.integers(0, 3)},
                             optional={'state': st.sampled_from(['present', 'absent'])})


def unique(items):
    seen, out = set(), []
    for item in items:
        if item['name'] not in seen:
            seen.add(item['name'])
            out.append(item)
    return out


@settings(max_examples=200, deadline=None)
@given(existing=st.lists(ITEM, max_size=5).map(unique), desired=st.lists(ITEM, max_size=5).map(unique),
       purge=st.booleans(), data=st.data())
def test_plan_properties(existing, desired, purge, data):
    existing = [{'name': e['name'], 'value': e['value']} for e in existing]
    api = MemoryApi(existing)
    current = api.list_current()
    plan = _reconcile.plan(api, desired, current, purge=purge)
    # Order-independent.
    shuffled = data.draw(st.permutations(desired))
    replan = _reconcile.plan(api, shuffled, current, purge=purge)
    assert sorted((c.action, c.key) for c in plan) == sorted((c.action, c.key) for c in replan)
    # Never deletes without purge or state: absent.
    absent = {d['name'] for d in desired if d.get('state') == 'absent'}
    for change in plan:
        if change.action == 'delete':
            assert purge or change.key in absent
    # Applying the plan then planning again gives no changes.
    _reconcile.apply(api, plan)
    after = _reconcile.plan(api, desired, api.list_current(), purge=purge)
    assert all(c.action == 'unchanged' for c in after)


# Safe apply: the plan fingerprint and the checks of the plan.
PINNED_CHANGES = [
    {'action': 'delete', 'key': 'stale', 'before': {'id': 'group-9', 'display_name': 'stale', 'filter': 'true'}, 'after': {}},
    {'action': 'create', 'key': '\u00e9ng', 'before': {},
     'after': {'display_name': '\u00e9ng', 'filter': '"\u00e9ng" in groups', 'description': ''}},
    {'action': 'update', 'key': 'ops', 'before': {'display_name': 'ops', 'description': 'Old'},
     'after': {'display_name': 'ops', 'description': 'New'}},
]
PINNED_TARGET = {'base_url': 'https://api.confluent.cloud',
                 'organization': 'crn://confluent.cloud/organization=1111aaaa-11aa-11aa-11aa-111111aaaaaa'}
# The canonical text, written out: sorted keys, no white space, ASCII only, changes by key, then action.
PINNED_TEXT = (
    '{"changes":['
    '{"action":"update","after":{"description":"New","display_name":"ops"},'
    '"before":{"description":"Old","display_name":"ops"},"key":"ops"},'
    '{"action":"delete","after":{},"before":{"display_name":"stale","filter":"true","id":"group-9"},"key":"stale"},'
    '{"action":"create","after":{"description":"","display_name":"\\u00e9ng","filter":"\\"\\u00e9ng\\" in groups"},'
    '"before":{},"key":"\\u00e9ng"}],'
    '"provider":"confluent",'
    '"target":{"base_url":"https://api.confluent.cloud",'
    '"organization":"crn://confluent.cloud/organization=1111aaaa-11aa-11aa-11aa-111111aaaaaa"}}'
)


def test_the_plan_fingerprint_is_pinned():
    """The documented canonical form, and its digest: users recompute it and audits publish it, so a
    change to either must be a conscious one (a changelog entry: every approved plan is void)."""
    assert hashlib.sha256(PINNED_TEXT.encode('ascii')).hexdigest() == (
        '61ade4502f242fa9195ae9fe49f8cc9acb210f36b07f5873c5766839e7363b19')
    assert _reconcile.plan_fingerprint('confluent', PINNED_TARGET, PINNED_CHANGES) == (
        '61ade4502f242fa9195ae9fe49f8cc9acb210f36b07f5873c5766839e7363b19')
    # In any order, and with extra fields in a change, the same plan.
    shuffled = [dict(c, extra=1) for c in reversed(PINNED_CHANGES)]
    assert _reconcile.plan_fingerprint('confluent', PINNED_TARGET, shuffled) == (
        '61ade4502f242fa9195ae9fe49f8cc9acb210f36b07f5873c5766839e7363b19')
    assert _reconcile.plan_fingerprint('confluent', PINNED_TARGET, []) == (
        'e13fe7ec08bbf7217ab12c1cc3fb825d34d6265fb45dced054882f1faf9b7b9b')
    # Every part counts: the provider, the target, each change's action, key, before and after.
    variants = [('atlas', PINNED_TARGET, PINNED_CHANGES),
                ('confluent', dict(PINNED_TARGET, organization=None), PINNED_CHANGES),
                ('confluent', PINNED_TARGET, PINNED_CHANGES[1:])]
    for field, value in (('action', 'update'), ('key', 'other'), ('before', {}), ('after', {'display_name': 'x'})):
        variants.append(('confluent', PINNED_TARGET, [dict(PINNED_CHANGES[0], **{field: value})] + PINNED_CHANGES[1:]))
    digests = set(_reconcile.plan_fingerprint(*variant) for variant in variants)
    assert len(digests) == len(variants)
    assert '61ade4502f242fa9195ae9fe49f8cc9acb210f36b07f5873c5766839e7363b19' not in digests


def test_the_returned_changes_are_in_the_fingerprints_order():
    api = MemoryApi([{'name': 'dup', 'value': 2}, {'name': 'dup', 'value': 1}, {'name': 'a', 'value': 1}])
    result = converge(api, [{'name': 'b', 'value': 1}], purge=True, check_mode=True)[0]
    assert result['changes'] == sorted(result['changes'], key=_reconcile.change_order)
    assert [c['key'] for c in result['changes']] == ['a', 'b', 'dup', 'dup']
    assert [c['before']['id'] for c in result['changes'][2:]] == ['m1', 'm2']  # one name twice: by content
    assert result['plan_fingerprint'] == _reconcile.plan_fingerprint('memory', {'base_url': None}, result['changes'])


def test_the_fingerprint_is_the_same_in_check_mode_and_in_the_real_run():
    desired = [{'name': 'a', 'value': 9}, {'name': 'z', 'value': 1}]
    api = MemoryApi([{'name': 'a', 'value': 1}, {'name': 'x', 'value': 1}])
    checked = converge(api, desired, purge=True, check_mode=True)[0]
    real = converge(api, desired, purge=True)[0]
    assert checked['plan_fingerprint'] == real['plan_fingerprint']
    assert real['changes'] and api.writes
    again = converge(api, desired, purge=True)[0]
    assert again['changes'] == [] and again['plan_fingerprint'] != real['plan_fingerprint']


def refused(api, desired, message, **options):
    with pytest.raises(_reconcile.PlanRefused, match=message) as caught:
        _reconcile.converge(api, desired, **options)
    assert api.writes == []
    return caught.value


@pytest.mark.parametrize('check_mode', [True, False])
def test_max_deletions_refuses_a_bigger_plan_before_any_write(check_mode):
    existing = [{'name': 'n%02d' % i, 'value': 1} for i in range(12)]
    api = MemoryApi(existing)
    error = refused(api, [{'name': 'n00', 'value': 1}], r'deletes 11 mappings, more than max_deletions \(10\): '
                    r'n01, n02, .*, n10 and 1 more\. Nothing was changed', purge=True, max_deletions=10,
                    check_mode=check_mode)
    assert 'n11' not in str(error) and len(error.plan_fingerprint) == 64
    # state: absent counts too.
    refused(api, [{'name': 'n00', 'state': 'absent'}], r'deletes 1 mapping, more than max_deletions \(0\): n00',
            max_deletions=0, check_mode=check_mode)
    done = _reconcile.converge(api, [{'name': 'n00', 'value': 1}], purge=True, max_deletions=11, check_mode=check_mode)
    assert done.result['summary']['deleted'] == 11
    assert len(api.writes) == (0 if check_mode else 11)


@pytest.mark.parametrize('check_mode', [True, False])
def test_an_empty_purge_is_refused_unless_allowed(check_mode):
    api = MemoryApi([{'name': 'a', 'value': 1}, {'name': 'b', 'value': 1}])
    refused(api, [], r'purge with an empty mappings list would delete every mapping there is, 2 mappings \(a, b\)\. '
            r'Nothing was changed.*allow_empty_purge', purge=True, check_mode=check_mode)
    # Allowed, but still within max_deletions.
    refused(api, [], r'deletes 2 mappings, more than max_deletions \(1\)', purge=True, allow_empty_purge=True,
            max_deletions=1, check_mode=check_mode)
    done = _reconcile.converge(api, [], purge=True, allow_empty_purge=True, check_mode=check_mode)
    assert done.result['summary']['deleted'] == 2
    # An empty purge of an empty target deletes nothing: nothing to refuse.
    assert _reconcile.converge(MemoryApi(), [], purge=True).result['changed'] is False
    # Without purge, an empty list changes nothing.
    assert _reconcile.converge(MemoryApi([{'name': 'a', 'value': 1}]), []).result['changed'] is False


@pytest.mark.parametrize('check_mode', [True, False])
def test_only_the_approved_plan_is_applied(check_mode):
    desired = [{'name': 'a', 'value': 2}, {'name': 'new', 'value': 1}]
    api = MemoryApi([{'name': 'a', 'value': 1}, {'name': 'old', 'value': 1}])
    approved = converge(api, desired, purge=True, check_mode=True)[0]['plan_fingerprint']
    # The state changes behind the plan's back: another plan, refused, naming both fingerprints and its changes.
    api.store['m2']['value'] = 5
    api.store['m9'] = {'id': 'm9', 'name': 'intruder', 'value': 1}
    error = refused(api, desired, 'the plan is not the approved one', purge=True, approved=approved.upper(),
                    check_mode=check_mode)
    assert approved in str(error) and error.plan_fingerprint in str(error) and error.plan_fingerprint != approved
    assert 'Planned changes: update a, delete intruder, create new, delete old.' in str(error)
    del api.store['m9']
    refused(api, desired, 'the plan is not the approved one', purge=True, approved=approved, check_mode=check_mode)
    api.store['m2']['value'] = 1  # back to the state the plan was made on
    done = _reconcile.converge(api, desired, purge=True, approved=approved, check_mode=check_mode)
    assert done.result['plan_fingerprint'] == approved
    assert len(api.writes) == (0 if check_mode else 3)


def test_the_safe_apply_options_are_checked_before_any_request():
    class NoRequests(MemoryApi):
        def list_current(self, desired=None, purge=False):
            raise AssertionError('no request may be sent')

    with pytest.raises(InputError, match=r'Memory: max_deletions must be 0 or more, got -1'):
        _reconcile.converge(NoRequests(), [], max_deletions=-1)
    for bad in ('', 'abc', '0' * 63, 'g' * 64, '0' * 65):
        with pytest.raises(InputError, match=r'Memory: plan_fingerprint must be 64 hexadecimal digits'):
            _reconcile.converge(NoRequests(), [], approved=bad)
