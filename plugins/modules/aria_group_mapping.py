#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: aria_group_mapping
short_description: Manage one VMware Aria Suite Lifecycle group and the roles mapped to it
version_added: 0.1.0
description:
  - Adds, updates or removes an identity-provider group in VMware Aria Suite Lifecycle (formerly vRealize Suite
    Lifecycle Manager) together with the Suite Lifecycle roles its members get.
  - The group is identified by O(display_name) and O(domain), found with the appliance's look-up by name.
    A name the appliance shows as V(<name>@<domain>) is the group V(<name>) of that domain; when the name as given
    finds no such group, the other spelling is looked up too, so an appliance that matches names exactly never
    gets a duplicate.
  - O(mapped_roles) are compared as a set; an update sends the complete desired list.
  - To manage every group of an appliance in one task, use M(sso.mappings.aria_group_mappings).
options:
  display_name:
    description:
      - The group's name in the directory, for example V(lcm-admins).
    type: str
    required: true
  domain:
    description:
      - The group's domain, for example V(example.com).
    type: str
    required: true
  mapped_roles:
    description:
      - The roles the group's members get, by name as the appliance lists them (for example V(LCM Cloud Admin))
        or by role vmid.
      - An unknown name fails before any write and lists the valid names.
      - When omitted on an existing group, its roles are left alone; a new group gets none.
    type: list
    elements: str
  group_type:
    description:
      - The group type, for example V(ALL_USERS). Left alone when omitted.
    type: str
  is_disabled:
    description:
      - Whether the group is disabled. Left alone when omitted.
    type: bool
  provider_identifier:
    description:
      - The id of the identity provider the group comes from. Left alone when omitted.
    type: str
  group_metadata:
    description:
      - Directory metadata of the group. Keys given are set; others are left alone.
    type: dict
    suboptions:
      distinguished_name:
        description:
          - The group's distinguished name in the directory.
        type: str
      external_id:
        description:
          - The group's id in the identity provider.
        type: str
      additional_meta:
        description:
          - Further metadata strings.
        type: list
        elements: str
  vmid:
    description:
      - Read-only, ignored. Accepted so that M(sso.mappings.aria_group_mapping_info) output can be passed back.
    type: str
  state:
    description:
      - V(present) adds the group or updates it to match; V(absent) removes it when it exists.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - sso.mappings.aria
  - sso.mappings.connection
  - sso.mappings.attributes
  - sso.mappings.attributes.ARIA
seealso:
  - module: sso.mappings.aria_group_mappings
  - module: sso.mappings.aria_group_mapping_info
author:
  - sso.mappings contributors (!UNKNOWN)
'''

EXAMPLES = r'''
- name: LCM administrators from the corporate directory
  sso.mappings.aria_group_mapping:
    base_url: https://lcm.example.com
    username: admin@local
    password: "{{ vault_aria_password }}"
    ca_path: /etc/pki/corp-ca.pem
    display_name: lcm-admins
    domain: example.com
    mapped_roles:
      - LCM Cloud Admin
  delegate_to: localhost

- name: Remove a group
  sso.mappings.aria_group_mapping:
    display_name: old-operators
    domain: example.com
    state: absent
  delegate_to: localhost
'''

RETURN = r'''
mapping:
  description: The group after the task; an empty dict when it does not exist. In check mode, the prediction.
  returned: success
  type: dict
  contains:
    vmid:
      description: The group's id; not known in check mode for a group that would be added.
      type: str
      returned: when known
      sample: cf8d99a2-3748-486f-b555-6ac64bc9f84c
    display_name:
      description: The group's name.
      type: str
      returned: when the group exists
      sample: lcm-admins
    domain:
      description: The group's domain.
      type: str
      returned: when the group exists
      sample: example.com
    mapped_roles:
      description: The role names, sorted.
      type: list
      elements: str
      returned: when the group exists
      sample: [LCM Cloud Admin]
    group_type:
      description: The group type.
      type: str
      returned: when the appliance reports one
    is_disabled:
      description: Whether the group is disabled.
      type: bool
      returned: when the appliance reports it
    provider_identifier:
      description: The identity provider's id.
      type: str
      returned: when the appliance reports one
    group_metadata:
      description: Directory metadata.
      type: dict
      returned: when the appliance reports it
changes:
  description: What the task changed (or would change, in check mode), as C(action), C(key) (V(display_name@domain)), C(before) and C(after).
  returned: always
  type: list
  elements: dict
  sample: [{action: create, key: lcm-admins@example.com, before: {}, after: {display_name: lcm-admins, domain: example.com, mapped_roles: [LCM Cloud Admin]}}]
summary:
  description: How many groups were created, updated, deleted or left unchanged.
  returned: always
  type: dict
  sample: {created: 1, updated: 0, deleted: 0, unchanged: 0}
diff:
  description:
    - The group before (C(before)) and after (C(after)) the change, in the returned shape;
      an empty dict where it does not exist. The same in check mode.
  returned: in diff mode
  type: dict
  sample:
    before: {display_name: lcm-admins, domain: example.com, mapped_roles: [LCM Cloud Admin]}
    after: {display_name: lcm-admins, domain: example.com, mapped_roles: [Content Developer, LCM Cloud Admin]}
'''

from ansible_collections.sso.mappings.plugins.module_utils._aria import MODULES


def main():
    MODULES.run_one()


if __name__ == '__main__':
    main()
