#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: confluent_group_mapping_info
short_description: Read Confluent Cloud SSO group mappings
version_added: 0.1.0
description:
  - Returns the SSO group mappings of a Confluent Cloud organization, every page read, optionally filtered,
    each with the role bindings of its principal.
  - The result can be passed unchanged as O(sso.mappings.confluent_group_mappings#module:mappings).
  - Never writes.
options:
  id:
    description:
      - Return only the mapping with this id.
    type: str
  display_name:
    description:
      - Return only mappings with this display name.
    type: str
extends_documentation_fragment:
  - sso.mappings.confluent
  - sso.mappings.connection
  - sso.mappings.attributes.INFO_MODULE
  - sso.mappings.attributes.CONFLUENT
seealso:
  - module: sso.mappings.confluent_group_mappings
author:
  - sso.mappings contributors (!UNKNOWN)
'''

EXAMPLES = r'''
- name: Every group mapping of the organization
  sso.mappings.confluent_group_mapping_info:
    api_key: "{{ confluent_api_key }}"
    api_secret: "{{ confluent_api_secret }}"
  register: result
  delegate_to: localhost

- name: One mapping by name
  sso.mappings.confluent_group_mapping_info:
    display_name: engineering
  register: engineering
  delegate_to: localhost
'''

RETURN = r'''
mappings:
  description: The group mappings, sorted by display name.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The mapping's id.
      type: str
      sample: group-a1b2
    display_name:
      description: The mapping's name.
      type: str
      sample: engineering
    description:
      description: The description.
      type: str
      sample: Engineering team
    filter:
      description: The CEL filter.
      type: str
      sample: '"engineering" in claims.groups'
    principal:
      description: The federated identity the mapping's members act as (the mapping's id); its role bindings name it V(User:<id>).
      type: str
      sample: group-a1b2
    status:
      description: The mapping's state as the API reports it (its C(state) field).
      type: str
      sample: ENABLED
    role_bindings:
      description: The role bindings of the mapping's principal on the organization and every scope below it, sorted.
      type: list
      elements: dict
      sample: [{role_name: EnvironmentAdmin, crn_pattern: 'crn://confluent.cloud/organization=9bb4/environment=env-prod1'}]
'''

from ansible_collections.sso.mappings.plugins.module_utils._confluent import MODULES


def main():
    MODULES.run_info()


if __name__ == '__main__':
    main()
