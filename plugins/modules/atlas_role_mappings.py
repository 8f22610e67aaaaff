#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: atlas_role_mappings
short_description: Make the federated role mappings of a MongoDB Atlas organization match a list
version_added: 0.1.0
description:
  - Converges the role mappings of an Atlas organization connected to federated authentication to O(mappings)
    in one task. Reads the current mappings once, plans every change, then sends only the writes needed.
  - With O(purge=true), every existing mapping of the organization that O(mappings) does not name is deleted.
  - Items are identified by O(mappings[].external_group_name); role assignments are compared as a set.
  - What M(sso.mappings.atlas_role_mapping_info) returns can be passed back as O(mappings) unchanged and changes nothing.
options:
  mappings:
    description:
      - The desired role mappings. Each item is checked like the options of M(sso.mappings.atlas_role_mapping);
        an unknown key is an error.
    type: list
    elements: dict
    required: true
    suboptions:
      external_group_name:
        description:
          - The name of the group in the identity provider (1 to 200 characters).
        type: str
        required: true
      role_assignments:
        description:
          - The roles the group gets; at least one organization role. Required unless O(mappings[].state=absent).
        type: list
        elements: dict
        suboptions:
          role:
            description:
              - One role; an C(ORG_...) role without an id applies to O(org_id). It must be one of the roles Atlas
                accepts in a role mapping, else the task fails before any request (see O(allow_unknown_roles)).
            type: str
          roles:
            description:
              - Several roles on the same organization or project.
            type: list
            elements: str
          org_id:
            description:
              - The organization the role applies to (24 hexadecimal digits).
            type: str
          project_id:
            description:
              - The project the role applies to (24 hexadecimal digits).
            type: str
            aliases: [group_id]
          project_name:
            description:
              - The project the role applies to, by its name; each distinct name is looked up once per run, and an
                unknown name fails the task before any change. The result names the project by its id.
            type: str
      id:
        description:
          - Read-only, ignored.
        type: str
      state:
        description:
          - V(absent) deletes this mapping when it exists.
        type: str
        choices: [present, absent]
        default: present
  purge:
    description:
      - Delete every existing role mapping of the organization that O(mappings) does not name.
      - Nothing is deleted unless the current mappings could be read completely.
    type: bool
    default: false
extends_documentation_fragment:
  - sso.mappings.atlas
  - sso.mappings.atlas.WRITE
  - sso.mappings.connection
  - sso.mappings.safe_apply
  - sso.mappings.attributes
  - sso.mappings.attributes.ATLAS
seealso:
  - module: sso.mappings.atlas_role_mapping
  - module: sso.mappings.atlas_role_mapping_info
author:
  - sso.mappings contributors (!UNKNOWN)
'''

EXAMPLES = r'''
- name: Exactly these role mappings in the organization
  sso.mappings.atlas_role_mappings:
    org_id: 5f1d7e4b8c9a0b1c2d3e4f50
    purge: true
    mappings:
      - external_group_name: atlas-admins
        role_assignments:
          - role: ORG_OWNER
      - external_group_name: data-engineers
        role_assignments:
          - role: ORG_MEMBER
          - project_id: 6a1b2c3d4e5f60718293a4b5
            roles: [GROUP_READ_ONLY, GROUP_DATA_ACCESS_READ_ONLY]
          - project_name: analytics
            role: GROUP_READ_ONLY
    # Secrets as options (no_log) from a vault, or as MONGODB_ATLAS_CLIENT_ID / _SECRET in the environment
    # of ansible-playbook itself; the task keyword environment would show them at -vvvv.
    client_id: "{{ vault_atlas_client_id }}"
    client_secret: "{{ vault_atlas_client_secret }}"
  delegate_to: localhost

- name: Plan in check mode, never deleting more than 5 role mappings
  sso.mappings.atlas_role_mappings:
    purge: true
    max_deletions: 5
    mappings: "{{ atlas_role_mappings }}"
  check_mode: true
  delegate_to: localhost
  register: plan

- name: Apply exactly the plan reviewed above; if anything changed since, fail and write nothing
  sso.mappings.atlas_role_mappings:
    purge: true
    max_deletions: 5
    mappings: "{{ atlas_role_mappings }}"
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
      description: The external group name.
      type: str
    before:
      description: The mapping before the change; empty for a create.
      type: dict
    after:
      description: The mapping after the change; empty for a delete.
      type: dict
summary:
  description: How many mappings were created, updated, deleted or left unchanged.
  returned: always
  type: dict
  sample: {created: 1, updated: 2, deleted: 0, unchanged: 40}
mappings:
  description: The organization's role mappings after the task (predicted in check mode), sorted by external group name.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: The mapping's id; not known in check mode for a mapping that would be created.
      type: str
    external_group_name:
      description: The identity-provider group.
      type: str
    role_assignments:
      description: One element per role, sorted, each with C(role) and either C(org_id) or C(project_id).
      type: list
      elements: dict
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
  description: The affected mappings before and after, keyed by external group name, in the returned shape.
  returned: in diff mode
  type: dict
'''

from ansible_collections.sso.mappings.plugins.module_utils._atlas import MODULES


def main():
    MODULES.run_set()


if __name__ == '__main__':
    main()
