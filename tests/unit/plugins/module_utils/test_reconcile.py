# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning and applying, on an in-memory API."""

from __future__ import annotations

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
