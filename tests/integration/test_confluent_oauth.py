# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Confluent OAuth through an identity pool, run by real ansible-playbook processes against the emulator:
the stand-in identity provider (another origin) and Confluent's token exchange."""

from __future__ import annotations

import json
import ssl
import urllib.parse
import urllib.request

import pytest

SET = 'sso.mappings.confluent_group_mappings'
ONE = 'sso.mappings.confluent_group_mapping'
INFO = 'sso.mappings.confluent_group_mapping_info'
MAPPINGS_PATH = '/iam/v2/sso/group-mappings'
STS_PATH = '/sts/v1/oauth2/token'
IDP_PATH = '/oauth2/v1/token'
POOL = 'pool-emulator'
CLIENT_ID = 'marker-idp-client'
CLIENT_SECRET = 'MARKER-IDP-SECRET-7f3a'


def mapping(name):
    return {'display_name': name, 'filter': '"%s" in claims.groups' % name, 'description': ''}


def task(module, name='task', **options):
    return {'name': name, module: options, 'register': 'out'}


@pytest.fixture
def idp(emulator):
    """The identity provider accepts only the marker client."""
    emulator.client.credentials('idp', clients={CLIENT_ID: CLIENT_SECRET})
    return emulator.idp + IDP_PATH


@pytest.fixture
def oauth(emulator, idp):
    """Module options for OAuth with client credentials; the secret travels as an extra var, as a vault would."""
    return {'base_url': emulator.https, 'ca_path': emulator.ca_file, 'oauth_identity_pool_id': POOL,
            'oauth_external_token_url': idp, 'oauth_external_client_id': CLIENT_ID,
            'oauth_external_client_secret': '{{ idp_secret }}'}


SECRET_VARS = {'idp_secret': CLIENT_SECRET}


def by_origin(emulator):
    """The requests of the run: (to the identity provider, to the token exchange, to the API)."""
    requests = emulator.client.requests()
    return ([r for r in requests if r['provider'] == 'idp'], [r for r in requests if r['path'] == STS_PATH],
            [r for r in requests if r['provider'] == 'confluent' and r['path'] != STS_PATH])


def secrets_of(emulator):
    """Every secret of the login: the client secret, the identity provider's and Confluent's tokens."""
    return ([CLIENT_SECRET] + emulator.client.state('idp')['tokens']
            + emulator.client.state('confluent').get('exchanged_tokens', []))


def assert_no_secret(run, emulator):
    everything = run.stdout + run.stderr + json.dumps(run.tasks)
    for secret in secrets_of(emulator):
        assert secret not in everything


def test_client_credentials_create_then_no_change(ansible, emulator, oauth):
    desired = [mapping('eng'), mapping('ops')]
    first = ansible.run([task(SET, mappings=desired, **oauth)], extra_vars=SECRET_VARS, verbosity=4).assert_ok()
    assert first.task('task')['summary']['created'] == 2
    to_idp, exchanges, api = by_origin(emulator)
    assert len(to_idp) == 1 and len(exchanges) == 1
    # Confluent gets only its own token; the identity provider only the client credentials.
    assert {r['headers'].get('authorization') for r in api} == {'Bearer'}
    assert all('authorization' not in r['headers'] for r in to_idp + exchanges)
    form = urllib.parse.parse_qs(to_idp[0]['body'])
    assert form['client_id'] == [CLIENT_ID] and form['client_secret'] == ['***'] and 'scope' not in form
    exchange = urllib.parse.parse_qs(exchanges[0]['body'])
    assert exchange['identity_pool_id'] == [POOL] and exchange['subject_token'] == ['***']
    assert exchanges[0]['status'] == 200 and to_idp[0]['status'] == 200
    assert_no_secret(first, emulator)

    emulator.client.clear_requests()
    again = ansible.run([task(SET, mappings=desired, **oauth), task(INFO, name='info', **oauth)],
                        extra_vars=SECRET_VARS).assert_ok()
    assert again.task('task')['changed'] is False
    assert sorted(m['display_name'] for m in again.task('info')['mappings']) == ['eng', 'ops']
    assert emulator.client.writes() == [r for r in emulator.client.writes() if r['path'] in (STS_PATH, IDP_PATH)]
    # One token pair per module run.
    to_idp, exchanges, _api = by_origin(emulator)
    assert len(to_idp) == 2 and len(exchanges) == 2


def test_a_scope_is_asked_for_when_given(ansible, emulator, oauth):
    scope = 'api://%s/.default' % CLIENT_ID
    emulator.client.config(idp={'required_scope': scope})
    run = ansible.run([dict(task(ONE, name='without', **dict(mapping('eng'), **oauth)), ignore_errors=True),
                       task(ONE, name='with', **dict(mapping('eng'), oauth_external_token_scope=scope, **oauth))],
                      extra_vars=SECRET_VARS).assert_ok()
    message = run.task('without')['msg']
    for part in ('Confluent: get a token from the identity provider at %s' % oauth['oauth_external_token_url'],
                 'HTTP 400', 'invalid_scope'):
        assert part in message
    assert run.task('with')['changed'] is True
    forms = [urllib.parse.parse_qs(r['body']) for r in by_origin(emulator)[0]]
    assert [f.get('scope') for f in forms] == [None, [scope]]


def test_a_static_identity_provider_token(ansible, emulator, idp):
    request = urllib.request.Request(idp, method='POST', data=urllib.parse.urlencode({
        'grant_type': 'client_credentials', 'client_id': CLIENT_ID, 'client_secret': CLIENT_SECRET}).encode(),
        headers={'Content-Type': 'application/x-www-form-urlencoded'})
    with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=emulator.ca_file)) as answer:
        token = json.loads(answer.read())['access_token']
    emulator.client.clear_requests()
    options = {'base_url': emulator.https, 'ca_path': emulator.ca_file, 'oauth_identity_pool_id': POOL,
               'oauth_external_access_token': '{{ idp_token }}'}
    run = ansible.run([task(ONE, **dict(mapping('eng'), **options))], extra_vars={'idp_token': token}, verbosity=4)
    assert run.assert_ok().task('task')['changed'] is True
    to_idp, exchanges, _api = by_origin(emulator)
    assert to_idp == [] and len(exchanges) == 1
    assert token not in run.stdout + run.stderr + json.dumps(run.tasks)


def test_every_oauth_option_from_the_environment(ansible, emulator, idp):
    env = {'CONFLUENT_CLOUD_ENDPOINT': emulator.https, 'CONFLUENT_CLOUD_OAUTH_IDENTITY_POOL_ID': POOL,
           'CONFLUENT_CLOUD_OAUTH_EXTERNAL_TOKEN_URL': idp, 'CONFLUENT_CLOUD_OAUTH_EXTERNAL_CLIENT_ID': CLIENT_ID,
           'CONFLUENT_CLOUD_OAUTH_EXTERNAL_CLIENT_SECRET': CLIENT_SECRET,
           'CONFLUENT_CLOUD_OAUTH_STS_TOKEN_EXPIRED_IN_SECONDS': '600'}
    run = ansible.run([task(SET, mappings=[mapping('from-env')], ca_path=emulator.ca_file)], env=env, verbosity=4)
    assert run.assert_ok().task('task')['changed'] is True
    _to_idp, exchanges, _api = by_origin(emulator)
    assert urllib.parse.parse_qs(exchanges[0]['body'])['expires_in'] == ['600']
    assert_no_secret(run, emulator)


def test_a_token_that_expires_mid_run_is_renewed_and_nothing_is_created_twice(ansible, emulator, oauth):
    # Every exchanged token stops working after 4 more requests: the 5th answers 401.
    emulator.client.config(confluent={'expire_sts_tokens_after_requests': 4})
    desired = [mapping('team-%02d' % n) for n in range(12)]
    run = ansible.run([task(SET, mappings=desired, parallelism=1, **oauth)], extra_vars=SECRET_VARS).assert_ok()
    assert run.task('task')['summary']['created'] == 12
    names = sorted(m['display_name'] for m in emulator.client.state('confluent')['group_mappings'])
    assert names == sorted(m['display_name'] for m in desired)
    _to_idp, exchanges, api = by_origin(emulator)
    assert [r['status'] for r in api].count(401) == 1
    assert len(exchanges) == 2
    posts = [r for r in api if r['method'] == 'POST']
    assert len([p for p in posts if p['status'] == 201]) == 12


def test_a_short_lived_token_is_renewed_before_it_expires(ansible, emulator, oauth):
    emulator.client.config(latency_ms=60, confluent={'sts_token_ttl': 1})
    run = ansible.run([task(SET, mappings=[mapping('team-%02d' % n) for n in range(25)], parallelism=1, **oauth)],
                      extra_vars=SECRET_VARS).assert_ok()
    assert run.task('task')['summary']['created'] == 25
    _to_idp, exchanges, api = by_origin(emulator)
    assert len(exchanges) >= 2
    assert [r['status'] for r in api].count(401) == 0


def test_a_wrong_client_secret_fails_with_no_request_to_confluent(ansible, emulator, oauth):
    run = ansible.run([task(SET, mappings=[mapping('eng')], **oauth)], extra_vars={'idp_secret': 'MARKER-WRONG-9c1d'},
                      verbosity=4)
    assert run.rc != 0
    message = run.task('task')['msg']
    for part in ('Confluent: get a token from the identity provider at %s' % oauth['oauth_external_token_url'],
                 "client '%s'" % CLIENT_ID, 'HTTP 401', 'invalid_client'):
        assert part in message
    to_idp, exchanges, api = by_origin(emulator)
    assert len(to_idp) == 1 and exchanges == [] and api == []
    everything = run.stdout + run.stderr + json.dumps(run.tasks)
    assert 'MARKER-WRONG-9c1d' not in everything and CLIENT_SECRET not in everything


def test_an_unknown_pool_fails_with_the_exchanges_status(ansible, emulator, oauth):
    run = ansible.run([task(INFO, **dict(oauth, oauth_identity_pool_id='pool-nope'))], extra_vars=SECRET_VARS,
                      verbosity=4)
    assert run.rc != 0
    message = run.task('task')['msg']
    for part in ("exchange the identity provider's token for a Confluent token of identity pool 'pool-nope'",
                 'HTTP 400', 'invalid_grant', "Identity pool 'pool-nope' was not found"):
        assert part in message
    _to_idp, exchanges, api = by_origin(emulator)
    assert [r['status'] for r in exchanges] == [400] and api == []
    assert_no_secret(run, emulator)


def test_the_identity_providers_certificate_is_verified(ansible, emulator, oauth):
    # The API's certificate is trusted through ca_path, and so must the identity provider's be: without
    # ca_path, the first TLS failure is at the identity provider.
    options = dict(oauth)
    del options['ca_path']
    run = ansible.run([task(INFO, **options)], extra_vars=SECRET_VARS)
    assert run.rc != 0
    message = run.task('task')['msg']
    assert 'get a token from the identity provider' in message and 'ca_path' in message
    assert emulator.client.requests() == []


@pytest.mark.parametrize('options, words', [
    ({'api_key': 'MARKER-KEY', 'api_secret': 'MARKER-SECRET'}, ['conflicting credentials', 'api_key', 'oauth_identity_pool_id']),
    ({'oauth_external_access_token': 'MARKER-TOKEN'},
     ['conflicting credentials', 'oauth_external_access_token', 'oauth_external_token_url']),
    ({'oauth_identity_pool_id': None}, ['incomplete credentials', 'oauth_identity_pool_id']),
    ({'oauth_external_client_id': None}, ['incomplete credentials', 'oauth_external_client_id',
                                          'CONFLUENT_CLOUD_OAUTH_EXTERNAL_CLIENT_ID']),
    ({'oauth_sts_token_expired_in_seconds': 3600}, ['oauth_sts_token_expired_in_seconds', 'from 1 to 900']),
    ({'oauth_external_token_url': 'idp.example.com/token'}, ['oauth_external_token_url', 'http']),
], ids=['api-key-and-oauth', 'static-token-and-client-credentials', 'no-pool', 'no-client-id', 'too-long',
        'token-url-not-a-url'])
def test_conflicting_or_incomplete_oauth_fails_before_any_request(ansible, emulator, oauth, options, words):
    given = dict((k, v) for k, v in dict(oauth, **options).items() if v is not None)
    run = ansible.run([task(INFO, **given)], extra_vars=SECRET_VARS)
    assert run.rc != 0
    message = run.task('task')['msg']
    for word in words:
        assert word in message, message
    assert 'MARKER' not in message and CLIENT_SECRET not in message
    assert emulator.client.requests() == []


def test_the_role_logs_in_with_its_oauth_variables(ansible, emulator, idp):
    inventory = '''
confluent:
  hosts:
    confluent-org:
      ansible_connection: local
      confluent_base_url: %s
      confluent_ca_path: %s
      confluent_oauth_identity_pool_id: %s
      confluent_oauth_external_token_url: %s
      confluent_oauth_external_client_id: %s
      confluent_oauth_external_client_secret: "{{ idp_secret }}"
      confluent_group_mappings: [{display_name: eng, filter: '"eng" in claims.groups'}]
''' % (emulator.https, emulator.ca_file, POOL, idp, CLIENT_ID)
    run = ansible.run(playbook='sso.mappings.apply', inventory=inventory, extra_vars=SECRET_VARS, verbosity=4)
    run.assert_ok()
    assert [m['display_name'] for m in emulator.client.state('confluent')['group_mappings']] == ['eng']
    to_idp, exchanges, _api = by_origin(emulator)
    assert len(to_idp) == 1 and len(exchanges) == 1
    assert_no_secret(run, emulator)
