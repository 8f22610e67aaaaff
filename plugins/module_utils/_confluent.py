# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""Confluent Cloud SSO group mappings (``/iam/v2/sso/group-mappings``)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from ansible_collections.sso.mappings.plugins.module_utils._client import BearerAuth
from ansible_collections.sso.mappings.plugins.module_utils._errors import ApiError, InputError
from ansible_collections.sso.mappings.plugins.module_utils._module import Connection, CredentialMethod, MappingModule
from ansible_collections.sso.mappings.plugins.module_utils._reconcile import MappingApi
from ansible_collections.sso.mappings.plugins.module_utils._validation import check_text, where_label

try:
    from requests.auth import HTTPBasicAuth
except ImportError:  # pragma: no cover - reported by the module
    HTTPBasicAuth = None

PATH = '/iam/v2/sso/group-mappings'
PAGE_SIZE = 100  # the largest page the API allows
FILTER_MAX_LENGTH = 300
EDITABLE_FIELDS = ('display_name', 'description', 'filter')

CONNECTION = Connection(
    provider='Confluent',
    base_url_env='CONFLUENT_CLOUD_ENDPOINT',
    default_base_url='https://api.confluent.cloud',
    credential_methods=(
        CredentialMethod('a Cloud API key', (
            ('api_key', ('CONFLUENT_CLOUD_API_KEY',), True),
            ('api_secret', ('CONFLUENT_CLOUD_API_SECRET',), True),
        ), lambda client, values: HTTPBasicAuth(values['api_key'], values['api_secret'])),
        CredentialMethod('an access token', (
            ('access_token', ('CONFLUENT_CLOUD_ACCESS_TOKEN',), True),
        ), lambda client, values: BearerAuth(values['access_token'])),
    ),
)

MAPPING_OPTIONS = {
    'id': {'type': 'str'},
    'display_name': {'type': 'str'},
    'filter': {'type': 'str'},
    'description': {'type': 'str', 'default': ''},
    # Read-only fields, accepted so that _info output can be fed back unchanged.
    'principal': {'type': 'str'},
    'status': {'type': 'str'},
}

INFO_FILTERS = {
    'id': {'type': 'str'},
    'display_name': {'type': 'str'},
}


def normalise(raw):
    """A group mapping as the API sends it -> the returned shape (``state`` becomes ``status``)."""
    mapping = {
        'id': raw.get('id'),
        'display_name': raw.get('display_name'),
        'description': raw.get('description') or '',
        'filter': raw.get('filter'),
        'principal': raw.get('principal'),
        'status': raw.get('state'),
    }
    return dict((k, v) for k, v in mapping.items() if v is not None)


class ConfluentGroupMappings(MappingApi):
    provider = 'Confluent'
    resource = 'group mapping'

    def __init__(self, module, client):
        super().__init__(module, client)
        self.known_ids = set()

    def validate(self, item, where):
        label = where_label(self.provider, where, item.get('display_name') or item.get('id'))
        desired = {'state': item.get('state') or 'present'}
        if item.get('id') is not None:
            desired['id'] = check_text(item['id'], 'id', label, max_length=255, pattern=r'^\S+$',
                                       pattern_text='a group mapping id (no white space)')
        if item.get('display_name') is not None:
            desired['display_name'] = check_text(item['display_name'], 'display_name', label, max_length=255)
        if 'id' not in desired and 'display_name' not in desired:
            raise InputError('%s: one of id or display_name is required' % label)
        if desired['state'] == 'present':
            if item.get('filter') is not None:
                desired['filter'] = check_text(item['filter'], 'filter', label, max_length=FILTER_MAX_LENGTH,
                                               name_like=False)
            if item.get('description') is not None:
                if not isinstance(item['description'], str):
                    raise InputError('%s: description must be a string' % label)
                desired['description'] = item['description']
        return desired

    def key(self, item):
        return item.get('display_name') or item.get('id')

    def identity(self, desired):
        if desired.get('id'):
            return ('id', desired['id'])
        return ('display_name', desired['display_name'])

    def identities(self, current):
        return [('id', current.get('id')), ('display_name', current.get('display_name'))]

    def describe_identity(self, identity):
        return '%s %r' % identity

    def list_current(self, desired=None, purge=False):  # pylint: disable=unused-argument
        mappings = self._read_all()
        self.known_ids = set(m['id'] for m in mappings if m.get('id'))
        return mappings

    def _read_all(self):
        raw = self.client.get_all(PATH, 'list group mappings', _items, _next_page, params={'page_size': PAGE_SIZE})
        return [normalise(item) for item in raw]

    def compare(self, desired, current):
        return dict((field, desired[field]) for field in EDITABLE_FIELDS
                    if field in desired and desired[field] != current.get(field, ''))

    def predict(self, desired, current=None):
        after = dict(current or {})
        after.update((k, v) for k, v in desired.items() if k in EDITABLE_FIELDS)
        return after

    def check_create(self, desired):
        label = where_label(self.provider, None, self.key(desired))
        if 'display_name' not in desired:
            raise InputError('%s: no group mapping with id %r exists; give display_name and filter to create one '
                             '(a new mapping gets its id from the API)' % (label, desired['id']))
        if 'filter' not in desired:
            raise InputError('%s: filter is required to create group mapping %r' % (label, desired['display_name']))

    def create(self, desired):
        body = dict((k, desired.get(k, '')) for k in EDITABLE_FIELDS)
        operation = 'create group mapping %r' % desired['display_name']
        reply = self.client.request('POST', PATH, operation, json=body, expected=(200, 201),
                                    landed=lambda: self._find_created(desired))
        if reply.recovered:
            return reply.data
        if isinstance(reply.data, dict) and reply.data.get('id'):
            return normalise(reply.data)
        found = self._find_created(desired)
        if found is None:
            raise ApiError(self.provider, operation, status=reply.status, request_id=reply.request_id,
                           detail='the API accepted the request but the new group mapping cannot be found')
        return found

    def _find_created(self, desired):
        """After a lost answer: the mapping with this name that was not there before, if any."""
        for mapping in self._read_all():
            if mapping.get('display_name') == desired['display_name'] and mapping.get('id') not in self.known_ids:
                return mapping
        return None

    def update(self, current, desired, changed):
        operation = 'update group mapping %r (%s)' % (self.key(desired), current['id'])
        reply = self.client.request('PATCH', '%s/%s' % (PATH, current['id']), operation, json=changed,
                                    expected=(200,))
        if isinstance(reply.data, dict) and reply.data.get('id'):
            return normalise(reply.data)
        return self.predict(desired, current)

    def delete(self, current):
        operation = 'delete group mapping %r (%s)' % (current.get('display_name'), current['id'])
        # A mapping already gone is what we wanted: 404 is success here.
        self.client.request('DELETE', '%s/%s' % (PATH, current['id']), operation, expected=(200, 202, 204, 404))


def _items(data):
    if not isinstance(data, dict):
        return []
    return [item for item in data.get('data') or [] if isinstance(item, dict)]


def _next_page(data, params):
    """Follow ``metadata.next`` by its page token, so an odd path in the link cannot mislead us."""
    link = ((data or {}).get('metadata') or {}).get('next') if isinstance(data, dict) else None
    if not link:
        return None
    token = parse_qs(urlparse(link).query).get('page_token')
    if not token:
        return None
    return PATH, {'page_size': PAGE_SIZE, 'page_token': token[0]}


MODULE = MappingModule(CONNECTION, ConfluentGroupMappings, MAPPING_OPTIONS, INFO_FILTERS,
                       identity_required=[['id', 'display_name']])
