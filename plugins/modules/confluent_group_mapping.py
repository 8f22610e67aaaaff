#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: confluent_group_mapping
short_description: Manage one Confluent Cloud SSO group mapping
version_added: 0.1.0
description:
  - Creates, updates or deletes one Confluent Cloud SSO group mapping, which maps the identities of an
    identity-provider group (selected by a CEL O(filter) on the token's claims) to a Confluent principal.
  - The mapping is found by O(id) when given, else by O(display_name). Confluent allows several mappings
    with one display name; when more than one exists the module fails, lists their ids and changes nothing.
  - An update sends a C(PATCH) of the changed fields only. A second identical run reports no change and
    sends no write.
  - To manage every mapping of an organization in one task, use M(sso.mappings.confluent_group_mappings).
options:
  id:
    description:
      - The id of an existing group mapping (for example V(group-abc1)). When given, it identifies the
        mapping and O(display_name) may be changed.
    type: str
  display_name:
    description:
      - The name of the group mapping; identifies it when O(id) is not given.
      - Required to create a mapping.
    type: str
  filter:
    description:
      - A CEL expression over the identity token's claims that selects the group's identities,
        for example V("engineering" in claims.groups).
      - Required to create a mapping; when omitted on an existing one it is left alone.
      - Its length limit is the organization's (300 characters unless Confluent raised it), so it is not checked
        locally; an over-long filter fails with the API's own message.
    type: str
  description:
    description:
      - What the mapping is for.
    type: str
    default: ''
  role_bindings:
    description:
      - The role bindings of the mapping's principal (C(User:<id>)), each granting O(role_bindings[].role_name)
        on the resources that O(role_bindings[].crn_pattern) matches.
      - When given, the principal ends up with exactly these bindings on the organization and every scope below
        it (environments, clusters, topics...); when omitted, its bindings are left alone and not even read.
      - CRNs are compared percent-decoded, so a binding the API returns with V(%3A) for V(:) is the same binding.
      - A binding cannot be updated, so a changed one is deleted and created again. A new mapping gets its
        bindings in the same run; deleting a mapping deletes its bindings first.
    type: list
    elements: dict
    suboptions:
      role_name:
        description:
          - The role, for example V(EnvironmentAdmin) or V(CloudClusterAdmin).
        type: str
        required: true
      crn_pattern:
        description:
          - The resources, as a CRN pattern starting with V(crn://), for example
            V(crn://confluent.cloud/organization=<org-id>/environment=env-a1b2c).
        type: str
        required: true
  role_bindings_wait:
    description:
      - Seconds to wait, once, after creating role bindings, because Confluent takes a while to apply them
        (its own tooling waits about 90 seconds). V(0) does not wait.
    type: int
    default: 0
  principal:
    description:
      - Read-only, ignored. Accepted so that M(sso.mappings.confluent_group_mapping_info) output can be passed back.
    type: str
  status:
    description:
      - Read-only, ignored. Accepted so that M(sso.mappings.confluent_group_mapping_info) output can be passed back.
    type: str
  state:
    description:
      - V(present) creates the mapping or updates it to match; V(absent) deletes it when it exists.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - sso.mappings.confluent
  - sso.mappings.connection
  - sso.mappings.attributes
  - sso.mappings.attributes.CONFLUENT
seealso:
  - module: sso.mappings.confluent_group_mappings
  - module: sso.mappings.confluent_group_mapping_info
author:
  - sso.mappings contributors (!UNKNOWN)
'''

EXAMPLES = r'''
- name: Engineering identities get the engineering principal
  sso.mappings.confluent_group_mapping:
    display_name: engineering
    description: Engineering team, from the corporate IdP
    filter: '"engineering" in claims.groups'
    api_key: "{{ confluent_api_key }}"
    api_secret: "{{ confluent_api_secret }}"
  delegate_to: localhost

- name: The engineering group gets EnvironmentAdmin on prod, and nothing else
  sso.mappings.confluent_group_mapping:
    display_name: engineering
    filter: '"engineering" in claims.groups'
    role_bindings:
      - role_name: EnvironmentAdmin
        crn_pattern: crn://confluent.cloud/organization=9bb441c4-edef-46ac-8a41-c49e44a3fd9a/environment=env-prod1
    role_bindings_wait: 90
  delegate_to: localhost

- name: Rename a mapping found by its id (credentials from CONFLUENT_CLOUD_API_KEY / _SECRET)
  sso.mappings.confluent_group_mapping:
    id: group-a1b2
    display_name: platform-engineering
  delegate_to: localhost

- name: Remove a mapping
  sso.mappings.confluent_group_mapping:
    display_name: contractors
    state: absent
  delegate_to: localhost
'''

RETURN = r'''
mapping:
  description: The group mapping after the task; an empty dict when it does not exist. In check mode, the prediction.
  returned: success
  type: dict
  contains:
    id:
      description: The mapping's id. Not known in check mode for a mapping that would be created.
      type: str
      returned: when known
      sample: group-a1b2
    display_name:
      description: The mapping's name.
      type: str
      returned: when the mapping exists
      sample: engineering
    description:
      description: The mapping's description.
      type: str
      returned: when the mapping exists
      sample: Engineering team, from the corporate IdP
    filter:
      description: The CEL filter.
      type: str
      returned: when the mapping exists
      sample: '"engineering" in claims.groups'
    principal:
      description:
        - The federated identity the mapping's members act as, as the API writes it (the mapping's id, without
          a prefix). Its role bindings name it V(User:<id>).
      type: str
      returned: when known
      sample: group-a1b2
    status:
      description: The mapping's state as the API reports it (its C(state) field).
      type: str
      returned: when known
      sample: ENABLED
    role_bindings:
      description: The role bindings of the mapping's principal, sorted.
      type: list
      elements: dict
      returned: when O(role_bindings) was given (a deleted mapping's bindings show in RV(changes[].before))
      sample: [{role_name: EnvironmentAdmin, crn_pattern: 'crn://confluent.cloud/organization=9bb4/environment=env-prod1'}]
changes:
  description: What the task changed (or would change, in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description: V(create), V(update) or V(delete).
      type: str
      sample: update
    key:
      description: The mapping's identity as written in the task (its display name, else its id).
      type: str
      sample: engineering
    before:
      description: The mapping before the change; empty for a create.
      type: dict
    after:
      description: The mapping after the change; empty for a delete.
      type: dict
  sample:
    - action: update
      key: engineering
      before: {id: group-a1b2, display_name: engineering, description: '', filter: '"eng" in claims.groups'}
      after: {id: group-a1b2, display_name: engineering, description: '', filter: '"engineering" in claims.groups'}
summary:
  description: How many mappings were created, updated, deleted or left unchanged.
  returned: always
  type: dict
  sample: {created: 0, updated: 1, deleted: 0, unchanged: 0}
diff:
  description:
    - The mapping before (C(before)) and after (C(after)) the change, in the returned shape;
      an empty dict where it does not exist. The same in check mode.
  returned: in diff mode
  type: dict
  sample:
    before: {id: group-a1b2, display_name: engineering, description: '', filter: '"eng" in claims.groups'}
    after: {id: group-a1b2, display_name: engineering, description: '', filter: '"engineering" in claims.groups'}
'''

from ansible_collections.sso.mappings.plugins.module_utils._confluent import MODULES


def main():
    MODULES.run_one()


if __name__ == '__main__':
    main()
