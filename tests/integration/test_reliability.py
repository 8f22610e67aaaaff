# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Faults, for every provider: the set module converges through rate limits, server errors, lost
answers and timeouts; fails clearly when it cannot; never duplicates, never purges from a partial
read, and never shows a secret, even at -vvvv.

Most scenarios use one workload: a set of 200 mappings with purge against a seeded state that
needs 30 creates, 30 updates and 20 deletes (140 are already right). Each scenario runs the set
module twice in one playbook (the second run must report no change) unless it expects a failure.
Figures for docs/reliability.md are recorded when SSO_RELIABILITY_RECORD is set
(scripts/reliability-report).

The slowest scenarios (429 at 30% with Retry-After: 1, and timeouts, which wait out real
seconds) are marked ``heavy`` so that a runner may keep them to one ansible-core version.
"""

from __future__ import annotations

import collections
import json

import pytest

from emulator.client import start_emulator
from support import profiles, reliability
from support.profiles import Markers

SIZE, UNCHANGED, UPDATED, STALE = 200, 140, 30, 20
CREATED = SIZE - UNCHANGED - UPDATED
WORKLOAD_SUMMARY = {'created': CREATED, 'updated': UPDATED, 'deleted': STALE, 'unchanged': UNCHANGED}
SEED = 20240611  # the emulator's seed: probabilistic faults draw the same numbers every run


def seed_workload(profile, emulator):
    """Seed the state and return the 200 desired items (see the module docstring)."""
    seeded = ([profile.api_item(n, 1) for n in range(UNCHANGED)]
              + [profile.api_item(n, 0) for n in range(UNCHANGED, UNCHANGED + UPDATED)]
              + [profile.api_item(n, 1, prefix='old') for n in range(STALE)])
    profile.seed(emulator, seeded)
    return [profile.item(n) for n in range(SIZE)]


def set_task(profile, emulator, markers, name, mappings='{{ sso_desired }}', purge=True, **options):
    return {'name': name, profile.set_module: dict(profile.connection(emulator, markers, **options),
                                                   mappings=mappings, purge=purge)}


def run(ansible, emulator, markers, tasks, desired=None, **kwargs):
    """Every fault scenario runs at -vvvv with the marker secrets delivered as extra vars.

    The result remembers where its requests start in the emulator's log (``first_seq``).
    """
    extra = dict(markers.extra_vars)
    if desired is not None:
        extra['sso_desired'] = desired
    logged = emulator.client.requests()
    first_seq = (logged[-1]['seq'] if logged else 0) + 1
    result = ansible.run(tasks, verbosity=4, extra_vars=extra, **kwargs)
    result.first_seq = first_seq
    return result


def apply_twice(ansible, profile, emulator, markers, desired, **options):
    tasks = [set_task(profile, emulator, markers, 'apply', **options),
             set_task(profile, emulator, markers, 'again', **options)]
    return run(ansible, emulator, markers, tasks, desired)


def assert_converged(profile, emulator, desired):
    assert profile.duplicates(emulator) == []
    assert sorted(profile.state(emulator)) == profile.desired_state(desired)


def finish(scenario, profile, emulator, markers, results, desired=None, noop_ids=(), cleared=(), outcome=None,
           note=None):
    """Compute and record the scenario's figures; assert that no secret leaked anywhere.

    ``desired``: the set the last run should have converged to (its tasks 'apply' and 'again'),
    or None for a scenario that is meant to fail.
    """
    figures = reliability.fault_figures(emulator, noop_ids, cleared, [r.first_seq for r in results])
    leaked = sorted(set(s for result in results for s in reliability.leaks(result, markers.secrets())))
    duplicates = profile.duplicates(emulator)
    converged = None
    if desired is not None:
        last = results[-1]
        converged = (last.rc == 0 and last.results.get('again', {}).get('changed') is False
                     and not duplicates and sorted(profile.state(emulator)) == profile.desired_state(desired))
    reliability.record(dict(figures, category='fault', provider=profile.name, scenario=scenario,
                            runs=sum(len(r.tasks) for r in results), converged=converged, outcome=outcome, note=note,
                            duplicates=len(duplicates), secrets_leaked=len(leaked)))
    assert not leaked, 'secret marker(s) leaked: %s' % leaked
    assert not duplicates, 'duplicated mappings: %s' % duplicates
    return figures


def failed_message(result, name='apply'):
    outcome = result.task(name)
    assert outcome.get('failed'), 'task %s did not fail:\n%s' % (name, result.output())
    return outcome['msg']


def sent(emulator, body_part, method='POST'):
    """Requests of ``method`` whose logged body mentions ``body_part``."""
    return [e for e in emulator.client.requests() if e['method'] == method and body_part in json.dumps(e['body'])]


# -- converging through faults -------------------------------------------------------


@pytest.mark.heavy
def test_30_percent_429_with_retry_after_converges(ansible, emulator, profile, markers):
    desired = seed_workload(profile, emulator)
    emulator.client.config(seed=SEED)
    emulator.client.fault({'type': 'status', 'status': 429, 'retry_after': 1},
                          match={'provider': profile.name}, probability=0.3)
    # Six answers of 429 in a row (0.3 ** 6 per request) are likely among a few hundred requests:
    # the default of 5 retries is not enough at this rate, 10 is.
    result = apply_twice(ansible, profile, emulator, markers, desired, retries=10)
    figures = finish('429 on 30% of requests', profile, emulator, markers, [result], desired)
    result.assert_ok()
    assert result.task('apply')['summary'] == WORKLOAD_SUMMARY
    assert result.task('again')['changed'] is False
    assert_converged(profile, emulator, desired)
    assert figures['faults_by_kind'].get('status:429', 0) >= 20
    assert figures['requests_retried'] >= 20


@pytest.mark.core_independent
def test_10_percent_500_and_503_converges(ansible, emulator, profile, markers):
    desired = seed_workload(profile, emulator)
    emulator.client.config(seed=SEED)
    emulator.client.fault({'type': 'status', 'status': 500}, match={'provider': profile.name}, probability=0.05)
    emulator.client.fault({'type': 'status', 'status': 503}, match={'provider': profile.name}, probability=0.053)
    result = apply_twice(ansible, profile, emulator, markers, desired)
    figures = finish('500 or 503 on 10% of requests', profile, emulator, markers, [result], desired)
    result.assert_ok()
    assert result.task('apply')['summary'] == WORKLOAD_SUMMARY
    assert result.task('again')['changed'] is False
    assert_converged(profile, emulator, desired)
    assert figures['faults_injected'] >= 5
    # A create answered 500 may have landed: the module looks before it sends it again, so no
    # create body reaches the API more often than it was refused.
    for entry in emulator.client.requests():
        if entry['operation'] == profile.create_operation and entry['status'] in (200, 201):
            same = [e for e in emulator.client.requests() if e['operation'] == profile.create_operation
                    and e['body'] == entry['body']]
            assert sum(1 for e in same if e['status'] in (200, 201)) == 1


@pytest.mark.core_independent
def test_5_percent_of_writes_applied_then_answer_lost(ansible, emulator, profile, markers):
    desired = seed_workload(profile, emulator)
    emulator.client.config(seed=SEED)
    emulator.client.fault({'type': 'drop_after_apply'}, match={'provider': profile.name, 'writes_only': True},
                          probability=0.05)
    result = apply_twice(ansible, profile, emulator, markers, desired)
    figures = finish('5% of writes applied, answer lost', profile, emulator, markers, [result], desired)
    result.assert_ok()
    assert result.task('apply')['summary'] == WORKLOAD_SUMMARY
    assert result.task('again')['changed'] is False
    assert_converged(profile, emulator, desired)
    assert figures['faults_by_kind'].get('drop_after_apply', 0) >= 2
    # A create whose answer was lost is looked up, never sent twice.
    creates = collections.Counter(json.dumps(e['body'], sort_keys=True) for e in emulator.client.requests()
                                  if e['operation'] == profile.create_operation)
    assert len(creates) == CREATED and set(creates.values()) == {1}


@pytest.mark.heavy
def test_timeouts_retry_reads_and_idempotent_writes_but_never_resend_a_create(ansible, emulator, profile, markers):
    desired = seed_workload(profile, emulator)
    delay = {'type': 'delay', 'seconds': 3}
    emulator.client.fault(delay, match={'provider': profile.name, 'operation': profile.list_operation}, count=1)
    emulator.client.fault(delay, match={'provider': profile.name, 'method': profile.update_method}, count=2)
    emulator.client.fault(delay, match={'provider': profile.name, 'method': 'DELETE'}, count=1)
    emulator.client.fault(delay, match={'provider': profile.name, 'operation': profile.create_operation}, count=1)
    first = run(ansible, emulator, markers, [set_task(profile, emulator, markers, 'apply', timeout=2)], desired)
    reliability.wait_for_delayed(emulator)

    # The create that timed out is not sent again: the module fails and says why.
    message = failed_message(first)
    assert 'may or may not have been applied' in message
    failures = first.task('apply')['failures']
    assert [f['action'] for f in failures] == ['create']
    delayed = [e for e in emulator.client.requests() if e['fault'] == 'delay']
    assert len(delayed) == 5
    for entry in delayed:
        # A delayed request is logged once handled, so its retry may be logged before it.
        again = [e for e in emulator.client.requests() if e['seq'] != entry['seq'] and e['method'] == entry['method']
                 and e['path'] == entry['path'] and e['body'] == entry['body']]
        if entry['operation'] == profile.create_operation:
            assert again == [], 'a create that timed out was sent again'
        else:
            assert again, 'a %s that timed out was not retried' % entry['method']

    second = apply_twice(ansible, profile, emulator, markers, desired, timeout=2)
    finish('requests delayed past the timeout', profile, emulator, markers, [first, second], desired)
    second.assert_ok()
    assert second.task('again')['changed'] is False
    assert_converged(profile, emulator, desired)


# -- failing clearly ------------------------------------------------------------------


@pytest.mark.core_independent
def test_retries_exhausted_fail_with_attempts_and_last_answer_and_list_applied_changes(
        ansible, emulator, profile, markers):
    desired = seed_workload(profile, emulator)
    # Deletes and updates go first; then every create is answered 503.
    emulator.client.fault({'type': 'status', 'status': 503},
                          match={'provider': profile.name, 'operation': profile.create_operation})
    first = run(ansible, emulator, markers, [set_task(profile, emulator, markers, 'apply', retries=2)], desired)
    message = failed_message(first)
    result = first.task('apply')
    assert 'HTTP 503' in message and 'after 3 attempts' in message
    assert result['summary'] == {'created': 0, 'updated': UPDATED, 'deleted': STALE, 'unchanged': UNCHANGED}
    assert collections.Counter(c['action'] for c in result['changes']) == {'delete': STALE, 'update': UPDATED}
    assert result['failures'] and all(f['attempts'] == 3 and f['status'] == 503 for f in result['failures'])
    # Each create that was tried went out exactly 1 + retries times, and the run stopped there.
    tried = collections.Counter(json.dumps(e['body'], sort_keys=True) for e in emulator.client.requests()
                                if e['operation'] == profile.create_operation)
    assert set(tried.values()) == {3} and len(tried) == len(result['failures'])
    applied = [i for n, i in enumerate(desired) if n < UNCHANGED + UPDATED]
    assert sorted(profile.state(emulator)) == profile.desired_state(applied)

    cleared = emulator.client.faults()
    emulator.client.clear_faults()
    second = apply_twice(ansible, profile, emulator, markers, desired)
    finish('retries exhausted (every create 503)', profile, emulator, markers, [first, second], desired,
           cleared=cleared)
    second.assert_ok()
    assert second.task('apply')['summary']['created'] == CREATED
    assert second.task('again')['changed'] is False
    assert_converged(profile, emulator, desired)


@pytest.mark.core_independent
def test_one_item_always_rejected_fails_alone_naming_it_then_a_fixed_input_converges(
        ansible, emulator, profile, markers):
    desired = seed_workload(profile, emulator)
    number = UNCHANGED + UPDATED + 5  # a create
    bad, fixed, body_part = profile.rejectable(number)
    rejected_input = list(desired)
    rejected_input[number] = bad
    action = profile.reject_fault()
    emulator.client.fault(action, match={'provider': profile.name, 'body_contains': body_part})
    first = run(ansible, emulator, markers, [set_task(profile, emulator, markers, 'apply')], rejected_input)
    message = failed_message(first)
    for part in (profile.key(bad), action['message'].rstrip('.'), action['code']):
        assert part in message, 'no %r in: %s' % (part, message)
    result = first.task('apply')
    assert [(f['key'], f['status']) for f in result['failures']] == [(profile.key(bad), action['status'])]
    assert result['summary'] == dict(WORKLOAD_SUMMARY, created=CREATED - 1)
    assert len(sent(emulator, body_part)) == 1  # a 4xx is never retried
    assert sorted(profile.state(emulator)) == profile.desired_state([i for i in desired if i is not desired[number]])

    fixed_input = list(desired)
    fixed_input[number] = fixed
    second = apply_twice(ansible, profile, emulator, markers, fixed_input)
    finish('one item always rejected', profile, emulator, markers, [first, second], fixed_input)
    second.assert_ok()
    assert second.task('apply')['summary'] == {'created': 1, 'updated': 0, 'deleted': 0, 'unchanged': SIZE - 1}
    assert second.task('again')['changed'] is False
    assert_converged(profile, emulator, fixed_input)


@pytest.mark.core_independent
def test_purge_never_deletes_after_an_incomplete_read(ansible, emulator, profile, markers):
    desired = seed_workload(profile, emulator)[:50]  # purge would delete 140 of the 190 stored
    match = {'provider': profile.name, 'operation': profile.list_operation}
    noops = []
    if profile.name == 'confluent':
        # The first page (100 of 190) is read; every request for the second page fails.
        noops.append(reliability.noop_rule(emulator, match))
    emulator.client.fault({'type': 'status', 'status': 500}, match=match)
    result = run(ansible, emulator, markers, [set_task(profile, emulator, markers, 'apply', retries=1)], desired)
    finish('purge with a list that cannot be read', profile, emulator, markers, [result], None, noops,
           outcome='failed, 0 writes')
    message = failed_message(result)
    assert 'HTTP 500' in message and 'list' in message
    assert reliability.writes(emulator.client.requests()) == [] or all(
        profile.is_token(e) for e in reliability.writes(emulator.client.requests()))
    lists = [e for e in emulator.client.requests() if profile.is_list(e)]
    if profile.name == 'confluent':
        assert lists[0]['status'] == 200 and 'page_token' not in lists[0]['query']
        assert [e['status'] for e in lists[1:]] == [500, 500]
        assert all('page_token' in e['query'] for e in lists[1:])
    assert len(profile.state(emulator)) == UNCHANGED + UPDATED + STALE


@pytest.mark.core_independent
def test_atlas_purge_never_deletes_when_a_later_page_fails(ansible, tmp_path):
    """Atlas paged (an emulator option off the spec, hence an emulator of its own, unlogged)."""
    profile = profiles.profile('atlas')
    with start_emulator(tmp_path / 'paged-emulator') as private:
        profile.prepare(private)
        markers = Markers('atlas')
        profile.setup_credentials(private, markers)
        private.client.config(atlas={'role_mappings_page_size': 100})
        desired = seed_workload(profile, private)[:50]
        match = {'provider': 'atlas', 'operation': profile.list_operation}
        noop = reliability.noop_rule(private, match)
        private.client.fault({'type': 'status', 'status': 500}, match=match)
        result = run(ansible, private, markers, [set_task(profile, private, markers, 'apply', retries=1)], desired)
        finish('purge with a later list page failing (paged list)', profile, private, markers, [result], None,
               [noop], outcome='failed, 0 writes')
        message = failed_message(result)
        assert 'HTTP 500' in message
        lists = [e for e in private.client.requests() if profile.is_list(e)]
        assert lists[0]['status'] == 200 and [e['status'] for e in lists[1:]] == [500, 500]
        assert all(e['query'].get('pageNum') == ['2'] for e in lists[1:])
        assert [e for e in reliability.writes(private.client.requests()) if not profile.is_token(e)] == []


# -- Atlas tokens ---------------------------------------------------------------------


@pytest.mark.core_independent
@pytest.mark.parametrize('profile', ['atlas'], indirect=True)
def test_atlas_token_expiring_mid_run_is_refreshed_once(ansible, emulator, profile, markers):
    desired = seed_workload(profile, emulator)
    emulator.client.config(atlas={'expire_tokens_after_requests': 40})
    result = apply_twice(ansible, profile, emulator, markers, desired)
    entries = emulator.client.requests()
    tokens = [e for e in entries if profile.is_token(e)]
    refused = [e for e in entries if e['status'] == 401]
    finish('token expires mid-run', profile, emulator, markers, [result], desired,
           note='%d answers 401, %d token refresh' % (len(refused), len(tokens) - 2))
    result.assert_ok()
    assert result.task('apply')['summary'] == WORKLOAD_SUMMARY
    assert result.task('again')['changed'] is False
    assert_converged(profile, emulator, desired)
    # One token per module run, plus exactly one refresh in the first.
    assert len(tokens) == 3 and all(e['status'] == 200 for e in tokens)
    assert refused and all(e['seq'] < tokens[2]['seq'] for e in refused)  # all in the first run


@pytest.mark.parametrize('profile', ['atlas'], indirect=True)
def test_atlas_token_endpoint_refusing_names_the_service_account_not_its_secret(ansible, emulator, profile, markers):
    desired = seed_workload(profile, emulator)
    # From the start: the service account's secret is not (or no longer) accepted.
    emulator.client.credentials('atlas', service_accounts={markers.client_id: 'another-secret'})
    first = run(ansible, emulator, markers, [set_task(profile, emulator, markers, 'apply')], desired)
    message = failed_message(first)
    assert markers.client_id in message and 'HTTP 401' in message and 'invalid_client' in message
    assert [e['path'] for e in emulator.client.requests()] == [profile.token_path]

    # Mid-run: the token expires and the token endpoint now refuses the service account.
    emulator.client.credentials('atlas', service_accounts={markers.client_id: markers.secret})
    emulator.client.config(atlas={'expire_tokens_after_requests': 40})
    token = {'provider': 'atlas', 'operation': 'oauth2:ServiceAccounts'}
    noop = reliability.noop_rule(emulator, token)
    emulator.client.fault({'type': 'status', 'status': 401, 'code': 'UNAUTHORIZED',
                           'message': 'Service account credentials were revoked.'}, match=token)
    second = run(ansible, emulator, markers, [set_task(profile, emulator, markers, 'apply')], desired)
    finish('token endpoint answers 401', profile, emulator, markers, [first, second], None, [noop],
           outcome='failed naming the service account')
    message = failed_message(second)
    assert markers.client_id in message and 'HTTP 401' in message
    result = second.task('apply')
    assert result['changes'], 'the changes applied before the failure are listed'
    assert result['summary']['created'] + result['summary']['updated'] + result['summary']['deleted'] == len(
        result['changes'])


# -- following the vendors (shared/specs/EVIDENCE.md) -------------------------------------


@pytest.mark.core_independent
@pytest.mark.parametrize('profile', ['confluent'], indirect=True)
def test_confluent_quota_reached_fails_the_creates_past_it_alone_then_converges(ansible, emulator, profile, markers):
    desired = seed_workload(profile, emulator)
    # 190: once the purge's 20 deletes are done, 20 of the 30 creates fit and 10 are answered 402.
    quota = UNCHANGED + UPDATED + STALE
    emulator.client.config(confluent={'group_mapping_quota': quota})
    first = run(ansible, emulator, markers, [set_task(profile, emulator, markers, 'apply')], desired)
    message = failed_message(first)
    result = first.task('apply')
    assert result['summary'] == dict(WORKLOAD_SUMMARY, created=CREATED - 10)
    assert sorted((f['status'], f['error_code'], f['attempts']) for f in result['failures']) == [
        (402, 'quota_exceeded', 1)] * 10
    assert 'Group mapping reached limit %d' % quota in message and 'quota of SSO group mappings' in message
    # Every create went out once, the refused ones too: a 402 is not retried.
    creates = collections.Counter((json.dumps(e['body'], sort_keys=True), e['status']) for e in emulator.client.requests()
                                  if e['operation'] == profile.create_operation)
    assert set(creates.values()) == {1} and sorted(collections.Counter(s for _b, s in creates).items()) == [
        (201, CREATED - 10), (402, 10)]

    emulator.client.config(confluent={'group_mapping_quota': None})
    second = apply_twice(ansible, profile, emulator, markers, desired)
    finish('quota of group mappings reached (402 on create)', profile, emulator, markers, [first, second], desired,
           note='10 creates answered 402, none retried')
    second.assert_ok()
    assert second.task('apply')['summary']['created'] == 10
    assert second.task('again')['changed'] is False
    assert_converged(profile, emulator, desired)


@pytest.mark.core_independent
@pytest.mark.parametrize('profile', ['atlas'], indirect=True)
def test_atlas_refusing_an_allowed_unknown_role_with_500_fails_that_item_alone_sent_once(
        ansible, emulator, profile, markers):
    desired = seed_workload(profile, emulator)
    number = UNCHANGED + UPDATED + 5  # a create
    bad = profile.item(number)
    bad['role_assignments'][1] = {'role': 'GROUP_FLEET_VIEWER', 'project_id': profile.projects[0]}
    rejected_input = list(desired)
    rejected_input[number] = bad
    # The emulator's default reading of an unknown role: 500 UNEXPECTED_ERROR (terraform-provider-mongodbatlas #920).
    first = run(ansible, emulator, markers, [set_task(profile, emulator, markers, 'apply', allow_unknown_roles=True)],
                rejected_input)
    message = failed_message(first)
    result = first.task('apply')
    assert [(f['key'], f['status'], f['attempts']) for f in result['failures']] == [(profile.key(bad), 500, 1)]
    assert 'GROUP_FLEET_VIEWER' in message and 'UNEXPECTED_ERROR' in message
    assert any('GROUP_FLEET_VIEWER' in w for w in result['warnings'])
    assert result['summary'] == dict(WORKLOAD_SUMMARY, created=CREATED - 1)
    assert len(sent(emulator, 'GROUP_FLEET_VIEWER')) == 1  # not retried, although a 500

    second = apply_twice(ansible, profile, emulator, markers, desired)
    finish('a role Atlas does not accept, sent with allow_unknown_roles (500)', profile, emulator, markers,
           [first, second], desired, note='1 answer 500, not retried')
    second.assert_ok()
    assert second.task('again')['changed'] is False
    assert_converged(profile, emulator, desired)


@pytest.mark.core_independent
@pytest.mark.parametrize('profile', ['aria'], indirect=True)
def test_aria_appliance_without_the_authzn_api_fails_naming_vcf_9_1_and_writes_nothing(ansible, emulator, profile,
                                                                                       markers):
    desired = seed_workload(profile, emulator)
    emulator.client.config(aria={'authzn_api': 'retired'})
    result = run(ansible, emulator, markers, [set_task(profile, emulator, markers, 'apply')], desired)
    finish('appliance without /lcm/authzn (VCF 9.1)', profile, emulator, markers, [result], None,
           outcome='failed naming VCF 9.1 and the URL, 0 writes')
    message = failed_message(result)
    for part in (emulator.https + '/lcm/authzn/api/v2/roles/external answered 404', 'VCF 9.1 retired it',
                 'Broadcom KB 424807'):
        assert part in message
    assert reliability.writes(emulator.client.requests()) == []
    assert len(profile.state(emulator)) == UNCHANGED + UPDATED + STALE


# -- TLS ------------------------------------------------------------------------------


def test_tls_is_verified_by_default_and_turning_it_off_warns(ansible, emulator, profile, markers):
    options = profile.connection(emulator, markers)
    options.pop('ca_path')
    tasks = [
        {'name': 'default', profile.info_module: dict(options), 'ignore_errors': True},
        {'name': 'insecure', profile.info_module: dict(options, validate_certs=False)},
    ]
    if profile.name == 'aria':
        tasks.append({'name': 'insecure-env', profile.info_module: dict(options),
                      'environment': {'ARIA_LCM_VALIDATE_CERTS': 'false'}})
    result = run(ansible, emulator, markers, tasks)
    finish('TLS verification', profile, emulator, markers, [result],
           outcome='verified by default; off warns')
    result.assert_ok()
    message = failed_message(result, 'default')
    assert 'certificate' in message and 'ca_path' in message
    for name in [t['name'] for t in tasks[1:]]:
        assert any('verification is disabled' in w for w in result.task(name).get('warnings', [])), name
