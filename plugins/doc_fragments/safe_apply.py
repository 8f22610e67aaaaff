# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Safe apply: the blast-radius limit and the plan fingerprint, the same on every set module."""

    DOCUMENTATION = r'''
options:
  max_deletions:
    description:
      - The most mappings the task may delete, with O(purge=true) or O(mappings[].state=absent) alike.
      - A plan that deletes more fails before any write, also in check mode, naming how many it would delete,
        the limit and the first keys. V(0) allows no deletion at all.
      - When not set, there is no limit.
    type: int
  allow_empty_purge:
    description:
      - With O(purge=true) and an empty O(mappings), the plan deletes every existing mapping. Unless this is
        V(true), such a plan fails before any write (also in check mode) when it would delete anything, as an
        empty list is more often a missing or misspelt variable than a wish to remove every access.
    type: bool
    default: false
  plan_fingerprint:
    description:
      - Apply only the plan whose fingerprint is this one, as returned in RV(plan_fingerprint) by an earlier run,
        usually in check mode, whose plan was reviewed.
      - When the plan made now has another fingerprint (the target's mappings or the desired set changed since),
        the task fails before any write, naming both fingerprints and the keys of the planned changes.
      - Also checked in check mode, which then fails where the real run would.
    type: str
notes:
  - >-
    The returned RV(plan_fingerprint) is the SHA-256 (lower-case hexadecimal) of the plan's canonical JSON text:
    the object C({"provider": P, "target": T, "changes": C}) serialised with its keys sorted at every level, the
    separators C(,) and C(:) without white space, and every character beyond ASCII written as C(\uXXXX),
    encoded as ASCII. This is what Python's C(json.dumps) gives with C(sort_keys=True) and
    C(separators=[",", ":"]), and Ansible's C(to_json) filter with the same arguments.
  - >-
    P is V(confluent), V(atlas) or V(aria). T is the target: for Confluent C({"base_url", "organization"}), the
    organization being its CRN C(crn://confluent.cloud/organization=<id>) as the API names it in the mappings'
    metadata, or V(null) while the organization has no group mapping; for Atlas C({"base_url", "org_id",
    "federation_settings_id"}), the ids in lower case (the federation settings id looked up when not given); for
    Aria C({"base_url"}). O(base_url) is taken without a trailing C(/).
  - >-
    C is the list of every planned change as the module returns them in RV(changes), each with exactly
    C(action), C(key), C(before) and C(after), in the order of RV(changes): by C(key), then C(action), then the
    change's own canonical JSON text. A plan without changes has C([]). In check mode RV(changes) is the plan;
    a real run that applied every change returns the same list.
  - The fingerprint is the same in check mode and in the real run on the same state and options, so a plan
    reviewed in check mode (the C(audit) playbook publishes each host's) can be applied with O(plan_fingerprint)
    and nothing else.
'''
