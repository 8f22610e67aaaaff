# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tokens the module gets and renews (_auth.py): Confluent's identity-pool OAuth, client credentials."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from ansible_collections.sso.mappings.plugins.module_utils import _auth, _client
from ansible_collections.sso.mappings.plugins.module_utils._errors import ApiError

API = 'https://api.example.test'
IDP = 'https://idp.example.test'


def clients(scripted, api_steps, idp_steps=()):
    api = _client.Client('Confluent', API, retries=1, sleep=lambda s: None)
    idp = _client.Client('Confluent', IDP, retries=1, sleep=lambda s: None)
    return api, scripted(api, api_steps), idp, scripted(idp, list(idp_steps))


def exchanged(token, lifetime=900):
    return (200, {'access_token': token, 'issued_token_type': 'urn:ietf:params:oauth:token-type:access_token',
                  'token_type': 'Bearer', 'expires_in': lifetime})


@pytest.mark.parametrize('lifetime, after', [(3600, 3540), (900, 840), (120, 60), (60, 30), (1, 0.5)])
def test_a_token_is_renewed_a_minute_early_or_halfway_when_short(lifetime, after):
    assert _auth.renew_after(lifetime) == after


def test_client_credentials_then_the_exchange_then_bearer(scripted):
    api, api_sent, idp, idp_sent = clients(scripted, [exchanged('CONFLUENT-1'), (200, {})],
                                           [(200, {'access_token': 'IDP-1', 'expires_in': 3600})])
    api.auth = _auth.IdentityPoolAuth(api, idp, 'pool-1', token_url=IDP + '/oauth2/token?tenant=x', client_id='app',
                                      client_secret='s3cret', scope='api://app/.default', lifetime=600)
    api.request('GET', '/iam/v2/sso/group-mappings', 'list group mappings')
    (to_idp,) = idp_sent.sent
    assert to_idp.url == IDP + '/oauth2/token?tenant=x' and 'Authorization' not in to_idp.headers
    assert parse_qs(to_idp.body) == {'grant_type': ['client_credentials'], 'client_id': ['app'],
                                     'client_secret': ['s3cret'], 'scope': ['api://app/.default']}
    exchange, listed = api_sent.sent
    assert exchange.url == API + '/sts/v1/oauth2/token' and 'Authorization' not in exchange.headers
    assert parse_qs(exchange.body) == {
        'grant_type': ['urn:ietf:params:oauth:grant-type:token-exchange'], 'subject_token': ['IDP-1'],
        'identity_pool_id': ['pool-1'], 'subject_token_type': ['urn:ietf:params:oauth:token-type:jwt'],
        'requested_token_type': ['urn:ietf:params:oauth:token-type:access_token'], 'expires_in': ['600']}
    assert listed.headers['Authorization'] == 'Bearer CONFLUENT-1'


def test_a_static_token_is_exchanged_as_given_and_a_401_renews_the_confluent_token_once(scripted):
    api, api_sent, idp, idp_sent = clients(scripted, [
        exchanged('C-1'), (401, {'errors': [{'code': 'user_unauthenticated'}]}), exchanged('C-2'), (200, {})])
    api.auth = _auth.IdentityPoolAuth(api, None, 'pool-1', access_token='STATIC')
    api.request('GET', '/iam/v2/sso/group-mappings', 'list group mappings')
    assert idp_sent.sent == []
    subjects = [parse_qs(r.body)['subject_token'] for r in api_sent.sent if r.url.endswith('/token')]
    assert subjects == [['STATIC'], ['STATIC']]
    assert [r.headers.get('Authorization') for r in api_sent.sent if not r.url.endswith('/token')] == [
        'Bearer C-1', 'Bearer C-2']


def test_a_failed_step_says_which_and_names_the_url_or_pool_but_no_secret(scripted):
    api, _api_sent, idp, _idp_sent = clients(scripted, [], [
        (401, {'error': 'invalid_client', 'error_description': 'Client authentication failed'})])
    api.auth = _auth.IdentityPoolAuth(api, idp, 'pool-1', token_url=IDP + '/token', client_id='app',
                                      client_secret='s3cret')
    with pytest.raises(ApiError) as caught:
        api.request('GET', '/x', 'read')
    text = str(caught.value)
    assert "get a token from the identity provider at %s/token for client 'app' failed: HTTP 401 invalid_client" % IDP in text
    assert 's3cret' not in text

    api, _api_sent, idp, _idp_sent = clients(scripted, [
        (400, {'errors': [{'code': 'invalid_grant', 'detail': "Identity pool 'pool-9' was not found"}]})])
    api.auth = _auth.IdentityPoolAuth(api, None, 'pool-9', access_token='STATIC')
    with pytest.raises(ApiError) as caught:
        api.request('GET', '/x', 'read')
    assert "identity pool 'pool-9' failed: HTTP 400 invalid_grant" in str(caught.value)
    assert 'STATIC' not in str(caught.value)
