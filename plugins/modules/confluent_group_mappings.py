#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: confluent_group_mappings
short_description: Make a Confluent Cloud organization's SSO group mappings match a list
version_added: 0.1.0
description:
  - Converges the SSO group mappings of a Confluent Cloud organization to O(mappings) in one task.
  - Reads the current mappings once (every page, 100 at a time), plans every change, then sends only the
    writes needed. With O(purge=true), every existing mapping that O(mappings) does not name is deleted.
  - Each item is identified by its O(mappings[].id) when given, else by its O(mappings[].display_name).
    Two items naming one mapping, or a display name shared by several existing mappings, fail before any write.
  - What M(sso.mappings.confluent_group_mapping_info) returns can be passed back as O(mappings) unchanged
    and changes nothing.
options:
  mappings:
    description:
      - The desired group mappings. Each item is checked like the options of
        M(sso.mappings.confluent_group_mapping); an unknown key is an error.
    type: list
    elements: dict
    required: true
    suboptions:
      id:
        description:
          - The id of an existing group mapping. When given, it identifies the mapping and its display name may change.
        type: str
      display_name:
        description:
          - The name of the group mapping; identifies it when O(mappings[].id) is not given. Required to create.
        type: str
      filter:
        description:
          - The CEL filter over the identity token's claims. Required to create. Its length limit is the
            organization's (300 characters unless Confluent raised it), so the API says when a filter is too long.
        type: str
      description:
        description:
          - What the mapping is for.
        type: str
        default: ''
      role_bindings:
        description:
          - The exact role bindings of the mapping's principal C(User:<id>) on the organization and every scope
            below it; left alone when omitted. See M(sso.mappings.confluent_group_mapping) for details.
        type: list
        elements: dict
        suboptions:
          role_name:
            description:
              - The role, for example V(EnvironmentAdmin).
            type: str
            required: true
          crn_pattern:
            description:
              - The resources, as a CRN pattern starting with V(crn://).
            type: str
            required: true
      principal:
        description:
          - Read-only, ignored.
        type: str
      status:
        description:
          - Read-only, ignored.
        type: str
      state:
        description:
          - V(absent) deletes this mapping when it exists.
        type: str
        choices: [present, absent]
        default: present
  role_bindings_wait:
    description:
      - Seconds to wait, once, after creating role bindings (Confluent takes a while to apply them). V(0) does not wait.
    type: int
    default: 0
  purge:
    description:
      - Delete every existing group mapping of the organization that O(mappings) does not name.
      - Nothing is deleted unless the current mappings could be read completely.
    type: bool
    default: false
extends_documentation_fragment:
  - sso.mappings.confluent
  - sso.mappings.connection
  - sso.mappings.safe_apply
  - sso.mappings.attributes
  - sso.mappings.attributes.CONFLUENT
seealso:
  - module: sso.mappings.confluent_group_mapping
  - module: sso.mappings.confluent_group_mapping_info
author:
  - sso.mappings contributors (!UNKNOWN)
'''

EXAMPLES = r'''
- name: Exactly these group mappings, nothing else
  sso.mappings.confluent_group_mappings:
    purge: true
    mappings:
      - display_name: engineering
        filter: '"engineering" in claims.groups'
        description: Engineering team
      - display_name: data-platform
        filter: '"data" in claims.groups || "analytics" in claims.groups'
        role_bindings:
          - role_name: EnvironmentAdmin
            crn_pattern: crn://confluent.cloud/organization=9bb441c4-edef-46ac-8a41-c49e44a3fd9a/environment=env-data1
      - display_name: contractors
        state: absent
    # Secrets as options (no_log) from a vault, or as CONFLUENT_CLOUD_API_KEY / _SECRET in the environment
    # of ansible-playbook itself; the task keyword environment would show them at -vvvv.
    api_key: "{{ vault_confluent_api_key }}"
    api_secret: "{{ vault_confluent_api_secret }}"
  delegate_to: localhost

- name: Set the connection once for every Confluent module
  module_defaults:
    group/sso.mappings.confluent:
      api_key: "{{ vault_confluent_api_key }}"
      api_secret: "{{ vault_confluent_api_secret }}"
  block:
    - name: Read what exists
      sso.mappings.confluent_group_mapping_info:
      register: existing
    - name: Apply it back (changes nothing)
      sso.mappings.confluent_group_mappings:
        mappings: "{{ existing.mappings }}"
  delegate_to: localhost

- name: Plan in check mode, never deleting more than 5 group mappings
  sso.mappings.confluent_group_mappings:
    purge: true
    max_deletions: 5
    mappings: "{{ confluent_group_mappings }}"
  check_mode: true
  delegate_to: localhost
  register: plan

- name: Apply exactly the plan reviewed above; if anything changed since, fail and write nothing
  sso.mappings.confluent_group_mappings:
    purge: true
    max_deletions: 5
    mappings: "{{ confluent_group_mappings }}"
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
      sample: create
    key:
      description: The mapping's identity as written in the task (display name, else id).
      type: str
      sample: engineering
    before:
      description: The mapping before the change; empty for a create.
      type: dict
    after:
      description: The mapping after the change; empty for a delete.
      type: dict
  sample:
    - action: create
      key: engineering
      before: {}
      after: {display_name: engineering, description: Engineering team, filter: '"engineering" in claims.groups'}
summary:
  description: How many mappings were created, updated, deleted or left unchanged.
  returned: always
  type: dict
  contains:
    created:
      description: Mappings created.
      type: int
    updated:
      description: Mappings updated.
      type: int
    deleted:
      description: Mappings deleted.
      type: int
    unchanged:
      description: Items that needed no change.
      type: int
  sample: {created: 1, updated: 0, deleted: 2, unchanged: 17}
mappings:
  description: The organization's group mappings after the task (predicted in check mode), sorted by display name.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: The mapping's id; not known in check mode for a mapping that would be created.
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
      description: The principal the mapping's identities act as.
      type: str
      sample: group-a1b2
    status:
      description: The mapping's state as the API reports it.
      type: str
      sample: ENABLED
    role_bindings:
      description: The role bindings of the mapping's principal, sorted; present when they were read.
      type: list
      elements: dict
failures:
  description: The changes that failed, with the API's message; the other changes were applied.
  returned: when some changes failed
  type: list
  elements: dict
  sample: [{action: create, key: bad-filter, msg: "Confluent: create group mapping 'bad-filter' failed: HTTP 422 ..."}]
plan_fingerprint:
  description:
    - The SHA-256 (hexadecimal) of the plan's provider, target and changes; the same in check mode and in the real
      run on the same state. Pass it as O(plan_fingerprint) to apply exactly this plan. The notes say how to
      recompute it.
  returned: success, and when O(max_deletions), O(allow_empty_purge) or O(plan_fingerprint) refuse the plan
  type: str
  sample: 9d4c3b7f1e0a5b2c8d6e4f1a3b5c7d9e0f2a4c6e8b1d3f5a7c9e0b2d4f6a8c1e
diff:
  description: The affected mappings before and after, keyed by identity, in the returned shape.
  returned: in diff mode
  type: dict
'''

from ansible_collections.sso.mappings.plugins.module_utils._confluent import MODULES


def main():
    MODULES.run_set()


if __name__ == '__main__':
    main()
