# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""Local checks of user input, with messages that name the option and the item."""

from __future__ import annotations

import re
import unicodedata

from ansible_collections.sso.mappings.plugins.module_utils._errors import InputError


def where_label(provider, where, key=None):
    """``Confluent: mappings[3] (eng-admins)`` - the prefix of every input error."""
    label = provider
    if where:
        label += ': ' + where
        if key:
            label += ' (%s)' % key
    elif key:
        label += ': %s' % key
    return label


def check_text(value, option, label, max_length=None, name_like=True, pattern=None, pattern_text=None):
    """A string option: not blank, within ``max_length``; names may not carry control characters
    or leading/trailing white space (they would never compare equal to what the API keeps)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError('%s: %s must be a string, got %s' % (label, option, type(value).__name__))
    if not value.strip():
        raise InputError('%s: %s must not be empty' % (label, option))
    if max_length is not None and len(value) > max_length:
        raise InputError('%s: %s must be at most %d characters, got %d' % (label, option, max_length, len(value)))
    if name_like:
        if value != value.strip():
            raise InputError('%s: %s %r has leading or trailing white space' % (label, option, value))
        # isprintable() is a fast C check that clears almost every name; the per-character
        # look-up only runs for the rare name it does not clear.
        if not value.isprintable() and any(unicodedata.category(ch) in ('Cc', 'Cf', 'Zl', 'Zp') for ch in value):
            raise InputError('%s: %s %r contains control or invisible characters' % (label, option, value))
    if pattern is not None and not re.match(pattern, value):
        raise InputError('%s: %s %r is not %s' % (label, option, value, pattern_text or 'valid'))
    return value
