#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: atlas_role_mapping
short_description: Manage one MongoDB Atlas federated authentication role mapping
version_added: 0.1.0
description:
  - Creates, updates or deletes the role mapping of one identity-provider group in an Atlas organization connected
    to federated authentication, so that members of the group get the given organization and project roles.
  - The mapping is identified by O(external_group_name). Role assignments are compared as a set, so their order
    does not matter. An update sends a C(PUT) of the whole mapping.
  - To manage every mapping of an organization in one task, use M(sso.mappings.atlas_role_mappings).
options:
  external_group_name:
    description:
      - The name of the group in the identity provider (1 to 200 characters).
    type: str
    required: true
  role_assignments:
    description:
      - The roles the group gets. Required unless O(state=absent).
      - At least one organization role (C(ORG_...)) is required.
      - Each element holds one role (O(role_assignments[].role)) or several (O(role_assignments[].roles)) on the
        organization (O(role_assignments[].org_id)) or on a project (O(role_assignments[].project_id), or
        O(role_assignments[].project_name)), one of them.
      - The returned mapping always names projects by C(project_id), so it can be passed back unchanged.
    type: list
    elements: dict
    suboptions:
      role:
        description:
          - One role, for example V(ORG_MEMBER) or V(GROUP_READ_ONLY).
          - An C(ORG_...) role without an id applies to O(org_id).
          - It must be one of the roles Atlas accepts in a role mapping, else the task fails before any request,
            naming the closest one and listing the others (unless O(allow_unknown_roles=true)); see
            U(https://www.mongodb.com/docs/atlas/reference/user-roles/).
        type: str
      roles:
        description:
          - Several roles on the same organization or project; a shorthand for one element per role.
        type: list
        elements: str
      org_id:
        description:
          - The organization the role applies to (24 hexadecimal digits). Not allowed with a C(GROUP_...) role.
        type: str
      project_id:
        description:
          - The project the role applies to (24 hexadecimal digits). Not allowed with an C(ORG_...) role.
        type: str
        aliases: [group_id]
      project_name:
        description:
          - The project the role applies to, by its name (1 to 64 characters). Each distinct name is looked up
            once per run with C(GET /api/atlas/v2/groups/byName/{groupName}), before any change; an unknown name
            fails the task with no change made. Not allowed with an C(ORG_...) role.
        type: str
  id:
    description:
      - Read-only, ignored. Accepted so that M(sso.mappings.atlas_role_mapping_info) output can be passed back.
    type: str
  state:
    description:
      - V(present) creates the mapping or updates it to match; V(absent) deletes it when it exists.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - sso.mappings.atlas
  - sso.mappings.atlas.WRITE
  - sso.mappings.connection
  - sso.mappings.attributes
  - sso.mappings.attributes.ATLAS
seealso:
  - module: sso.mappings.atlas_role_mappings
  - module: sso.mappings.atlas_role_mapping_info
author:
  - sso.mappings contributors (!UNKNOWN)
'''

EXAMPLES = r'''
- name: Data engineers are organization members with read-only access to two projects
  sso.mappings.atlas_role_mapping:
    org_id: 5f1d7e4b8c9a0b1c2d3e4f50
    external_group_name: data-engineers
    role_assignments:
      - role: ORG_MEMBER
      - project_id: 6a1b2c3d4e5f60718293a4b5
        roles: [GROUP_READ_ONLY, GROUP_DATA_ACCESS_READ_ONLY]
      - project_id: 6a1b2c3d4e5f60718293a4b6
        role: GROUP_READ_ONLY
    client_id: "{{ atlas_client_id }}"
    client_secret: "{{ atlas_client_secret }}"
  delegate_to: localhost

- name: The same, naming the projects instead of giving their ids
  sso.mappings.atlas_role_mapping:
    org_id: 5f1d7e4b8c9a0b1c2d3e4f50
    external_group_name: data-engineers
    role_assignments:
      - role: ORG_MEMBER
      - project_name: data-platform
        roles: [GROUP_READ_ONLY, GROUP_DATA_ACCESS_READ_ONLY]
      - project_name: analytics
        role: GROUP_READ_ONLY
  delegate_to: localhost

- name: A project role Atlas added after this collection was released (sent as written, with a warning)
  sso.mappings.atlas_role_mapping:
    org_id: 5f1d7e4b8c9a0b1c2d3e4f50
    external_group_name: stream-operators
    allow_unknown_roles: true
    role_assignments:
      - role: ORG_MEMBER
      - project_name: data-platform
        role: GROUP_STREAM_PROCESSING_OPERATOR  # a placeholder for the new role's name
  delegate_to: localhost

- name: Remove the mapping of a retired group
  sso.mappings.atlas_role_mapping:
    external_group_name: legacy-admins
    state: absent
  delegate_to: localhost
'''

RETURN = r'''
mapping:
  description: The role mapping after the task; an empty dict when it does not exist. In check mode, the prediction.
  returned: success
  type: dict
  contains:
    id:
      description: The mapping's id; not known in check mode for a mapping that would be created.
      type: str
      returned: when known
      sample: 65a1b2c3d4e5f60718293a4b
    external_group_name:
      description: The identity-provider group.
      type: str
      returned: when the mapping exists
      sample: data-engineers
    role_assignments:
      description: One element per role, sorted, each with O(role_assignments[].role) and either C(org_id) or C(project_id).
      type: list
      elements: dict
      returned: when the mapping exists
      sample: [{role: ORG_MEMBER, org_id: 5f1d7e4b8c9a0b1c2d3e4f50}, {role: GROUP_READ_ONLY, project_id: 6a1b2c3d4e5f60718293a4b5}]
changes:
  description: What the task changed (or would change, in check mode), as C(action), C(key), C(before) and C(after).
  returned: always
  type: list
  elements: dict
  sample: [{action: create, key: data-engineers, before: {}, after: {external_group_name: data-engineers}}]
summary:
  description: How many mappings were created, updated, deleted or left unchanged.
  returned: always
  type: dict
  sample: {created: 1, updated: 0, deleted: 0, unchanged: 0}
diff:
  description:
    - The mapping before (C(before)) and after (C(after)) the change, in the returned shape;
      an empty dict where it does not exist. The same in check mode.
  returned: in diff mode
  type: dict
  sample: {before: {}, after: {external_group_name: data-engineers, role_assignments: [{role: ORG_MEMBER, org_id: 5f1d7e4b8c9a0b1c2d3e4f50}]}}
'''

from ansible_collections.sso.mappings.plugins.module_utils._atlas import MODULES


def main():
    MODULES.run_one()


if __name__ == '__main__':
    main()
