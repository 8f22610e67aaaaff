#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: aria_group_mappings
short_description: Make the groups of a VMware Aria Suite Lifecycle appliance and their roles match a list
version_added: 0.1.0
description:
  - Converges the identity-provider groups of an Aria Suite Lifecycle appliance, and the roles mapped to them,
    to O(mappings) in one task. Reads the roles and the current groups once, plans every change, then sends
    only the writes needed.
  - With O(purge=true), every existing group that O(mappings) does not name is removed.
  - Items are identified by O(mappings[].display_name) and O(mappings[].domain); roles are compared as a set.
  - What M(sso.mappings.aria_group_mapping_info) returns can be passed back as O(mappings) unchanged and changes nothing.
options:
  mappings:
    description:
      - The desired groups. Each item is checked like the options of M(sso.mappings.aria_group_mapping);
        an unknown key is an error.
    type: list
    elements: dict
    required: true
    suboptions:
      display_name:
        description:
          - The group's name in the directory.
        type: str
        required: true
      domain:
        description:
          - The group's domain.
        type: str
        required: true
      mapped_roles:
        description:
          - Role names as the appliance lists them, or role vmids. An unknown name fails before any write.
        type: list
        elements: str
      group_type:
        description:
          - The group type. Left alone when omitted.
        type: str
      is_disabled:
        description:
          - Whether the group is disabled. Left alone when omitted.
        type: bool
      provider_identifier:
        description:
          - The identity provider's id. Left alone when omitted.
        type: str
      group_metadata:
        description:
          - Directory metadata; keys given are set, others left alone.
        type: dict
        suboptions:
          distinguished_name:
            description:
              - The group's distinguished name.
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
          - Read-only, ignored.
        type: str
      state:
        description:
          - V(absent) removes this group when it exists.
        type: str
        choices: [present, absent]
        default: present
  purge:
    description:
      - Remove every existing group that O(mappings) does not name.
      - Nothing is removed unless the current groups could be read completely.
    type: bool
    default: false
extends_documentation_fragment:
  - sso.mappings.aria
  - sso.mappings.connection
  - sso.mappings.safe_apply
  - sso.mappings.attributes
  - sso.mappings.attributes.ARIA
seealso:
  - module: sso.mappings.aria_group_mapping
  - module: sso.mappings.aria_group_mapping_info
author:
  - sso.mappings contributors (!UNKNOWN)
'''

EXAMPLES = r'''
- name: Exactly these groups on the appliance
  sso.mappings.aria_group_mappings:
    base_url: https://lcm.example.com
    username: admin@local
    password: "{{ vault_aria_password }}"
    ca_path: /etc/pki/corp-ca.pem
    purge: true
    mappings:
      - display_name: lcm-admins
        domain: example.com
        mapped_roles: [LCM Cloud Admin]
      - display_name: lcm-operators
        domain: example.com
        mapped_roles: [Content Developer, Certificate Administrator]
  delegate_to: localhost

# Credentials may also come from ARIA_LCM_USERNAME and ARIA_LCM_PASSWORD in the environment of
# ansible-playbook. Prefer that, or the options above, to the task keyword 'environment': at -vvvv
# Ansible prints a task's environment, password included.

- name: Plan in check mode, never deleting more than 5 groups
  sso.mappings.aria_group_mappings:
    purge: true
    max_deletions: 5
    mappings: "{{ aria_group_mappings }}"
  check_mode: true
  delegate_to: localhost
  register: plan

- name: Apply exactly the plan reviewed above; if anything changed since, fail and write nothing
  sso.mappings.aria_group_mappings:
    purge: true
    max_deletions: 5
    mappings: "{{ aria_group_mappings }}"
    plan_fingerprint: "{{ plan.plan_fingerprint }}"
  delegate_to: localhost
'''

RETURN = r'''
changes:
  description: Every change made (or that would be made, in check mode), sorted by key.
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description: V(create), V(update) or V(delete).
      type: str
    key:
      description: The group as V(display_name@domain).
      type: str
    before:
      description: The group before the change; empty for a create.
      type: dict
    after:
      description: The group after the change; empty for a delete.
      type: dict
summary:
  description: How many groups were created, updated, deleted or left unchanged.
  returned: always
  type: dict
  sample: {created: 2, updated: 0, deleted: 1, unchanged: 10}
mappings:
  description: The appliance's groups after the task (predicted in check mode), sorted by V(display_name@domain).
  returned: success
  type: list
  elements: dict
  contains:
    vmid:
      description: The group's id; not known in check mode for a group that would be added.
      type: str
    display_name:
      description: The group's name.
      type: str
    domain:
      description: The group's domain.
      type: str
    mapped_roles:
      description: The role names, sorted.
      type: list
      elements: str
failures:
  description: The changes that failed, with the API's message; the other changes were applied.
  returned: when some changes failed
  type: list
  elements: dict
plan_fingerprint:
  description:
    - The SHA-256 (hexadecimal) of the plan's provider, target and changes; the same in check mode and in the real
      run on the same state. Pass it as O(plan_fingerprint) to apply exactly this plan. The notes say how to
      recompute it.
  returned: success, and when O(max_deletions), O(allow_empty_purge) or O(plan_fingerprint) refuse the plan
  type: str
  sample: 9d4c3b7f1e0a5b2c8d6e4f1a3b5c7d9e0f2a4c6e8b1d3f5a7c9e0b2d4f6a8c1e
diff:
  description: The affected groups before and after, keyed by V(display_name@domain), in the returned shape.
  returned: in diff mode
  type: dict
'''

from ansible_collections.sso.mappings.plugins.module_utils._aria import MODULES


def main():
    MODULES.run_set()


if __name__ == '__main__':
    main()
