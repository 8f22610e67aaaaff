# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """How to reach and authenticate to a VMware Aria Suite Lifecycle appliance."""

    DOCUMENTATION = r'''
options:
  base_url:
    description:
      - The appliance's URL, for example V(https://lcm.example.com).
      - If not set, the environment variable E(ARIA_LCM_URL) is used.
    type: str
    required: true
  username:
    description:
      - The user, sent with O(password) as HTTP Basic authentication; local users are written like V(admin@local).
      - If not set, the environment variable E(ARIA_LCM_USERNAME) is used.
    type: str
  password:
    description:
      - The password of O(username).
      - If not set, the environment variable E(ARIA_LCM_PASSWORD) is used.
    type: str
  validate_certs:
    description:
      - Whether to verify the appliance's TLS certificate. Appliances often present a certificate signed by a
        private CA or a self-signed one; prefer O(ca_path) to turning verification off.
      - Turning it off is reported as a warning.
      - If not set, the environment variable E(ARIA_LCM_VALIDATE_CERTS) is used.
    type: bool
    default: true
notes:
  - The C(/lcm/authzn) API these modules use is served by VMware Aria Suite Lifecycle 8.x (formerly vRealize Suite
    Lifecycle Manager) and by VMware Cloud Foundation 9.0 "VCF Operations fleet management", as the appliance is
    named there. VCF 9.1 replaces it with a Fleet Lifecycle service that has another API.
  - Role names are those that C(GET /lcm/authzn/api/v2/roles/external) lists, read once per run. Aria Suite Lifecycle
    8.x documents V(LCM Cloud Admin), V(Content Developer), V(Content Release Manager) and V(Certificate Administrator);
    since 8.2 V(LCM Cloud Admin) replaces V(LCM Admin), and VMware Cloud Foundation adds V(VCF Role).
'''
