# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This plugin_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""``sso_groups``: one declaration per identity-provider group, expanded into each host's desired set.

An entry is checked with the collection's one argument-shape check (``_arguments.problems``) against
a spec made of the set modules' own item options, so a platform key accepts exactly what an item of
the host's own list accepts. ``expand`` turns the catalogue into one host's items, in the set
module's item shape; ``duplicates`` finds an identity declared twice on a host.
"""

from __future__ import annotations

import datetime
import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.collections import is_sequence
from ansible.module_utils.common.validation import check_type_list
from jinja2.exceptions import UndefinedError

from ansible_collections.sso.mappings.plugins.module_utils import _arguments, _aria, _atlas, _confluent
from ansible_collections.sso.mappings.plugins.plugin_utils import _cel_groups
from ansible_collections.sso.mappings.plugins.plugin_utils._plain import plain

VARIABLE = 'sso_groups'
MODULES = {'confluent': _confluent.MODULES, 'atlas': _atlas.MODULES, 'aria': _aria.MODULES}
PROVIDERS = tuple(MODULES)
# The field that holds a mapping's name, which defaults to the group's name.
NAME_FIELDS = {'confluent': 'display_name', 'atlas': 'external_group_name', 'aria': 'display_name'}
RESOURCES = {'confluent': 'the Confluent group mapping', 'atlas': 'the Atlas role mapping', 'aria': 'the Aria group'}
DEFAULT_CLAIMS = 'groups'
# A group that expires within this many days is named in a warning.
WARN_DAYS = 14
_DATE = re.compile(r'^[0-9]{4}-[0-9]{2}-[0-9]{2}$')


class CatalogueError(ValueError):
    """The catalogue cannot be expanded; ``problems`` lists every reason."""

    def __init__(self, problems):
        super().__init__('\n'.join(problems))
        self.problems = problems


class _Unresolved:
    """A platform key whose values cannot be templated on this host: they use a variable that only the
    hosts of that platform define (a Confluent organization's id, say). Its own hosts check it."""

    def __repr__(self):
        return 'UNRESOLVED'


UNRESOLVED = _Unresolved()


def catalogue(sso_groups, provider=None):
    """``sso_groups`` as plain data for a host of ``provider`` (None: for no platform, as the review and
    the policy read it), and the problems of the values that cannot be templated for it. Values are
    templated per host as they are read: a platform key that cannot be templated here becomes UNRESOLVED
    (its shape is checked where it can be), and is a problem, naming the group and the key, unless it is
    another provider's (its own hosts check it)."""
    if not isinstance(sso_groups, dict):
        return plain(sso_groups), []
    found, problems = {}, []
    for group in sso_groups:
        try:
            entry = sso_groups[group]
            if not isinstance(entry, dict):
                found[str(group)] = plain(entry)
                continue
        except UndefinedError as error:
            problems.append('%s: %s' % (where(group), error))
            continue
        found[str(group)] = plain_entry = {}
        for key in entry:
            try:
                plain_entry[str(key)] = plain(entry[key])
            except UndefinedError as error:
                if key in PROVIDERS:
                    plain_entry[str(key)] = UNRESOLVED
                if key not in PROVIDERS or key == provider:
                    problems.append('%s.%s: %s' % (where(group), key, error))
    return found, problems


def declared(sso_groups):
    """The catalogue as the access review and the policy read it: whatever host the task runs for."""
    found, problems = catalogue(sso_groups or {})
    if problems:
        raise AnsibleFilterError('sso.mappings: %s' % '; '.join(problems))
    return found


def platform_options(provider):
    """What a platform key takes: the set module's item options without the fields the API sets,
    and the name not required (it defaults to the group's)."""
    modules = MODULES[provider]
    options = dict((name, option) for name, option in modules.mapping_options.items()
                   if name not in modules.api_class.read_only)
    name = NAME_FIELDS[provider]
    options[name] = dict((k, v) for k, v in options[name].items() if k != 'required')
    return options


# The shape of one entry, for _arguments.problems: expires is checked on its own (a date).
ENTRY_OPTIONS = {
    'description': {'type': 'str'},
    'owner': {'type': 'str'},
    'expires': {'type': 'raw'},
    'hosts': {'type': 'list', 'elements': 'str'},
}
ENTRY_OPTIONS.update((provider, {'type': 'dict', 'options': platform_options(provider)}) for provider in PROVIDERS)


def default_filter(group, claims=DEFAULT_CLAIMS):
    """``"<group>" in <claims>``: the group's name as a CEL string literal, escaped so that any name
    (one with a quote or a backslash included) reads back as itself."""
    return '%s in %s' % (cel_string(group), claims)


def cel_string(text):
    """``text`` as a double-quoted CEL string literal."""
    escaped = []
    for char in text:
        if char in '\\"':
            escaped.append('\\' + char)
        elif char == '\n':
            escaped.append('\\n')
        elif char == '\r':
            escaped.append('\\r')
        elif char == '\t':
            escaped.append('\\t')
        elif ord(char) < 0x20 or ord(char) == 0x7f:
            escaped.append('\\x%02x' % ord(char))
        else:
            escaped.append(char)
    return '"%s"' % ''.join(escaped)


def claims_problem(claims):
    """Why ``claims`` cannot be the claims path of a filter (``groups``, ``claims.groups``), or None."""
    if not isinstance(claims, str):
        return 'confluent_groups_claim must be a string, got %s' % _arguments.type_name(claims)
    if claims_path(claims) != claims:
        return ('confluent_groups_claim %r is not a claims path (names joined by dots, such as groups or claims.groups)'
                % claims)
    return None


def claims_path(text):
    """The claims path ``text`` spells (identifiers joined by dots, nothing else), or None."""
    try:
        found = _cel_groups.tokens(text)
    except _cel_groups.FilterNotRead:
        return None
    kinds = [kind for kind, _value in found]
    if not kinds or kinds[0::2] != [_cel_groups.IDENT] * len(kinds[0::2]) or set(kinds[1::2]) - {_cel_groups.DOT} \
            or kinds[-1] != _cel_groups.IDENT:
        return None
    return '.'.join(value for kind, value in found if kind == _cel_groups.IDENT)


def expiry(value):
    """The date of an ``expires`` value (a YAML date, or its ``YYYY-MM-DD`` text), or None when it is not one."""
    if isinstance(value, datetime.datetime):
        return None
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and _DATE.match(value):
        try:
            return datetime.date(int(value[:4]), int(value[5:7]), int(value[8:]))
        except ValueError:
            return None
    return None


def host_list(value):
    """``hosts`` as a list of names: a single name (or names joined by commas) as Ansible reads a list
    option, a number as its text (as Ansible reads a str element)."""
    hosts = check_type_list(value) if isinstance(value, str) else list(value)
    return [str(host) if isinstance(host, (int, float)) else host for host in hosts]


def where(group):
    return '%s.%s' % (VARIABLE, group)


def entry_problems(group, entry, inventory=None):
    """Every problem of one entry. ``inventory`` (provider -> its hosts) also checks ``hosts``."""
    label = where(group)
    if not isinstance(group, str) or not group.strip():
        return ['%s: a group name must be a non-empty string, got %r' % (VARIABLE, group)]
    if entry is None:
        return []
    if not isinstance(entry, dict):
        return ['%s must be a dictionary, got %s' % (label, _arguments.type_name(entry))]
    # A platform key without fields declares the mapping all the same: its required fields are checked.
    checked = dict((k, {} if k in PROVIDERS and v is None else v) for k, v in entry.items() if v is not UNRESOLVED)
    found = _arguments.problems(ENTRY_OPTIONS, checked, label)
    if entry.get('expires') is not None and expiry(entry['expires']) is None:
        found.append('%s: expires must be a date (YYYY-MM-DD), got %r' % (label, entry['expires']))
    hosts = entry.get('hosts')
    if inventory is not None and (isinstance(hosts, str) or is_sequence(hosts)):
        named = [provider for provider in PROVIDERS if provider in entry]
        known = set(host for provider in named for host in inventory.get(provider) or [])
        for host in host_list(hosts):
            if isinstance(host, str) and host not in known:
                found.append('%s: hosts: %r is in none of the inventory groups of the platforms the entry names (%s)'
                             % (label, host, ', '.join(named) or 'none'))
    return found


def catalogue_problems(catalogue, inventory=None):
    """Every problem of the whole catalogue, each naming the group and the key: ``{group: [problem, ...]}``
    for the groups that have any (the key None: the catalogue itself)."""
    if catalogue is None:
        return {}
    if not isinstance(catalogue, dict):
        return {None: ['%s must be a dictionary of group name to entry, got %s'
                       % (VARIABLE, _arguments.type_name(catalogue))]}
    found = {}
    for group in sorted(catalogue, key=str):
        problems_of_group = entry_problems(group, catalogue[group], inventory)
        if problems_of_group:
            found[group] = problems_of_group
    return found


def _flat(by_group):
    return [problem for group in by_group for problem in by_group[group]]


def _today(today):
    return today or datetime.datetime.now(datetime.timezone.utc).date()


def _targets(entry, provider, provider_hosts):
    """The hosts of ``provider`` an entry goes to: every one, or those its ``hosts`` names."""
    if provider not in entry:
        return []
    if entry.get('hosts') is None:
        return list(provider_hosts)
    wanted = set(host_list(entry['hosts']))
    return [host for host in provider_hosts if host in wanted]


def _item(group, entry, provider, claims, expired):
    """One entry's item for ``provider``, in the set module's item shape."""
    given = dict((k, v) for k, v in (entry.get(provider) or {}).items() if v is not None)
    name_field = NAME_FIELDS[provider]
    item = {name_field: given.pop(name_field, group)}
    if expired:
        if provider == 'aria' and 'domain' in given:
            item['domain'] = given['domain']  # part of an Aria group's identity
        item['state'] = 'absent'
        return item
    item.update(given)
    if provider == 'confluent':
        item.setdefault('filter', default_filter(group, claims))
        item.setdefault('description', entry.get('description') or '')
    return item


def expanded(catalogue, provider, host, provider_hosts, claims=DEFAULT_CLAIMS, today=None, skip=None):
    """``(group, item)`` for every entry that goes to ``host``, sorted by group, and the warnings
    about expired and expiring groups. Raises CatalogueError for a malformed catalogue, unless
    ``skip`` is given: the groups to leave out (those known to be malformed)."""
    if provider not in MODULES:
        raise CatalogueError(['unknown provider %r; expected one of %s' % (provider, ', '.join(PROVIDERS))])
    if skip is None:
        found = _flat(catalogue_problems(catalogue))
        if provider == 'confluent' and claims_problem(claims):
            found.append(claims_problem(claims))
        if found:
            raise CatalogueError(found)
        skip = ()
    if not isinstance(catalogue, dict) or not is_sequence(provider_hosts) or (provider == 'confluent' and claims_problem(claims)):
        return [], []
    today = _today(today)
    items, warnings = [], []
    for group in sorted(catalogue, key=str):
        entry = catalogue[group]
        if (group in skip or not isinstance(entry, dict) or entry.get(provider) is UNRESOLVED
                or host not in _targets(entry, provider, provider_hosts)):
            continue
        expires = expiry(entry['expires']) if entry.get('expires') is not None else None
        days = (expires - today).days if expires else None
        expired = days is not None and days <= 0
        items.append((group, _item(group, entry, provider, claims, expired)))
        if expired:
            warnings.append('%s: group %r expired on %s: its mappings are removed from %s'
                            % (VARIABLE, group, expires.isoformat(), host))
        elif days is not None and days <= WARN_DAYS:
            warnings.append('%s: group %r expires on %s, in %d day%s: its mappings will then be removed from %s'
                            % (VARIABLE, group, expires.isoformat(), days, '' if days == 1 else 's', host))
    return items, warnings


def expand(catalogue, provider, host, provider_hosts, claims=DEFAULT_CLAIMS, today=None):
    """``host``'s items from the catalogue and the warnings (see ``expanded``)."""
    items, warnings = expanded(catalogue, provider, host, provider_hosts, claims, today)
    return [item for _group, item in items], warnings


def identity(provider, item):
    """The identity the modules match an item by: the name (Aria: name and domain, in any case); None
    for an item too malformed to have one (its own check reports it)."""
    if not isinstance(item, dict) or not isinstance(item.get(NAME_FIELDS[provider]), str):
        return None
    if provider == 'aria':
        if not isinstance(item.get('domain'), str):
            return None
        return (item['display_name'].lower(), item['domain'].lower())
    return item[NAME_FIELDS[provider]]


def describe(provider, item):
    name = item[NAME_FIELDS[provider]]
    return '%s %r' % (RESOURCES[provider], '%s@%s' % (name, item['domain']) if provider == 'aria' else name)


def duplicates(group_items, own_items, provider, host):
    """An identity declared twice on ``host``: by a group and the host's own list (its role variable),
    or by two groups. ``group_items`` are ``(group, item)`` pairs as ``expanded`` gives them."""
    variable = MODULES[provider].role_variable
    places = {}
    for group, item in group_items:
        places.setdefault(identity(provider, item), []).append((where(group) + '.' + provider, item))
    for index, item in enumerate(own_items if is_sequence(own_items) else []):
        places.setdefault(identity(provider, item), []).append(('%s[%d]' % (variable, index), item))
    found = []
    for key, declared in places.items():
        if key is None or len(declared) < 2 or not any(place.startswith(VARIABLE + '.') for place, _item in declared):
            continue  # two items of the host's own list are the module's to report
        found.append('%s both declare %s on %s; declare each once' % (
            ' and '.join(place for place, _item in declared), describe(provider, declared[0][1]), host))
    return found


def problems(catalogue, provider, host, inventory, own_items=None, claims=DEFAULT_CLAIMS):
    """What stops ``host`` from being converged with the catalogue: every problem of the catalogue
    (hosts checked against ``inventory``, provider -> its hosts), of the claims path, and every
    identity declared twice on ``host`` (among the well-formed entries)."""
    if catalogue is None:
        return []
    inventory = inventory or {}
    by_group = catalogue_problems(catalogue, inventory)
    found = _flat(by_group)
    if provider == 'confluent' and claims_problem(claims):
        found.append(claims_problem(claims))
    items, _warnings = expanded(catalogue, provider, host, inventory.get(provider) or [], claims, skip=set(by_group))
    return found + duplicates(items, own_items, provider, host)
