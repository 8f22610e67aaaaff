# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""The adapter interface: what the provider-neutral flow needs from one provider's API."""

from __future__ import annotations

from ansible_collections.sso.mappings.plugins.module_utils._errors import ApiError


class MappingApi:
    """What the shared flow needs from one provider's API. Subclasses implement every method
    that raises NotImplementedError; the others have a default that suits most providers.

    Mappings travel as dicts in the returned shape: snake_case keys, sorted lists, no None values.
    Desired dicts use the same keys; a key absent from a desired dict means "leave it as it is".
    Each kind of check has one home: options in the provider's ``check_options`` (before the
    client exists), one item in ``validate``, look-ups in ``resolve``, and what needs the current
    set in ``check``; ``compare`` only compares.
    """

    provider = 'provider'
    resource = 'mapping'
    id_field = 'id'  # the field that holds the API's id of a mapping
    read_only = ('id',)  # fields the API sets, never part of a desired mapping
    # What to do when several existing mappings answer to one identity.
    duplicate_hint = 'remove the duplicates first'
    # Fields the list does not carry and that cost requests of their own (Confluent's role bindings).
    detail_fields = ()

    def __init__(self, client, options=None):
        self.client = client
        self.options = options or {}  # the provider's own options, checked by its Connection
        self.warnings = []  # what the module warns about, e.g. input sent that the adapter cannot check

    def validate(self, item, where):
        """Check one item locally and return the desired dict; ``where`` is e.g. ``mappings[3]`` or None."""
        raise NotImplementedError

    def resolve(self, desired, wheres):
        """Look-ups that turn validated items into their canonical form (names into ids), once all
        items have passed ``validate``; ``wheres`` are their labels, as ``validate`` got them."""

    def matches_filters(self, mapping, filters):
        """Whether a current mapping passes the ``_info`` module's filters."""
        return all(mapping.get(name) == value for name, value in filters.items())

    def key(self, item):
        """The identity as the user wrote it, shown as ``changes[].key``."""
        raise NotImplementedError

    def identity(self, desired):
        """A hashable identity of a desired item, matched against ``identities(current)``."""
        raise NotImplementedError

    def identities(self, current):
        """Every identity a current mapping can be found by."""
        raise NotImplementedError

    def describe_identity(self, identity):
        return '%s %r' % identity

    def target(self):
        """What the mappings belong to, as the plan fingerprint names it; known once ``list_current`` ran.
        The API's URL here; a provider adds what tells apart two targets behind one URL."""
        return {'base_url': getattr(self.client, 'base_url', None)}

    def list_current(self, desired=None, purge=False):
        """Every mapping in scope, all pages read.

        ``desired`` is None for a read-only listing, else this run's validated desired items: an
        adapter may use them (and ``purge``) to read less, e.g. look one mapping up by name.
        """
        raise NotImplementedError

    def read_details(self, mappings):
        """Add the ``detail_fields`` to these current mappings: those the run shows, compares on a detail
        field or deletes. Called once, after the plan has matched the desired items to the current set."""

    def info_extras(self, mappings, options):
        """What an ``_info`` module returns beside ``mappings``, as its ``info_options`` ask."""
        return {}

    def check(self, change):
        """Raise InputError when a planned create or update cannot be made; it knows the current set now."""

    def compare(self, desired, current):
        """The fields of ``desired`` that differ from ``current``: ``{field: desired value}``."""
        raise NotImplementedError

    def predict(self, desired, current=None):
        """The mapping as it will be once ``desired`` is applied (on top of ``current``)."""
        after = dict(current or {})
        after.update((k, v) for k, v in desired.items() if k != 'state')
        return after

    def written(self, reply, operation, answered, find):
        """What a create or update left behind: ``answered`` (the normalised object the API sent
        back, or None when it sent none), else what ``find()`` reads again. A write the API accepted
        but that cannot be found afterwards is an error, never a guess."""
        if reply.recovered:
            return reply.data  # the answer was lost and the client's landed check found the object
        if answered is not None:
            return answered
        found = find()
        if found is None:
            raise ApiError(self.provider, operation, status=reply.status, request_id=reply.request_id,
                           detail='the API accepted the request but the %s cannot be found afterwards' % self.resource)
        return found

    def create(self, desired):
        raise NotImplementedError

    def update(self, current, desired, changed):
        raise NotImplementedError

    def delete(self, current):
        raise NotImplementedError

    def after_apply(self):
        """Called once after the writes of a real run."""
