#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: atlas_role_mapping_info
short_description: Read the federated role mappings of a MongoDB Atlas organization
version_added: 0.1.0
description:
  - Returns the role mappings of an Atlas organization connected to federated authentication, every page read.
  - The result can be passed unchanged as O(sso.mappings.atlas_role_mappings#module:mappings).
  - Never writes.
options:
  external_group_name:
    description:
      - Return only the mapping of this group.
    type: str
  project_names:
    description:
      - Also return RV(projects), the name of every project the mappings name, for people to read (an access
        review, a report). Costs one request per distinct project.
      - The mappings themselves keep C(project_id) either way, so they can be passed back unchanged.
    type: bool
    default: false
extends_documentation_fragment:
  - sso.mappings.atlas
  - sso.mappings.connection
  - sso.mappings.attributes.INFO_MODULE
  - sso.mappings.attributes.ATLAS
seealso:
  - module: sso.mappings.atlas_role_mappings
author:
  - sso.mappings contributors (!UNKNOWN)
'''

EXAMPLES = r'''
- name: Every role mapping of the organization
  sso.mappings.atlas_role_mapping_info:
    org_id: 5f1d7e4b8c9a0b1c2d3e4f50
  register: result
  delegate_to: localhost

- name: The same, with the names of the projects they grant roles on
  sso.mappings.atlas_role_mapping_info:
    org_id: 5f1d7e4b8c9a0b1c2d3e4f50
    project_names: true
  register: result
  delegate_to: localhost
'''

RETURN = r'''
mappings:
  description: The role mappings, sorted by external group name.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The mapping's id.
      type: str
      sample: 65a1b2c3d4e5f60718293a4b
    external_group_name:
      description: The identity-provider group.
      type: str
      sample: data-engineers
    role_assignments:
      description: One element per role, sorted, each with C(role) and either C(org_id) or C(project_id).
      type: list
      elements: dict
      sample: [{role: ORG_MEMBER, org_id: 5f1d7e4b8c9a0b1c2d3e4f50}]
projects:
  description:
    - The name of each project the mappings name, by project id. A project Atlas does not show these credentials
      is left out.
  returned: when O(project_names=true)
  type: dict
  sample: {6a1b2c3d4e5f60718293a4b5: data-platform}
'''

from ansible_collections.sso.mappings.plugins.module_utils._atlas import MODULES


def main():
    MODULES.run_info()


if __name__ == '__main__':
    main()
