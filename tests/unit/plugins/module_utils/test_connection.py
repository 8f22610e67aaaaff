# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Credential resolution and connection checks shared by every provider."""

from __future__ import annotations

import pytest

from ansible_collections.sso.mappings.plugins.module_utils._confluent import CONNECTION
from ansible_collections.sso.mappings.plugins.module_utils._errors import InputError


def params(**given):
    """A module's parameters as Ansible hands them over: every option present, unset ones None."""
    values = dict.fromkeys(('api_key', 'api_secret', 'access_token', 'ca_path'))
    values.update({'base_url': 'https://api.example.test', 'validate_certs': True, 'timeout': 30,
                   'retries': 5, 'parallelism': 4})
    values.update(given)
    return values


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ('CONFLUENT_CLOUD_API_KEY', 'CONFLUENT_CLOUD_API_SECRET', 'CONFLUENT_CLOUD_ACCESS_TOKEN'):
        monkeypatch.delenv(name, raising=False)


def test_options_pick_the_method():
    method, values, _secrets = CONNECTION.resolve_credentials(params(api_key='k', api_secret='s'))
    assert method.option_names == ['api_key', 'api_secret'] and values == {'api_key': 'k', 'api_secret': 's'}


def test_explicit_options_beat_the_environment(monkeypatch):
    monkeypatch.setenv('CONFLUENT_CLOUD_ACCESS_TOKEN', 'env-token')
    method, values, _secrets = CONNECTION.resolve_credentials(params(api_key='k', api_secret='s'))
    assert method.option_names == ['api_key', 'api_secret'] and 'access_token' not in values


def test_environment_values_are_masked(monkeypatch):
    monkeypatch.setenv('CONFLUENT_CLOUD_API_KEY', 'env-key')
    monkeypatch.setenv('CONFLUENT_CLOUD_API_SECRET', 'env-secret')
    _method, values, secrets = CONNECTION.resolve_credentials(params())
    assert values == {'api_key': 'env-key', 'api_secret': 'env-secret'}
    assert {'env-key', 'env-secret'} <= secrets


def test_conflicting_and_incomplete_credentials_fail_naming_the_options(monkeypatch):
    with pytest.raises(InputError, match=r'conflicting credentials.*api_key, api_secret.*access_token'):
        CONNECTION.resolve_credentials(params(api_key='k', api_secret='s', access_token='t'))
    with pytest.raises(InputError, match=r'incomplete credentials.*api_secret'):
        CONNECTION.resolve_credentials(params(api_key='k'))
    with pytest.raises(InputError, match='no credentials'):
        CONNECTION.resolve_credentials(params())
    monkeypatch.setenv('CONFLUENT_CLOUD_API_KEY', 'env-key')
    monkeypatch.setenv('CONFLUENT_CLOUD_ACCESS_TOKEN', 'env-token')
    with pytest.raises(InputError, match='conflicting credentials in the environment'):
        CONNECTION.resolve_credentials(params())


def test_secret_values_never_appear_in_credential_errors():
    with pytest.raises(InputError) as caught:
        CONNECTION.resolve_credentials(params(api_key='MARKER-KEY', access_token='MARKER-TOKEN'))
    assert 'MARKER' not in str(caught.value)


@pytest.mark.parametrize('url', ['api.confluent.cloud', 'ftp://host', 'https://', 'not a url'])
def test_base_url_must_be_a_url(url):
    with pytest.raises(InputError, match='base_url must be'):
        CONNECTION.check(params(base_url=url, api_key='k', api_secret='s'))


def test_disabling_tls_verification_warns():
    settings = CONNECTION.check(params(validate_certs=False, api_key='k', api_secret='s'))
    client = CONNECTION.client(settings)
    assert client.session.verify is False
    assert settings.warnings and 'verification is disabled' in settings.warnings[0]


def test_an_empty_base_url_from_the_environment_means_the_default():
    client = CONNECTION.client(CONNECTION.check(params(base_url='', api_key='key-1', api_secret='secret-1')))
    assert client.base_url == 'https://api.confluent.cloud'
