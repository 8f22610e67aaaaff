# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""Confluent Cloud role bindings (``/iam/v2/role-bindings``) of SSO group mappings' principals.

A group mapping's bindings name the principal ``User:<mapping id>``; the mapping's own
``principal`` field is the bare id (older mappings have ``pool-`` ids, newer ``group-``).
The list selects one scope by ``crn_pattern``, and a trailing ``/*`` adds the scopes nested
below it (the Confluent CLI's ``--inclusive``). Whether ``<scope>/*`` also returns the scope
itself is not documented beyond the CLI's help text, so both are read and joined by id.
A CRN may come back with ``:`` percent-encoded, so CRNs are compared decoded.
"""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, unquote, urlparse

from ansible_collections.sso.mappings.plugins.module_utils._errors import ApiError

PATH = '/iam/v2/role-bindings'
PAGE_SIZE = 100  # the largest page the API allows
# Up to this many principals, bindings are read per principal; beyond, the whole organization at once.
PER_PRINCIPAL_READS = 10
PROVIDER = 'Confluent'


def principal_of(mapping):
    """``User:<id>``: the principal a group mapping's role bindings name, never a bare id."""
    bare = mapping.get('id') or mapping.get('principal') or ''
    if bare.startswith('User:'):
        bare = bare[len('User:'):]
    return 'User:%s' % bare if bare else None


def crn_key(crn_pattern):
    """A CRN as compared: percent-decoded, so ``%3A`` and ``:`` name the same scope."""
    return unquote(crn_pattern or '')


def binding_key(binding):
    return binding['role_name'], crn_key(binding['crn_pattern'])


def sort_bindings(bindings):
    """Bindings as a sorted list without repeats (two spellings of one CRN count once)."""
    unique = {}
    for binding in bindings:
        unique.setdefault(binding_key(binding), binding)
    return [unique[key] for key in sorted(unique)]


def same_bindings(one, other):
    return set(binding_key(b) for b in one) == set(binding_key(b) for b in other)


def within(crn_pattern, org_crn):
    """Whether a binding's scope is the organization or below it."""
    key = crn_key(crn_pattern)
    return key == org_crn or key.startswith(org_crn + '/')


def items_of(data):
    if not isinstance(data, dict):
        return []
    return [item for item in data.get('data') or [] if isinstance(item, dict)]


def next_page(path):
    """Follow ``metadata.next`` by its page token, so an odd path in the link cannot mislead us."""
    def next_of(data, params):
        link = ((data or {}).get('metadata') or {}).get('next') if isinstance(data, dict) else None
        token = parse_qs(urlparse(link).query).get('page_token') if link else None
        if not token:
            return None
        return path, dict(params or {}, page_token=token[0])
    return next_of


class RoleBindings:
    """The role bindings of one organization's group mappings: read, sync and the landed check."""

    def __init__(self, client):
        self.client = client
        self.org_crn = None  # crn://confluent.cloud/organization=<id>, from the mappings' metadata
        self.ids = {}  # (principal, role_name, decoded crn) -> binding id, for deletes
        self.created = 0
        self._lock = threading.Lock()

    def attach(self, mappings):
        """Set ``role_bindings`` on each mapping: every binding its principal holds in the organization."""
        if not mappings:
            return
        if self.org_crn is None:
            raise ApiError(PROVIDER, 'list role bindings', detail='the group mappings carry no organization CRN '
                           '(metadata.resource_name), so their role bindings cannot be listed')
        principals = sorted(set(principal_of(m) for m in mappings))
        if len(principals) <= PER_PRINCIPAL_READS:
            raw = [b for principal in principals for b in self._read(principal)]
        else:
            raw = self._read()
        held = {}
        for binding in raw:
            held.setdefault(binding.get('principal'), []).append(
                {'role_name': binding.get('role_name'), 'crn_pattern': binding.get('crn_pattern')})
        for mapping in mappings:
            mapping['role_bindings'] = sort_bindings(held.get(principal_of(mapping), []))

    def _read(self, principal=None):
        """Every binding in the organization (of ``principal``): its own scope, then every scope below it."""
        found = {}
        for pattern in (self.org_crn, self.org_crn + '/*'):
            for binding in self._list(pattern, principal):
                found.setdefault(binding.get('id'), binding)
        return [b for b in found.values() if b.get('role_name') and b.get('crn_pattern')]

    def _list(self, crn_pattern, principal=None, role_name=None):
        params = {'crn_pattern': crn_pattern, 'page_size': PAGE_SIZE}
        if principal:
            params['principal'] = principal
        if role_name:
            params['role_name'] = role_name
        raw = self.client.get_all(PATH, 'list role bindings of %s' % (principal or 'the organization'),
                                  items_of, next_page(PATH), params=params)
        with self._lock:
            for binding in raw:
                if binding.get('role_name') and binding.get('crn_pattern'):
                    self.ids[(binding.get('principal'), binding['role_name'], crn_key(binding['crn_pattern']))] = \
                        binding.get('id')
        return raw

    def sync(self, mapping, have, want):
        """Bindings cannot be updated: delete those not wanted, then create the missing ones."""
        principal = principal_of(mapping)
        have_keys = dict((binding_key(b), b) for b in have)
        want_keys = dict((binding_key(b), b) for b in want)
        for key in sorted(set(have_keys) - set(want_keys)):
            role_name, crn = key
            binding_id = self.ids.get((principal, role_name, crn))
            if binding_id:
                # A binding already gone answers 404, or 403 (Confluent's Terraform provider reads a 403 as
                # "not found" here): after a lost answer, the list decides, never the retry's status.
                self.client.request('DELETE', '%s/%s' % (PATH, binding_id),
                                    'delete role binding %s on %s of %s' % (role_name, crn, principal),
                                    expected=(200, 202, 204, 404),
                                    landed=lambda b=have_keys[key]: self._gone(principal, b))
        for key in sorted(set(want_keys) - set(have_keys)):
            body = dict(want_keys[key], principal=principal)
            self.client.request('POST', PATH, 'create role binding %s on %s for %s'
                                % (body['role_name'], body['crn_pattern'], principal), json=body,
                                # 409: an identical binding exists already, which is what we want.
                                expected=(200, 201, 409), landed=lambda b=body: self._landed(b))
            with self._lock:
                self.created += 1

    def _gone(self, principal, binding):
        """After a lost delete answer: True once the principal no longer holds the binding, else None."""
        for held in self._list(binding['crn_pattern'], principal, binding['role_name']):
            if crn_key(held.get('crn_pattern')) == crn_key(binding['crn_pattern']):
                return None
        return True

    def _landed(self, body):
        """After a lost answer: the binding, if the create did land."""
        for binding in self._list(body['crn_pattern'], body['principal'], body['role_name']):
            if crn_key(binding.get('crn_pattern')) == crn_key(body['crn_pattern']):
                return binding
        return None
