# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """How to reach and authenticate to the MongoDB Atlas Administration API, and which organization."""

    DOCUMENTATION = r'''
options:
  base_url:
    description:
      - The Atlas Administration API endpoint.
      - If not set, the environment variable E(MONGODB_ATLAS_BASE_URL) is used.
    type: str
    default: https://cloud.mongodb.com
  client_id:
    description:
      - The client id of a service account (recommended). The module exchanges it with O(client_secret) for an
        access token at C(/api/oauth/token) once per run and refreshes the token once when it expires.
      - If not set, the environment variable E(MONGODB_ATLAS_CLIENT_ID) is used.
    type: str
  client_secret:
    description:
      - The secret of the service account O(client_id).
      - If not set, the environment variable E(MONGODB_ATLAS_CLIENT_SECRET) is used.
    type: str
  public_key:
    description:
      - The public key of a programmatic API key, used with O(private_key) for HTTP Digest authentication.
      - If not set, the environment variable E(MONGODB_ATLAS_PUBLIC_API_KEY), else E(MONGODB_ATLAS_PUBLIC_KEY), is used.
    type: str
  private_key:
    description:
      - The private key of the API key O(public_key).
      - If not set, the environment variable E(MONGODB_ATLAS_PRIVATE_API_KEY), else E(MONGODB_ATLAS_PRIVATE_KEY), is used.
    type: str
  access_token:
    description:
      - A ready access token, sent as a Bearer token.
      - If not set, the environment variable E(MONGODB_ATLAS_ACCESS_TOKEN) is used.
    type: str
  api_version:
    description:
      - The API version date sent in the media type C(application/vnd.atlas.<api_version>+json) of every request.
    type: str
    default: '2023-01-01'
  org_id:
    description:
      - The id (24 hexadecimal digits) of the connected organization whose role mappings are managed.
      - If not set, the environment variable E(MONGODB_ATLAS_ORG_ID) is used.
    type: str
    required: true
  federation_settings_id:
    description:
      - The id of the federation settings the organization is connected to.
      - When omitted it is looked up from C(GET /api/atlas/v2/orgs/{orgId}/federationSettings), one request per run.
    type: str
  validate_certs:
    description:
      - Whether to verify the API's TLS certificate. Turning it off is reported as a warning.
    type: bool
    default: true
notes:
  - Give exactly one of a service account (O(client_id), O(client_secret)), an API key (O(public_key), O(private_key))
    or O(access_token). Options given in the task beat environment variables; credentials of two methods at once,
    or half of a pair, fail before any request is sent.
'''

    # The options of the modules that write (not of atlas_role_mapping_info).
    WRITE = r'''
options:
  allow_unknown_roles:
    description:
      - Send a role outside the collection's list of Atlas roles as written, with a warning that names it and the
        closest known role, instead of failing before any request. For roles Atlas has added since this collection
        was released; Atlas itself then judges the role.
      - Atlas has answered a role it does not accept with HTTP 400 C(INVALID_ATTRIBUTE) and with HTTP 500
        C(UNEXPECTED_ERROR). For a mapping that carries such a role both fail that mapping alone, the 500 is not
        retried, and the message names the role.
      - A role named C(ORG_...) is an organization role and one named C(GROUP_...) a project role; any other goes
        on the organization or project its assignment names.
    type: bool
    default: false
'''
