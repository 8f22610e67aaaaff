# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """How to reach and authenticate to the Confluent Cloud API."""

    DOCUMENTATION = r'''
options:
  base_url:
    description:
      - The Confluent Cloud API endpoint.
      - If not set, the environment variable E(CONFLUENT_CLOUD_ENDPOINT) is used.
    type: str
    default: https://api.confluent.cloud
  api_key:
    description:
      - The Cloud API key, sent with O(api_secret) as HTTP Basic authentication.
      - If not set, the environment variable E(CONFLUENT_CLOUD_API_KEY) is used.
      - Mutually exclusive with O(access_token). An option given in the task beats every environment variable.
    type: str
  api_secret:
    description:
      - The secret of O(api_key).
      - If not set, the environment variable E(CONFLUENT_CLOUD_API_SECRET) is used.
    type: str
  access_token:
    description:
      - An OAuth access token, sent as a Bearer token, instead of O(api_key) and O(api_secret).
      - If not set, the environment variable E(CONFLUENT_CLOUD_ACCESS_TOKEN) is used.
    type: str
  oauth_identity_pool_id:
    description:
      - Log in with OAuth through this identity pool (for example V(pool-a1b2)), instead of O(api_key) or
        O(access_token), as Confluent's Terraform provider does. The module gets a token from your identity
        provider, exchanges it at Confluent's Security Token Service (C(<base_url>/sts/v1/oauth2/token)) for a
        Confluent token of this pool, and sends that as a Bearer token, renewed before it expires.
      - Give it with O(oauth_external_token_url), O(oauth_external_client_id) and O(oauth_external_client_secret),
        or with O(oauth_external_access_token).
      - If not set, the environment variable E(CONFLUENT_CLOUD_OAUTH_IDENTITY_POOL_ID) is used.
    type: str
  oauth_external_token_url:
    description:
      - Your identity provider's token endpoint, where the module asks for a token with the OAuth 2.0 client
        credentials grant (client id and secret in the form body), for example
        V(https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token) or V(https://<org>.okta.com/oauth2/default/v1/token).
      - It is another origin than O(base_url); O(validate_certs), O(ca_path), O(timeout) and O(retries) apply to it too.
        It is sent only the client credentials, never Confluent's.
      - If not set, the environment variable E(CONFLUENT_CLOUD_OAUTH_EXTERNAL_TOKEN_URL) is used.
    type: str
  oauth_external_client_id:
    description:
      - The client id at your identity provider.
      - If not set, the environment variable E(CONFLUENT_CLOUD_OAUTH_EXTERNAL_CLIENT_ID) is used.
    type: str
  oauth_external_client_secret:
    description:
      - The secret of O(oauth_external_client_id).
      - If not set, the environment variable E(CONFLUENT_CLOUD_OAUTH_EXTERNAL_CLIENT_SECRET) is used.
    type: str
  oauth_external_token_scope:
    description:
      - The scope to ask your identity provider for; Microsoft Entra ID needs V(api://<client id>/.default),
        Okta none.
      - If not set, the environment variable E(CONFLUENT_CLOUD_OAUTH_EXTERNAL_TOKEN_SCOPE) is used.
    type: str
  oauth_external_access_token:
    description:
      - A token your identity provider issued, exchanged as it is, instead of client credentials. It is not renewed,
        so it must stay valid for the whole run.
      - If not set, the environment variable E(CONFLUENT_CLOUD_OAUTH_EXTERNAL_ACCESS_TOKEN) is used.
    type: str
  oauth_sts_token_expired_in_seconds:
    description:
      - How long the Confluent token should live, at most V(900) seconds (the token exchange's default and maximum).
        The module renews it before it expires, so a long run never sends an expired one.
      - If not set, the environment variable E(CONFLUENT_CLOUD_OAUTH_STS_TOKEN_EXPIRED_IN_SECONDS) is used.
    type: int
  validate_certs:
    description:
      - Whether to verify the API's TLS certificate (and the identity provider's, with OAuth). Turning it off is
        reported as a warning.
    type: bool
    default: true
notes:
  - Give one login method, O(api_key) and O(api_secret), or O(access_token), or OAuth through an identity pool.
    Credentials of two methods at once, or a method with a part missing, fail before any request is sent.
  - With OAuth, a failure says which step failed (the identity provider, naming its token URL, or the token
    exchange, naming the pool), with its status and message; no token or secret is ever shown.
'''
