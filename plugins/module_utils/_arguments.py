# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""The one check of input shapes against an argument spec, shared by the modules and the roles.

The modules run it on their raw arguments before Ansible's own validation, which would turn a
list given for a string into its Python text, name no item of a list, and (before ansible-core
2.21) fail before it masks the secrets. The roles run it (through the ``mapping_problems``
filter) on their desired set, so a role variable and a module option accept the same input.
"""

from __future__ import annotations

from ansible.module_utils.common.collections import is_sequence
from ansible.module_utils.common.validation import check_type_bool, check_type_dict, check_type_float, check_type_int, check_type_list

# Ansible's own conversions: what the module would accept, a role variable may hold.
_CONVERSIONS = {'bool': check_type_bool, 'int': check_type_int, 'float': check_type_float,
                'list': check_type_list, 'dict': check_type_dict}
_WANTED = {'str': 'a string', 'path': 'a string', 'bool': 'a boolean (true or false)', 'int': 'an integer',
           'float': 'a number', 'list': 'a list', 'dict': 'a dictionary'}
# The fields that name an item in messages, first match wins.
_LABEL_FIELDS = ('display_name', 'external_group_name', 'id')
# The Python type a value of each option type nearly always has: then no conversion needs trying.
_EXACT = {'str': str, 'path': str, 'bool': bool, 'int': int, 'float': float, 'list': list, 'dict': dict}
_SUMMARIES = {}


def problems(spec, params, where=''):
    """Every problem of ``params`` against ``spec``, each naming the option and, in a list, the item.

    At the top level (``where`` empty) unknown keys and required options are left to Ansible,
    whose messages are clear there (and whose internal ``_ansible_*`` keys live there).
    """
    found = []
    _check_options(spec, params, where, found)
    return found


def list_problems(option, value, where):
    """The problems of a list-of-dicts value (a role's desired set) against its option."""
    found = []
    _check_value(option, value, where, found, where)
    return found


def type_name(value):
    if isinstance(value, bool):
        return 'a boolean'
    if isinstance(value, dict):
        return 'a dictionary'
    if is_sequence(value):
        return 'a list'
    if isinstance(value, (int, float)):
        return 'a number'
    return 'a string'


def item_label(item):
    """How an item of a list is named in messages: its name, ``display_name@domain`` for Aria."""
    if not isinstance(item, dict):
        return None
    for key in _LABEL_FIELDS:
        if isinstance(item.get(key), str):
            if key == 'display_name' and isinstance(item.get('domain'), str):
                return '%s@%s' % (item[key], item['domain'])
            return item[key]
    return None


def _summary(spec):
    """The sorted option names and every accepted key of a spec, worked out once per spec: a set of
    10 000 items asks for them 10 000 times."""
    summary = _SUMMARIES.get(id(spec))
    if summary is None or summary[0] is not spec:
        known = set(spec)
        for option in spec.values():
            known.update(option.get('aliases') or [])
        summary = _SUMMARIES[id(spec)] = (spec, sorted(spec), frozenset(known))
    return summary


def _type_problem(value, option):
    kind = option.get('type', 'str')
    if type(value) is _EXACT.get(kind):  # pylint: disable=unidiomatic-typecheck
        wrong = False  # the common case: nothing to convert
    elif kind in ('str', 'path'):
        wrong = isinstance(value, dict) or is_sequence(value)
    elif kind in _CONVERSIONS:
        wrong = isinstance(value, bool) and kind not in ('bool', 'list')
        if not wrong:
            try:
                _CONVERSIONS[kind](value)
            except (TypeError, ValueError):
                wrong = True
        if kind == 'dict' and option.get('options') and not isinstance(value, dict):
            wrong = True
        if kind == 'list' and not is_sequence(value) and (option.get('options') or isinstance(value, dict)):
            wrong = True
    else:
        return None
    if wrong:
        return 'must be %s, got %s' % (_WANTED[kind], type_name(value))
    if option.get('choices') and not is_sequence(value) and value not in option['choices']:
        return 'must be one of %s, got %r' % (', '.join(str(c) for c in option['choices']), value)
    return None


def _check_options(spec, params, where, found):
    if not isinstance(params, dict):
        return
    _spec, names, known = _summary(spec)
    if where and not known.issuperset(params):
        unknown = sorted(str(k) for k in params if k not in known)
        found.append('%s: unknown key%s %s (valid keys: %s)' % (where, 's' if len(unknown) > 1 else '',
                                                                ', '.join(repr(k) for k in unknown), ', '.join(names)))
    for name in names:
        option = spec[name]
        value = _given(params, name, option)
        label = '%s: %s' % (where, name) if where else name
        if value is None:
            if where and option.get('required'):
                found.append('%s is required' % label)
            continue
        _check_value(option, value, label, found, '%s.%s' % (where, name) if where else name)


def _check_value(option, value, label, found, path):
    """``label`` names the value in a message about it; ``path`` prefixes the names of its parts."""
    problem = _type_problem(value, option)
    if problem:
        found.append('%s %s' % (label, problem))
        return
    suboptions = option.get('options')
    if option.get('type') == 'dict' and suboptions:
        _check_options(suboptions, value, path, found)
    elif option.get('type') == 'list':
        for index, element in enumerate(value if is_sequence(value) else []):
            if suboptions:
                before = len(found)
                where = '%s[%d]' % (path, index)
                if not isinstance(element, dict):
                    found.append('%s must be a dictionary, got %s' % (where, type_name(element)))
                    continue
                _check_options(suboptions, element, where, found)
                if len(found) == before:
                    _check_rules(option, element, where, found)
                if len(found) > before and item_label(element):
                    # Rare: say it again naming the item, which only a problem is worth working out.
                    del found[before:]
                    where = '%s (%s)' % (where, item_label(element))
                    _check_options(suboptions, element, where, found)
                    if len(found) == before:
                        _check_rules(option, element, where, found)
            elif option.get('elements'):
                problem = _type_problem(element, {'type': option['elements'], 'choices': option.get('choices')})
                if problem:
                    found.append('%s[%d] %s' % (path, index, problem))


def _check_rules(option, item, where, found):
    """One-of and exclusive sub-options of one item, named with the item's index."""
    given = set(k for k, v in item.items() if v is not None)
    for group in option.get('required_one_of') or []:
        if not given & set(group):
            found.append('%s: one of %s is required' % (where, ', '.join(group)))
    for group in option.get('mutually_exclusive') or []:
        both = [name for name in group if name in given]
        if len(both) > 1:
            found.append('%s: %s are mutually exclusive' % (where, ' and '.join(both)))


def _given(params, name, option):
    if params.get(name) is not None:
        return params[name]
    for alias in option.get('aliases') or []:
        if params.get(alias) is not None:
            return params[alias]
    return None


def as_given(spec):
    """The same options, taken as given, so that Ansible's validation cannot fail before secrets are masked."""
    relaxed = {}
    for name, option in spec.items():
        relaxed[name] = dict((k, v) for k, v in option.items() if k in ('no_log', 'aliases'))
        relaxed[name]['type'] = 'raw'
    return relaxed
