# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Connection options that work the same for every provider."""

    DOCUMENTATION = r'''
options:
  ca_path:
    description:
      - A file of PEM CA certificates to trust when verifying the API's certificate, for a private
        CA or a self-signed certificate.
      - Ignored when O(validate_certs=false).
    type: path
  timeout:
    description:
      - Seconds to wait for each answer of the API.
      - A create whose answer does not arrive in time is never sent again blindly; the module
        fails and a second run converges.
    type: float
    default: 30
  retries:
    description:
      - How many times a request is retried after a C(429) or C(5xx) answer or a connection error,
        with exponential backoff and jitter, honouring C(Retry-After) and rate-limit reset headers.
      - A C(429) answer means the API did not process the request, so C(429) answers are retried up to four
        times as often, and the whole module waits as the API asks before sending more.
      - Other C(4xx) answers are never retried.
    type: int
    default: 5
  parallelism:
    description:
      - How many write requests the module sends at the same time.
      - Requests still slow down from the API's rate-limit headers, before the API has to refuse them;
        where the API sends none, they keep to the pace it allowed once it has answered C(429).
    type: int
    default: 8
requirements:
  - requests
notes:
  - 'Run the modules where the API is reachable, normally with C(connection: local) or C(delegate_to: localhost).'
  - Secrets are never logged, also when they come from environment variables.
'''
