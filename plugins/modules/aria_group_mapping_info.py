#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: aria_group_mapping_info
short_description: Read the groups of a VMware Aria Suite Lifecycle appliance and their roles
version_added: 0.1.0
description:
  - Returns the identity-provider groups of an Aria Suite Lifecycle appliance with the names of their roles.
  - The result can be passed unchanged as O(sso.mappings.aria_group_mappings#module:mappings).
  - Never writes.
options:
  display_name:
    description:
      - Return only groups with this name (compared without regard to case).
      - V(<name>@<domain>) with the group's own domain is the same as V(<name>), as the appliance may show a name
        either way.
    type: str
  domain:
    description:
      - Return only groups of this domain (compared without regard to case).
    type: str
extends_documentation_fragment:
  - sso.mappings.aria
  - sso.mappings.connection
  - sso.mappings.attributes.INFO_MODULE
  - sso.mappings.attributes.ARIA
seealso:
  - module: sso.mappings.aria_group_mappings
author:
  - sso.mappings contributors (!UNKNOWN)
'''

EXAMPLES = r'''
- name: Every group of the appliance
  sso.mappings.aria_group_mapping_info:
    base_url: https://lcm.example.com
    ca_path: /etc/pki/corp-ca.pem
  register: result
  delegate_to: localhost
'''

RETURN = r'''
mappings:
  description: The groups, sorted by V(display_name@domain).
  returned: always
  type: list
  elements: dict
  contains:
    vmid:
      description: The group's id.
      type: str
      sample: cf8d99a2-3748-486f-b555-6ac64bc9f84c
    display_name:
      description: The group's name.
      type: str
      sample: lcm-admins
    domain:
      description: The group's domain.
      type: str
      sample: example.com
    mapped_roles:
      description: The role names, sorted.
      type: list
      elements: str
      sample: [LCM Cloud Admin]
'''

from ansible_collections.sso.mappings.plugins.module_utils._aria import MODULES


def main():
    MODULES.run_info()


if __name__ == '__main__':
    main()
