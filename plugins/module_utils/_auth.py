# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""How requests authenticate: a fixed bearer token, or a token that the module gets and renews.

``ClientCredentialsAuth``: OAuth 2.0 client credentials at the API's own token endpoint (Atlas).
``IdentityPoolAuth``: Confluent's OAuth through an identity pool, as Confluent's Terraform
provider does it: a token from the company's identity provider (client credentials, or a
static token), exchanged at Confluent's Security Token Service for a Confluent token.
"""

from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit

from ansible_collections.sso.mappings.plugins.module_utils._errors import ApiError

try:
    from requests.auth import AuthBase, HTTPBasicAuth
except ImportError:  # pragma: no cover - reported by the module with missing_required_lib
    AuthBase = object
    HTTPBasicAuth = None

FORM_HEADERS = {'Accept': 'application/json', 'Content-Type': 'application/x-www-form-urlencoded'}
STS_PATH = '/sts/v1/oauth2/token'
STS_MAX_LIFETIME = 900  # seconds, the most Confluent's token exchange grants


def no_auth(request):
    """For a request that must carry no credentials at all (Confluent's token exchange)."""
    return request


def renew_after(lifetime):
    """Seconds after which a token of ``lifetime`` seconds is renewed: a minute early, or halfway
    when it lives two minutes or less, so that no request carries a token that expires on the way."""
    return lifetime - 60 if lifetime > 120 else lifetime / 2.0


def _token_of(reply, client, operation, who, default_lifetime):
    """A token endpoint's answer -> (access token, lifetime in seconds); an answer without a token fails."""
    data = reply.data if isinstance(reply.data, dict) else {}
    if not data.get('access_token'):
        raise ApiError(client.provider, operation, status=reply.status, request_id=reply.request_id,
                       detail='%s answered without an access_token' % who)
    try:
        lifetime = max(1.0, float(data.get('expires_in') or default_lifetime))
    except (TypeError, ValueError):
        lifetime = float(default_lifetime)
    return data['access_token'], lifetime


class BearerAuth(AuthBase):
    """``Authorization: Bearer <token>`` on every request."""

    def __init__(self, token):
        self.token = token

    def __call__(self, request):
        request.headers['Authorization'] = 'Bearer %s' % self.token
        return request


class RenewedTokenAuth(AuthBase):
    """A bearer token fetched when first needed, renewed before it expires, and once more after a
    401. One token serves every request of the module run, whatever thread sends it."""

    def __init__(self):
        self.token = None
        self.expires_at = 0.0
        self.lock = threading.RLock()

    def fetch(self):
        """A new token and its lifetime in seconds."""
        raise NotImplementedError

    def _renew(self):
        self.token, lifetime = self.fetch()
        self.expires_at = time.monotonic() + renew_after(lifetime)

    def refresh(self, failed=None):
        """Renew after a 401 (``failed`` is the rejected request), unless another request already did."""
        with self.lock:
            if failed is not None and failed.headers.get('Authorization') != 'Bearer %s' % self.token:
                return
            self._renew()

    def __call__(self, request):
        with self.lock:
            if self.token is None or time.monotonic() >= self.expires_at:
                self._renew()
            token = self.token
        request.headers['Authorization'] = 'Bearer %s' % token
        return request


class ClientCredentialsAuth(RenewedTokenAuth):
    """OAuth 2.0 client credentials at the API's own token endpoint, through the same client
    (retries, TLS, timeout), with HTTP Basic client id and secret."""

    def __init__(self, client, token_path, client_id, client_secret, operation):
        super().__init__()
        self.client = client
        self.token_path = token_path
        self.client_id = client_id
        self.client_secret = client_secret
        self.operation = operation

    def fetch(self):
        reply = self.client.request(
            'POST', self.token_path, self.operation, data={'grant_type': 'client_credentials'}, headers=FORM_HEADERS,
            auth=HTTPBasicAuth(self.client_id, self.client_secret), expected=(200,), idempotent=True)
        return _token_of(reply, self.client, self.operation, 'the token endpoint', 3600)


class IdentityPoolAuth(RenewedTokenAuth):
    """Confluent OAuth: the identity provider's token exchanged for a Confluent token of one pool.

    The identity provider is another origin with a client of its own (the same TLS options,
    timeout and retries): it is sent only the client credentials, Confluent only the token.
    Each token is renewed before it expires; a static identity-provider token is used as given.
    """

    def __init__(self, client, idp_client, pool_id, token_url=None, client_id=None, client_secret=None,
                 scope=None, access_token=None, lifetime=None):
        super().__init__()
        self.client = client
        self.idp_client = idp_client
        self.pool_id = pool_id
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.scope = scope
        self.lifetime = lifetime
        self.external_token = access_token
        self.external_expires_at = None if access_token else 0.0  # None: a static token, never renewed

    def fetch(self):
        subject = self._external_token()
        form = {'grant_type': 'urn:ietf:params:oauth:grant-type:token-exchange',
                'subject_token': subject,
                'identity_pool_id': self.pool_id,
                'subject_token_type': 'urn:ietf:params:oauth:token-type:jwt',
                'requested_token_type': 'urn:ietf:params:oauth:token-type:access_token'}
        if self.lifetime:
            form['expires_in'] = str(self.lifetime)
        operation = 'exchange the identity provider\'s token for a Confluent token of identity pool %r' % self.pool_id
        reply = self.client.request('POST', STS_PATH, operation, data=form, headers=FORM_HEADERS, auth=no_auth,
                                    expected=(200,), idempotent=True)
        return _token_of(reply, self.client, operation, 'the token exchange', STS_MAX_LIFETIME)

    def _external_token(self):
        if self.external_expires_at is None or time.monotonic() < self.external_expires_at:
            return self.external_token
        form = {'grant_type': 'client_credentials', 'client_id': self.client_id, 'client_secret': self.client_secret}
        if self.scope:
            form['scope'] = self.scope
        operation = 'get a token from the identity provider at %s for client %r' % (self.token_url, self.client_id)
        # The token URL may carry a query string; the client keeps it.
        path = urlsplit(self.token_url)._replace(scheme='', netloc='').geturl() or '/'
        reply = self.idp_client.request('POST', path, operation, data=form, headers=FORM_HEADERS, auth=no_auth,
                                        expected=(200,), idempotent=True)
        self.external_token, lifetime = _token_of(reply, self.idp_client, operation, 'the identity provider', 3600)
        self.external_expires_at = time.monotonic() + renew_after(lifetime)
        return self.external_token
