# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTP client: retries, backoff, Retry-After, pagination, lost creates, errors."""

from __future__ import annotations

import pytest
import requests

from ansible_collections.sso.mappings.plugins.module_utils import _auth, _client
from ansible_collections.sso.mappings.plugins.module_utils._errors import ApiError


def make_client(retries=3, **kwargs):
    sleeps = []
    client = _client.Client('Confluent', 'https://api.example.test', retries=retries, sleep=sleeps.append, **kwargs)
    return client, sleeps


def test_backoff_grows_exponentially_with_jitter_and_is_capped():
    low = [_client.backoff_delay(n, base=1, cap=8, rand=lambda: 0.0) for n in range(1, 7)]
    high = [_client.backoff_delay(n, base=1, cap=8, rand=lambda: 1.0) for n in range(1, 7)]
    assert low == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert high == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_retry_delay_prefers_retry_after_then_relative_reset():
    assert _client.retry_delay(1, {'Retry-After': '3'}, rand=lambda: 0.0) == 3.0
    assert _client.retry_delay(1, {'X-RateLimit-Reset': '2'}, rand=lambda: 0.0, rate_limited=True) == 2.0
    # A 5xx backs off on its own schedule: the rate-limit window says nothing about it.
    assert _client.retry_delay(1, {'X-RateLimit-Reset': '0'}, base=1, rand=lambda: 1.0) == 1.0
    assert _client.retry_delay(1, {'Retry-After': '500'}, cap=30, rand=lambda: 0.0) == 30.0
    assert _client.retry_delay(2, {}, base=1, rand=lambda: 1.0) == 2.0


def test_429_and_5xx_are_retried_honouring_retry_after(scripted):
    client, sleeps = make_client()
    transport = scripted(client, [(429, {}, {'Retry-After': '2'}), (503, {}), (200, {'ok': True})])
    reply = client.request('GET', '/things', 'list things')
    assert reply.data == {'ok': True}
    assert len(transport.sent) == 3
    assert 2.0 <= sleeps[0] <= 2.1
    assert client.stats == {'requests': 3, 'retries': 2}


def test_other_4xx_is_never_retried_and_message_is_complete(scripted):
    client, sleeps = make_client()
    body = {'errors': [{'status': '422', 'code': 'invalid_configuration', 'title': 'Validation Failed',
                        'detail': 'filter is too long', 'source': {'pointer': '/filter'}}]}
    transport = scripted(client, [(422, body, {'X-Request-Id': 'req-42'})])
    with pytest.raises(ApiError) as caught:
        client.request('POST', '/things', "create group mapping 'eng'")
    assert len(transport.sent) == 1 and not sleeps
    message = str(caught.value)
    for part in ('Confluent', "create group mapping 'eng'", 'HTTP 422', 'invalid_configuration',
                 'filter is too long', 'req-42'):
        assert part in message
    assert caught.value.status == 422


def test_429s_cost_time_not_retries(scripted):
    client, sleeps = make_client(retries=1)
    transport = scripted(client, [(429, {}, {'Retry-After': '0'})] * 3 + [(503, {}), (200, {'ok': 1})])
    assert client.request('GET', '/a', 'read').data == {'ok': 1}
    assert len(transport.sent) == 5 and sleeps
    # Four times `retries` 429s, then the ordinary retry, then the error.
    scripted(client, [(429, {}, {'Retry-After': '0'})] * 6)
    with pytest.raises(ApiError, match='after 6 attempts'):
        client.request('GET', '/a', 'read')


def test_retries_exhausted_says_attempts_and_last_answer(scripted):
    client, _sleeps = make_client(retries=2)
    scripted(client, [(503, {'errors': [{'code': 'unavailable', 'detail': 'try later'}]})] * 3)
    with pytest.raises(ApiError) as caught:
        client.request('GET', '/things', 'list things')
    assert 'after 3 attempts' in str(caught.value)
    assert 'HTTP 503' in str(caught.value) and 'try later' in str(caught.value)


def test_connection_errors_on_reads_are_retried(scripted):
    client, sleeps = make_client()
    transport = scripted(client, [requests.exceptions.ConnectionError('Connection aborted.'), (200, [])])
    assert client.request('GET', '/things', 'list things').data == []
    assert len(transport.sent) == 2 and len(sleeps) == 1


def test_lost_create_that_landed_is_not_sent_again(scripted):
    client, _sleeps = make_client()
    transport = scripted(client, [requests.exceptions.ConnectionError('Connection aborted.')])
    reply = client.request('POST', '/things', 'create thing', json={'a': 1}, landed=lambda: {'id': 'x1'})
    assert reply.data == {'id': 'x1'}
    assert len(transport.sent) == 1


def test_lost_create_that_did_not_land_is_sent_again(scripted):
    client, _sleeps = make_client()
    transport = scripted(client, [requests.exceptions.ConnectionError('Connection aborted.'), (201, {'id': 'x2'})])
    reply = client.request('POST', '/things', 'create thing', json={'a': 1}, landed=lambda: None)
    assert reply.data == {'id': 'x2'}
    assert len(transport.sent) == 2


def test_timed_out_create_is_never_resent(scripted):
    client, _sleeps = make_client()
    transport = scripted(client, [requests.exceptions.ReadTimeout('Read timed out.'), (201, {'id': 'dup'})])
    with pytest.raises(ApiError) as caught:
        client.request('POST', '/things', 'create thing', json={'a': 1}, landed=lambda: None)
    assert caught.value.ambiguous
    assert len(transport.sent) == 1
    assert 'may or may not have been applied' in str(caught.value)


def test_500_on_create_checks_before_resending(scripted):
    client, _sleeps = make_client()
    checks = []
    transport = scripted(client, [(500, {}), (201, {'id': 'x3'})])
    reply = client.request('POST', '/things', 'create thing', json={}, landed=lambda: checks.append(1))
    assert reply.data == {'id': 'x3'} and checks == [1] and len(transport.sent) == 2


def test_429_on_create_is_resent_without_a_check(scripted):
    client, _sleeps = make_client()
    transport = scripted(client, [(429, {}, {'Retry-After': '0'}), (201, {'id': 'x4'})])
    reply = client.request('POST', '/things', 'create thing', json={}, landed=lambda: pytest.fail('no check needed'))
    assert reply.data == {'id': 'x4'} and len(transport.sent) == 2


def test_a_lost_delete_whose_retry_fails_is_a_success_when_the_check_finds_it_done(scripted):
    client, _sleeps = make_client()
    forbidden = {'errors': [{'status': '403', 'code': 'user_unauthorized', 'detail': 'not allowed'}]}
    transport = scripted(client, [requests.exceptions.ConnectionError('Connection aborted.'), (403, forbidden)])
    checks = []
    reply = client.request('DELETE', '/things/x1', 'delete thing', expected=(200, 204, 404),
                           landed=lambda: checks.append(1) or True)
    assert reply.recovered and reply.data is True
    assert len(transport.sent) == 2 and checks == [1]

    scripted(client, [requests.exceptions.ConnectionError('Connection aborted.'), (403, forbidden)])
    with pytest.raises(ApiError) as caught:
        client.request('DELETE', '/things/x1', 'delete thing', expected=(200, 204, 404), landed=lambda: None)
    assert caught.value.status == 403 and caught.value.attempts == 2
    assert 'not allowed' in str(caught.value) and 'had not taken effect' in str(caught.value)


def test_the_landed_check_of_an_idempotent_request_runs_only_after_a_lost_answer(scripted):
    client, _sleeps = make_client()
    scripted(client, [(403, {})])
    with pytest.raises(ApiError, match='HTTP 403'):
        client.request('DELETE', '/things/x1', 'delete thing', landed=lambda: pytest.fail('no answer was lost'))


def test_give_up_on_answers_a_retryable_status_at_once(scripted):
    client, sleeps = make_client()
    transport = scripted(client, [(500, {}), (503, {}), (200, {'ok': 1})])
    with pytest.raises(ApiError, match='HTTP 500'):
        client.request('PUT', '/things/x1', 'update thing', json={}, give_up_on=(500,))
    assert len(transport.sent) == 1 and not sleeps
    # Other statuses are still retried.
    assert client.request('PUT', '/things/x1', 'update thing', json={}, give_up_on=(500,)).data == {'ok': 1}


def test_401_refreshes_auth_once(scripted):
    class Refreshing(_auth.BearerAuth):
        refreshed = 0

        def refresh(self, failed=None):
            assert failed.headers['Authorization'] == 'Bearer %s' % self.token
            self.refreshed += 1
            self.token = 'new'

    client, _sleeps = make_client()
    client.auth = Refreshing('old')
    transport = scripted(client, [(401, {}), (200, {'ok': 1})])
    assert client.request('GET', '/x', 'read').data == {'ok': 1}
    assert client.auth.refreshed == 1
    assert transport.sent[0].headers['Authorization'] == 'Bearer old'
    assert transport.sent[1].headers['Authorization'] == 'Bearer new'
    scripted(client, [(401, {}), (401, {})])
    with pytest.raises(ApiError) as caught:
        client.request('GET', '/x', 'read')
    assert caught.value.status == 401 and 'credentials were not accepted' in str(caught.value)


def test_pagination_reads_to_the_last_page_and_refuses_loops(scripted):
    client, _sleeps = make_client()
    pages = [(200, {'data': [1, 2], 'next': 't1'}), (200, {'data': [3], 'next': 't2'}), (200, {'data': [4]})]
    transport = scripted(client, pages)

    def next_of(data, _params):
        return ('/items', {'page_token': data['next']}) if data.get('next') else None

    items = client.get_all('/items', 'list items', lambda d: d['data'], next_of, params={'page_size': 2})
    assert items == [1, 2, 3, 4]
    assert [r.url for r in transport.sent] == ['https://api.example.test/items?page_size=2',
                                               'https://api.example.test/items?page_token=t1',
                                               'https://api.example.test/items?page_token=t2']
    scripted(client, [(200, {'data': [1], 'next': 'same'})] * 3)
    with pytest.raises(ApiError, match='same page twice'):
        client.get_all('/items', 'list items', lambda d: d['data'], next_of)


def test_a_failed_page_is_a_failure_not_an_empty_list(scripted):
    client, _sleeps = make_client(retries=0)
    scripted(client, [(200, {'data': [1], 'next': 't'}), (500, {})])

    def next_of(data, _params):
        return ('/items', {'page_token': data['next']}) if data.get('next') else None

    with pytest.raises(ApiError):
        client.get_all('/items', 'list items', lambda d: d['data'], next_of)


def test_links_to_another_origin_are_refused():
    client, _sleeps = make_client()
    assert client.url('https://api.example.test/next?x=1') == 'https://api.example.test/next?x=1'
    with pytest.raises(ApiError, match='another origin'):
        client.url('https://evil.example.test/steal')


def test_rate_limit_headers_slow_down_before_a_429(scripted):
    client, sleeps = make_client()
    scripted(client, [(200, {}, {'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '3'}), (200, {})])
    client.request('GET', '/a', 'read')
    client.request('GET', '/a', 'read')
    assert sleeps and 2.5 < sleeps[0] <= 3.0


def test_a_low_remaining_spaces_requests_at_the_refill_rate(scripted):
    client, sleeps = make_client(pool_size=2)
    headers = {'X-RateLimit-Limit': '20', 'X-RateLimit-Remaining': '2', 'X-RateLimit-Reset': '1'}
    scripted(client, [(200, {}, headers)] * 4)
    for _n in range(4):
        client.request('GET', '/a', 'read')
    # The first answer sets a 50 ms interval (1 s / 20); each later request takes the next slot
    # (the fake sleep does not pass time, so the slots add up).
    assert [round(s, 2) for s in sleeps] == [0.05, 0.1]
    scripted(client, [(200, {}, dict(headers, **{'X-RateLimit-Remaining': '15'}))] * 2)
    client.request('GET', '/a', 'read')
    before = len(sleeps)
    client.request('GET', '/a', 'read')
    assert len(sleeps) == before  # plenty left: no pacing


def test_user_agent_names_the_collection_and_version(scripted):
    client, _sleeps = make_client()
    transport = scripted(client, [(200, {})])
    client.request('GET', '/a', 'read')
    assert transport.sent[0].headers['User-Agent'].startswith('sso.mappings/' + _client.COLLECTION_VERSION)


def test_tls_failure_explains_how_to_fix(scripted):
    client, _sleeps = make_client()
    scripted(client, [requests.exceptions.SSLError('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed')])
    with pytest.raises(ApiError) as caught:
        client.request('GET', '/a', 'read')
    assert 'certificate verify failed' in str(caught.value) and 'ca_path' in str(caught.value)


def test_a_429_makes_the_whole_client_wait_and_paces_without_a_reset_header(scripted):
    client, sleeps = make_client()
    scripted(client, [(429, {}, {'Retry-After': '2', 'RateLimit-Limit': '20'}), (200, {}), (200, {})])
    client.request('GET', '/a', 'read')
    assert 2.0 <= sleeps[0] <= 2.1
    assert client.pacer.not_before > 0
    assert client.pacer.interval == 0.1  # 2 s / 20: the rate the server allows
    client.request('GET', '/a', 'read')
    assert len(sleeps) >= 2  # the next request waits for its slot too
