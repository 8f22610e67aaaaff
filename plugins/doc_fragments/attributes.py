# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """The attributes every module of the collection shares."""

    # Modules that change mappings.
    DOCUMENTATION = r'''
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    details: The same plan, C(changed), C(changes) and C(diff) as a real run, and no write request is sent.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    details: C(diff.before) and C(diff.after) hold the affected mappings in the returned shape, keyed by identity.
    support: full
'''

    # Read-only modules.
    INFO_MODULE = r'''
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    details: This module only reads; it behaves the same in check mode.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: N/A
'''

    CONFLUENT = r'''
options: {}
attributes:
  action_group:
    description: Use C(group/sso.mappings.confluent) in C(module_defaults) to set options once for every Confluent module.
    support: full
    membership:
      - sso.mappings.confluent
'''

    ATLAS = r'''
options: {}
attributes:
  action_group:
    description: Use C(group/sso.mappings.atlas) in C(module_defaults) to set options once for every Atlas module.
    support: full
    membership:
      - sso.mappings.atlas
'''

    ARIA = r'''
options: {}
attributes:
  action_group:
    description: Use C(group/sso.mappings.aria) in C(module_defaults) to set options once for every Aria module.
    support: full
    membership:
      - sso.mappings.aria
'''
