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
  validate_certs:
    description:
      - Whether to verify the API's TLS certificate. Turning it off is reported as a warning.
    type: bool
    default: true
notes:
  - Give either O(api_key) and O(api_secret), or O(access_token). Credentials of both methods at once, or an
    O(api_key) without its O(api_secret), fail before any request is sent.
'''
