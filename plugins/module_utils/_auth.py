# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""How requests authenticate: a fixed bearer token, or OAuth 2.0 client credentials."""

from __future__ import annotations

import threading
import time

from ansible_collections.sso.mappings.plugins.module_utils._errors import ApiError

try:
    from requests.auth import AuthBase, HTTPBasicAuth
except ImportError:  # pragma: no cover - reported by the module with missing_required_lib
    AuthBase = object
    HTTPBasicAuth = None


class BearerAuth(AuthBase):
    """``Authorization: Bearer <token>`` on every request."""

    def __init__(self, token):
        self.token = token

    def __call__(self, request):
        request.headers['Authorization'] = 'Bearer %s' % self.token
        return request


class ClientCredentialsAuth(AuthBase):
    """OAuth 2.0 client credentials: one token per module run, refreshed once it expires or on a 401.

    The token request goes through the same client (retries, TLS, timeout) with HTTP Basic
    client id and secret.
    """

    def __init__(self, client, token_path, client_id, client_secret, operation):
        self.client = client
        self.token_path = token_path
        self.client_id = client_id
        self.client_secret = client_secret
        self.operation = operation
        self.token = None
        self.expires_at = 0.0
        self.lock = threading.RLock()

    def refresh(self, failed=None):
        """Fetch a new token; after a 401 (``failed`` is the rejected request), only when no other
        request has already replaced the token it carried."""
        with self.lock:
            if failed is not None and failed.headers.get('Authorization') != 'Bearer %s' % self.token:
                return
            self._fetch()

    def _fetch(self):
        reply = self.client.request(
            'POST', self.token_path, self.operation, data={'grant_type': 'client_credentials'},
            headers={'Accept': 'application/json', 'Content-Type': 'application/x-www-form-urlencoded'},
            auth=HTTPBasicAuth(self.client_id, self.client_secret), expected=(200,), idempotent=True)
        data = reply.data if isinstance(reply.data, dict) else {}
        if not data.get('access_token'):
            raise ApiError(self.client.provider, self.operation, status=reply.status,
                           detail='the token endpoint answered without an access_token')
        self.token = data['access_token']
        try:
            lifetime = float(data.get('expires_in') or 3600)
        except (TypeError, ValueError):
            lifetime = 3600.0
        # Renew a little early so that a long run never sends a token that expires on the way.
        self.expires_at = time.monotonic() + max(1.0, lifetime - min(60.0, lifetime / 10))

    def __call__(self, request):
        with self.lock:
            if self.token is None or time.monotonic() >= self.expires_at:
                self._fetch()
            token = self.token
        request.headers['Authorization'] = 'Bearer %s' % token
        return request
