# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""Confluent Cloud SSO group mappings (``/iam/v2/sso/group-mappings``)."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from ansible_collections.sso.mappings.plugins.module_utils._adapter import MappingApi
from ansible_collections.sso.mappings.plugins.module_utils._auth import STS_MAX_LIFETIME, BearerAuth, IdentityPoolAuth
from ansible_collections.sso.mappings.plugins.module_utils._client import Client
from ansible_collections.sso.mappings.plugins.module_utils._confluent_role_bindings import (
    RoleBindings,
    items_of,
    next_page,
    same_bindings,
    sort_bindings,
    within,
)
from ansible_collections.sso.mappings.plugins.module_utils._connection import Connection, CredentialMethod
from ansible_collections.sso.mappings.plugins.module_utils._errors import ApiError, InputError
from ansible_collections.sso.mappings.plugins.module_utils._reconcile import CREATE
from ansible_collections.sso.mappings.plugins.module_utils._runner import ProviderModules
from ansible_collections.sso.mappings.plugins.module_utils._validation import check_text, where_label

try:
    from requests.auth import HTTPBasicAuth
except ImportError:  # pragma: no cover - reported by the module
    HTTPBasicAuth = None

PATH = '/iam/v2/sso/group-mappings'
PAGE_SIZE = 100  # the largest page the API allows
EDITABLE_FIELDS = ('display_name', 'description', 'filter')


def check_options(params):
    """The options of the Confluent modules beyond the connection."""
    wait = params.get('role_bindings_wait') or 0
    if wait < 0:
        raise InputError('Confluent: role_bindings_wait must be 0 or more seconds, got %d' % wait)
    return {'role_bindings_wait': wait}


OAUTH_ENV = 'CONFLUENT_CLOUD_OAUTH_'
OAUTH_OPTIONS = (
    ('oauth_identity_pool_id', False), ('oauth_external_token_url', False), ('oauth_external_client_id', False),
    ('oauth_external_client_secret', True), ('oauth_external_token_scope', False),
    ('oauth_external_access_token', True), ('oauth_sts_token_expired_in_seconds', False),
)


def oauth_env(name):
    """``oauth_identity_pool_id`` -> ``CONFLUENT_CLOUD_OAUTH_IDENTITY_POOL_ID``."""
    return OAUTH_ENV + name[len('oauth_'):].upper()


def check_oauth(provider, values):
    """One identity pool, and either client credentials at a token URL or a static token."""
    if not values.get('oauth_identity_pool_id'):
        raise InputError('%s: incomplete credentials for OAuth: missing oauth_identity_pool_id (or %s)'
                         % (provider, oauth_env('oauth_identity_pool_id')))
    flow = [name for name in ('oauth_external_token_url', 'oauth_external_client_id', 'oauth_external_client_secret')
            if values.get(name)]
    if values.get('oauth_external_access_token'):
        if flow:
            raise InputError('%s: conflicting credentials: oauth_external_access_token and (%s) are mutually exclusive; '
                             'give a static token or client credentials' % (provider, ', '.join(flow)))
    elif len(flow) < 3:
        missing = [name for name in ('oauth_external_token_url', 'oauth_external_client_id',
                                     'oauth_external_client_secret') if name not in flow]
        raise InputError('%s: incomplete credentials for OAuth: missing %s, or give oauth_external_access_token'
                         % (provider, ', '.join('%s (or %s)' % (name, oauth_env(name)) for name in missing)))
    else:
        url = urlsplit(values['oauth_external_token_url'])
        if url.scheme not in ('http', 'https') or not url.hostname:
            raise InputError('%s: oauth_external_token_url must be an http:// or https:// URL with a host name, got %r'
                             % (provider, values['oauth_external_token_url']))
    lifetime = values.get('oauth_sts_token_expired_in_seconds')
    if lifetime not in (None, ''):
        try:
            lifetime = int(lifetime)
        except (TypeError, ValueError):
            lifetime = 0
        if not 1 <= lifetime <= STS_MAX_LIFETIME:
            raise InputError('%s: oauth_sts_token_expired_in_seconds must be from 1 to %d seconds, got %r'
                             % (provider, STS_MAX_LIFETIME, values['oauth_sts_token_expired_in_seconds']))
        values['oauth_sts_token_expired_in_seconds'] = lifetime
    return values


def identity_pool_auth(client, settings):
    """The Confluent token of an identity pool; the identity provider gets a client of its own."""
    values = settings.credentials
    idp_client = None
    if values.get('oauth_external_token_url'):
        url = urlsplit(values['oauth_external_token_url'])
        idp_client = Client('Confluent', '%s://%s' % (url.scheme, url.netloc), validate_certs=settings.validate_certs,
                            ca_path=settings.ca_path, timeout=settings.timeout, retries=settings.retries, pool_size=1)
    return IdentityPoolAuth(client, idp_client, values['oauth_identity_pool_id'],
                            token_url=values.get('oauth_external_token_url'),
                            client_id=values.get('oauth_external_client_id'),
                            client_secret=values.get('oauth_external_client_secret'),
                            scope=values.get('oauth_external_token_scope'),
                            access_token=values.get('oauth_external_access_token'),
                            lifetime=values.get('oauth_sts_token_expired_in_seconds'))


CONNECTION = Connection(
    provider='Confluent',
    base_url_env='CONFLUENT_CLOUD_ENDPOINT',
    default_base_url='https://api.confluent.cloud',
    credential_methods=(
        CredentialMethod('a Cloud API key', (
            ('api_key', ('CONFLUENT_CLOUD_API_KEY',), True),
            ('api_secret', ('CONFLUENT_CLOUD_API_SECRET',), True),
        ), lambda client, settings: HTTPBasicAuth(settings.credentials['api_key'], settings.credentials['api_secret'])),
        CredentialMethod('an access token', (
            ('access_token', ('CONFLUENT_CLOUD_ACCESS_TOKEN',), True),
        ), lambda client, settings: BearerAuth(settings.credentials['access_token'])),
        # The names of Confluent's Terraform provider's oauth block; env CONFLUENT_CLOUD_OAUTH_<name without oauth_>.
        CredentialMethod('OAuth through an identity pool', [
            (name, (oauth_env(name),), no_log) + (
                ('int',) if name == 'oauth_sts_token_expired_in_seconds' else ())
            for name, no_log in OAUTH_OPTIONS
        ], identity_pool_auth, optional=[name for name, _no_log in OAUTH_OPTIONS], check=check_oauth),
    ),
    check_options=check_options,
)

MAPPING_OPTIONS = {
    'id': {'type': 'str'},
    'display_name': {'type': 'str'},
    'filter': {'type': 'str'},
    'description': {'type': 'str', 'default': ''},
    'role_bindings': {'type': 'list', 'elements': 'dict', 'options': {
        'role_name': {'type': 'str', 'required': True},
        'crn_pattern': {'type': 'str', 'required': True},
    }},
    # Read-only fields, accepted so that _info output can be fed back unchanged.
    'principal': {'type': 'str'},
    'status': {'type': 'str'},
}

INFO_FILTERS = {
    'id': {'type': 'str'},
    'display_name': {'type': 'str'},
}

BINDINGS_WAIT_OPTION = {'role_bindings_wait': {'type': 'int', 'default': 0}}


def org_crn(raw):
    """``crn://confluent.cloud/organization=<id>`` from a mapping's ``metadata.resource_name``."""
    name = ((raw.get('metadata') or {}).get('resource_name') or '') if isinstance(raw, dict) else ''
    head, sep, _rest = name.partition('/group-mapping=')
    return head if sep and head.startswith('crn://') else None


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
    duplicate_hint = 'Confluent allows one display name on several mappings: name the one you mean by its id'
    read_only = ('id', 'principal', 'status')
    # Bindings cost requests of their own: they are read only for the mappings a run shows or changes them for.
    detail_fields = ('role_bindings',)

    def __init__(self, client, options=None):
        super().__init__(client, options)
        self.known_ids = set()
        self.bindings = RoleBindings(client)

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
                # No length limit here: it is the tenant's, and the API says when a filter is too long.
                desired['filter'] = check_text(item['filter'], 'filter', label, name_like=False)
            if item.get('description') is not None:
                if not isinstance(item['description'], str):
                    raise InputError('%s: description must be a string' % label)
                desired['description'] = item['description']
            if item.get('role_bindings') is not None:
                desired['role_bindings'] = sort_bindings(
                    self._binding(binding, '%s: role_bindings[%d]' % (label, index))
                    for index, binding in enumerate(item['role_bindings']))
        return desired

    @staticmethod
    def _binding(binding, label):
        role_name = check_text(binding.get('role_name'), 'role_name', label, max_length=255,
                               pattern=r'^[A-Za-z][A-Za-z0-9_]*$', pattern_text='a role name such as EnvironmentAdmin')
        crn_pattern = check_text(binding.get('crn_pattern'), 'crn_pattern', label, max_length=1024,
                                 pattern=r'^crn://\S+$', pattern_text='a CRN pattern starting with crn://')
        if role_name is None or crn_pattern is None:
            raise InputError('%s: role_name and crn_pattern are required' % label)
        return {'role_name': role_name, 'crn_pattern': crn_pattern}

    def key(self, item):
        return item.get('display_name') or item.get('id')

    def identity(self, desired):
        if desired.get('id'):
            return ('id', desired['id'])
        return ('display_name', desired['display_name'])

    def identities(self, current):
        return [('id', current.get('id')), ('display_name', current.get('display_name'))]

    def list_current(self, desired=None, purge=False):
        mappings = self._read_all()
        self.known_ids = set(m['id'] for m in mappings if m.get('id'))
        return mappings

    def read_details(self, mappings):
        self.bindings.attach(mappings)

    def target(self):
        # The organization's CRN, as the mappings' metadata names it: unknown while it has none.
        return dict(super().target(), organization=self.bindings.org_crn)

    def _read_all(self):
        raw = self.client.get_all(PATH, 'list group mappings', items_of, next_page(PATH), params={'page_size': PAGE_SIZE})
        for item in raw:
            self.bindings.org_crn = self.bindings.org_crn or org_crn(item)
        return [normalise(item) for item in raw]

    def _check_bindings_scope(self, desired):
        """A binding outside the organization would never be read back, so every run would add it again."""
        org = self.bindings.org_crn
        if org is None:
            return
        for binding in desired.get('role_bindings') or []:
            if not within(binding['crn_pattern'], org):
                raise InputError('%s: role binding %s on %s is outside this organization (%s); check the '
                                 'organization id in crn_pattern' % (where_label(self.provider, None, self.key(desired)),
                                                                     binding['role_name'], binding['crn_pattern'], org))

    def check(self, change):
        desired = change.desired
        if change.action == CREATE:
            label = where_label(self.provider, None, self.key(desired))
            if 'display_name' not in desired:
                raise InputError('%s: no group mapping with id %r exists; give display_name and filter to create one '
                                 '(a new mapping gets its id from the API)' % (label, desired['id']))
            if 'filter' not in desired:
                raise InputError('%s: filter is required to create group mapping %r' % (label, desired['display_name']))
        self._check_bindings_scope(desired)

    def compare(self, desired, current):
        changed = dict((field, desired[field]) for field in EDITABLE_FIELDS
                       if field in desired and desired[field] != current.get(field, ''))
        if 'role_bindings' in desired and not same_bindings(desired['role_bindings'], current.get('role_bindings', [])):
            changed['role_bindings'] = desired['role_bindings']
        return changed

    def predict(self, desired, current=None):
        after = dict(current or {})
        after.update((k, v) for k, v in desired.items() if k in EDITABLE_FIELDS or k == 'role_bindings')
        return after

    def create(self, desired):
        body = dict((k, desired.get(k, '')) for k in EDITABLE_FIELDS)
        operation = 'create group mapping %r' % desired['display_name']
        try:
            reply = self.client.request('POST', PATH, operation, json=body, expected=(200, 201),
                                        landed=lambda: self._find_created(desired))
        except ApiError as error:
            if error.status == 402:
                # 4xx: sent once. The API's own message says the limit; the number is the organization's.
                error.add_hint('The organization has reached its quota of SSO group mappings: delete unused '
                               'mappings or ask Confluent to raise the quota.')
            raise
        answered = None
        if not reply.recovered and isinstance(reply.data, dict) and reply.data.get('id'):
            self.bindings.org_crn = self.bindings.org_crn or org_crn(reply.data)
            answered = normalise(reply.data)
        created = self.written(reply, operation, answered, lambda: self._find_created(desired))
        if 'role_bindings' in desired:
            # A new mapping gets its bindings in the same run.
            try:
                self.bindings.sync(created, [], desired['role_bindings'])
            except ApiError as error:
                error.partial = created  # the mapping exists; its bindings are incomplete
                raise
            created['role_bindings'] = desired['role_bindings']
        return created

    def _find_created(self, desired):
        """After a lost answer: the mapping with this name that was not there before, if any."""
        for mapping in self._read_all():
            if mapping.get('display_name') == desired['display_name'] and mapping.get('id') not in self.known_ids:
                return mapping
        return None

    def update(self, current, desired, changed):
        fields = dict((k, v) for k, v in changed.items() if k in EDITABLE_FIELDS)
        result = self.predict(desired, current)
        if fields:
            operation = 'update group mapping %r (%s)' % (self.key(desired), current['id'])
            reply = self.client.request('PATCH', '%s/%s' % (PATH, current['id']), operation, json=fields,
                                        expected=(200,))
            if isinstance(reply.data, dict) and reply.data.get('id'):
                result = dict(normalise(reply.data), **({'role_bindings': result['role_bindings']}
                                                        if 'role_bindings' in result else {}))
        if 'role_bindings' in changed:
            try:
                self.bindings.sync(current, current.get('role_bindings', []), changed['role_bindings'])
            except ApiError as error:
                if fields:
                    error.partial = dict(result, role_bindings=current.get('role_bindings', []))
                raise
        return result

    def delete(self, current):
        # Bindings first: a binding left behind would grant its role to whoever gets the principal next.
        self.bindings.sync(current, current.get('role_bindings', []), [])
        operation = 'delete group mapping %r (%s)' % (current.get('display_name'), current['id'])
        # A mapping already gone is what we wanted: 404 is success here, and after a lost answer so is
        # whatever the retry meets (a 403 can mean "not found") once the list shows the mapping gone.
        self.client.request('DELETE', '%s/%s' % (PATH, current['id']), operation, expected=(200, 202, 204, 404),
                            landed=lambda: self._gone(current['id']))

    def _gone(self, mapping_id):
        """True once the list no longer holds the mapping, else None (the client's landed check)."""
        return None if any(m.get('id') == mapping_id for m in self._read_all()) else True

    def after_apply(self):
        """Bindings take a while to take effect at Confluent: wait, when asked, once per run."""
        wait = self.options.get('role_bindings_wait') or 0
        if self.bindings.created and wait > 0:
            time.sleep(wait)


MODULES = ProviderModules(CONNECTION, ConfluentGroupMappings, MAPPING_OPTIONS, INFO_FILTERS,
                          identity_required=[['id', 'display_name']], write_options=BINDINGS_WAIT_OPTION,
                          role_variable='confluent_group_mappings')
