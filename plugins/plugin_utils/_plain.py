# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This plugin_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""Plain values of what the collection's filters are given."""

from __future__ import annotations

from ansible.module_utils.common.collections import is_sequence


def plain(value):
    """Tagged or lazy containers -> plain dicts, lists and scalars (for JSON and YAML output)."""
    if isinstance(value, dict):
        return dict((str(k), plain(v)) for k, v in value.items())
    if is_sequence(value):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)
