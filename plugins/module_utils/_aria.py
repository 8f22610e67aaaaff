# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""VMware Aria Suite Lifecycle groups and the roles mapped to them (``/lcm/authzn``).

No official machine-readable spec exists for this API, so answers are read tolerantly:
a create may answer 201 with the group or 200 with no body, an update 200 with the group
or 204; when no body comes back the group is read again. A ``displayName`` may come back as
``<name>@<domain>``: that is the group named ``<name>`` in that domain.

VCF 9.1 retires the appliance and this API (Broadcom KB 424807): a 404 on the roles or groups
list means the appliance does not serve it, and the failure says so.
"""

from __future__ import annotations

import threading
from urllib.parse import quote

from ansible_collections.sso.mappings.plugins.module_utils._adapter import MappingApi
from ansible_collections.sso.mappings.plugins.module_utils._connection import Connection, CredentialMethod
from ansible_collections.sso.mappings.plugins.module_utils._errors import ApiError, InputError
from ansible_collections.sso.mappings.plugins.module_utils._runner import ProviderModules
from ansible_collections.sso.mappings.plugins.module_utils._validation import check_text, where_label

try:
    from requests.auth import HTTPBasicAuth
except ImportError:  # pragma: no cover - reported by the module
    HTTPBasicAuth = None

GROUPS_V1 = '/lcm/authzn/api/groups'
GROUPS = '/lcm/authzn/api/v2/groups'
ROLES = '/lcm/authzn/api/v2/roles/external'

CONNECTION = Connection(
    provider='Aria',
    base_url_env='ARIA_LCM_URL',
    validate_certs_env='ARIA_LCM_VALIDATE_CERTS',
    credential_methods=(
        CredentialMethod('a user name and password', (
            ('username', ('ARIA_LCM_USERNAME',), False),
            ('password', ('ARIA_LCM_PASSWORD',), True),
        ), lambda client, settings: HTTPBasicAuth(settings.credentials['username'], settings.credentials['password'])),
    ),
    # 401 and 403 come without a body: say what they mean for this API.
    status_hints={
        401: 'the user name or password was not accepted (local users are written like admin@local)',
        403: 'the user is valid but lacks the Suite Lifecycle administrator role needed to manage groups',
    },
)

METADATA_OPTIONS = {
    'distinguished_name': {'type': 'str'},
    'external_id': {'type': 'str'},
    'additional_meta': {'type': 'list', 'elements': 'str'},
}

MAPPING_OPTIONS = {
    'display_name': {'type': 'str', 'required': True},
    'domain': {'type': 'str', 'required': True},
    'mapped_roles': {'type': 'list', 'elements': 'str'},
    'group_type': {'type': 'str'},
    'is_disabled': {'type': 'bool'},
    'provider_identifier': {'type': 'str'},
    'group_metadata': {'type': 'dict', 'options': METADATA_OPTIONS},
    # Read-only, accepted so that _info output can be fed back unchanged.
    'vmid': {'type': 'str'},
}

RETIRED_HINT = ('%s answered 404: this appliance does not serve the /lcm/authzn API. VCF 9.1 retired it, with the '
                'VMware Aria Suite Lifecycle (VCF Operations fleet management) appliance, for the VCF Fleet Lifecycle '
                'service (Broadcom KB 424807); these modules manage Aria Suite Lifecycle 8.x and VCF 9.0. Otherwise, '
                'check that base_url is the appliance\'s address.')

INFO_FILTERS = {
    'display_name': {'type': 'str'},
    'domain': {'type': 'str'},
}

# API field -> returned field, for the simple fields.
SCALAR_FIELDS = (('groupType', 'group_type'), ('isDisabled', 'is_disabled'), ('providerIdentifier', 'provider_identifier'))
METADATA_FIELDS = (('distinguishedName', 'distinguished_name'), ('externalId', 'external_id'),
                   ('additionalMeta', 'additional_meta'))


def _clean(mapping):
    return dict((k, v) for k, v in mapping.items() if v is not None)


def _metadata(metadata):
    """Group metadata without None values; additional_meta is compared as a set, so it is kept sorted."""
    metadata = _clean(metadata)
    if isinstance(metadata.get('additional_meta'), list):
        metadata['additional_meta'] = sorted(set(str(v) for v in metadata['additional_meta']))
    return metadata


def bare_name(display_name, domain):
    """``eng@example.com`` in domain ``example.com`` is the group ``eng``; a name with another domain after
    its ``@`` is a name of its own and stays as it is."""
    suffix = '@' + (domain or '')
    if domain and len(display_name or '') > len(suffix) and display_name.lower().endswith(suffix.lower()):
        return display_name[:-len(suffix)]
    return display_name


class AriaGroupMappings(MappingApi):
    provider = 'Aria'
    resource = 'group'
    id_field = 'vmid'
    read_only = ('vmid',)

    def __init__(self, client, options=None):
        super().__init__(client, options)
        self._roles = None
        self._roles_lock = threading.Lock()
        # vmid -> displayName as the appliance wrote it, where that was <name>@<domain>: an update sends it
        # back as it came, so that it never renames the group.
        self._written_names = {}

    def _read(self, path, operation, expected=(200,)):
        """A GET of this API; a 404 where a 404 cannot mean "no such group" says the API is not served."""
        try:
            return self.client.request('GET', path, operation, expected=expected)
        except ApiError as error:
            if error.status == 404:
                error.add_hint(RETIRED_HINT % self.client.url(path))
            raise

    # Roles: read once per run, only when needed.
    def roles(self):
        # Writes run in parallel and each may need the roles first: one thread reads them, the others wait.
        with self._roles_lock:
            if self._roles is None:
                reply = self._read(ROLES, 'list external roles')
                roles = reply.data if isinstance(reply.data, list) else []
                self._roles = [r for r in roles if isinstance(r, dict) and r.get('vmid')]
        return self._roles

    def resolve(self, desired, wheres):
        """Role names and vmids become the appliance's role names (one roles request per run, only when
        some item names roles)."""
        for item, where in zip(desired, wheres):
            if item.get('mapped_roles'):
                label = where_label(self.provider, where, self.key(item))
                item['mapped_roles'] = sorted(set(self.resolve_role(r, label) for r in item['mapped_roles']))

    def role_name(self, vmid):
        for role in self.roles():
            if role['vmid'] == vmid:
                return role.get('roleName') or vmid
        return vmid

    def resolve_role(self, value, label):
        for role in self.roles():
            if value in (role.get('roleName'), role['vmid']):
                return role.get('roleName') or role['vmid']
        names = sorted(r.get('roleName') for r in self.roles() if r.get('roleName'))
        raise InputError('%s: unknown role %r in mapped_roles; valid role names: %s'
                         % (label, value, ', '.join(names) or '(the appliance lists none)'))

    def vmid_of(self, name):
        for role in self.roles():
            if name in (role.get('roleName'), role['vmid']):
                return role['vmid']
        return name

    def normalise(self, raw):
        names = []
        for role in raw.get('roleMappings') or raw.get('mappedRoles') or []:
            if isinstance(role, dict):
                names.append(role.get('roleName') or self.role_name(role.get('vmid')))
            elif isinstance(role, str):
                names.append(self.role_name(role))
        display_name = bare_name(raw.get('displayName'), raw.get('domain'))
        if display_name != raw.get('displayName') and raw.get('vmid'):
            self._written_names[raw['vmid']] = raw['displayName']
        mapping = {
            'vmid': raw.get('vmid'),
            'display_name': display_name,
            'domain': raw.get('domain'),
            'mapped_roles': sorted(set(n for n in names if n)),
        }
        for api_name, name in SCALAR_FIELDS:
            mapping[name] = raw.get(api_name)
        metadata = raw.get('groupMetadata')
        if isinstance(metadata, dict):
            mapping['group_metadata'] = _metadata(dict((name, metadata.get(api_name)) for api_name, name in METADATA_FIELDS))
        return _clean(mapping)

    def validate(self, item, where):
        label = where_label(self.provider, where, '%s@%s' % (item.get('display_name'), item.get('domain')))
        desired = {'state': item.get('state') or 'present'}
        for option in ('display_name', 'domain'):
            desired[option] = check_text(item.get(option), option, label, max_length=255)
            if desired[option] is None:
                raise InputError('%s: %s is required' % (label, option))
        if desired['state'] == 'absent':
            return desired
        if item.get('mapped_roles') is not None:
            # Names become canonical in resolve(), once every item has passed its local checks.
            desired['mapped_roles'] = [check_text(r, 'mapped_roles', label) for r in item['mapped_roles']]
        for option in ('group_type', 'provider_identifier'):
            if item.get(option) is not None:
                desired[option] = check_text(item[option], option, label, max_length=255)
        if item.get('is_disabled') is not None:
            desired['is_disabled'] = item['is_disabled']
        metadata = _metadata(dict(item.get('group_metadata') or {}))
        if metadata:
            # No keys given (or all null) leaves the metadata alone, like an omitted option.
            desired['group_metadata'] = metadata
        return desired

    def key(self, item):
        return '%s@%s' % (item.get('display_name'), item.get('domain'))

    def identity(self, desired):
        return ('group', bare_name(desired['display_name'], desired['domain']).lower(), desired['domain'].lower())

    def identities(self, current):
        return [('group', (current.get('display_name') or '').lower(), (current.get('domain') or '').lower())]

    def describe_identity(self, identity):
        return 'group %s@%s' % identity[1:]

    def matches_filters(self, mapping, filters):
        # The whole list is read, so the look-up's matching plays no part; a name filter written
        # <name>@<domain> names the group <name> of that domain, as in the writing modules.
        filters = dict(filters)
        if 'display_name' in filters:
            filters['display_name'] = bare_name(filters['display_name'], mapping.get('domain'))
        return all((mapping.get(name) or '').lower() == value.lower() for name, value in filters.items())

    def list_current(self, desired=None, purge=False):
        if desired is not None and len(desired) == 1 and not purge:
            # One group: the look-up by name reads far less than the whole list.
            return self._by_name(desired[0])
        reply = self._read(GROUPS_V1, 'list groups')
        return [self.normalise(g) for g in _groups(reply.data)]

    def _by_name(self, desired):
        """The groups the look-up by name finds for one desired group. Nothing says whether the appliance finds
        a group written ``<name>@<domain>`` when asked for ``<name>``, or the reverse: when the name as given finds
        no group of this identity, the other spelling is asked too, so that a miss never becomes a duplicate."""
        groups = self._look_up(desired['display_name'])
        if not any(self.identities(g) == [self.identity(desired)] for g in groups):
            bare = bare_name(desired['display_name'], desired['domain'])
            other = '%s@%s' % (bare, desired['domain']) if bare == desired['display_name'] else bare
            groups += self._look_up(other)
        return groups

    def _look_up(self, display_name):
        reply = self.client.request('GET', '%s/name/%s' % (GROUPS, quote(display_name, safe='')),
                                    'look up group %r' % display_name, expected=(200, 404))
        if reply.status == 404:
            # "No such group" only from an appliance that serves this API: the roles list (read once a run,
            # and already read when the item names roles) fails with the reason when it does not.
            self.roles()
            return []
        return [self.normalise(g) for g in _groups(reply.data)]

    def _find(self, desired):
        for group in self._by_name(desired):
            if self.identities(group) == [self.identity(desired)]:
                return group
        return None

    def compare(self, desired, current):
        changed = {}
        for name in ('mapped_roles', 'group_type', 'is_disabled', 'provider_identifier'):
            if name in desired and desired[name] != current.get(name):
                changed[name] = desired[name]
        if 'group_metadata' in desired:
            merged = dict(current.get('group_metadata') or {}, **desired['group_metadata'])
            if merged != (current.get('group_metadata') or {}):
                changed['group_metadata'] = merged
        return changed

    def predict(self, desired, current=None):
        after = dict(current or {})
        after.update((k, v) for k, v in desired.items() if k != 'state')
        if current:
            # The identity matches without regard to case; an update keeps the appliance's spelling
            # (a change of case alone is never planned, so it must not ride along with another change).
            after['display_name'], after['domain'] = current['display_name'], current['domain']
        if current and 'group_metadata' in desired:
            after['group_metadata'] = dict(current.get('group_metadata') or {}, **desired['group_metadata'])
        after.setdefault('mapped_roles', [])
        return after

    def body(self, mapping):
        display_name = self._written_names.get(mapping.get('vmid'), mapping['display_name'])
        body = {'displayName': display_name, 'domain': mapping['domain'],
                'mappedRoles': [self.vmid_of(n) for n in mapping.get('mapped_roles') or []]}
        for api_name, name in SCALAR_FIELDS:
            if mapping.get(name) is not None:
                body[api_name] = mapping[name]
        if mapping.get('group_metadata'):
            body['groupMetadata'] = dict((api_name, mapping['group_metadata'][name])
                                         for api_name, name in METADATA_FIELDS if name in mapping['group_metadata'])
        return body

    def _answer(self, reply, desired, operation):
        # 200 or 204 without a body: read the group again.
        answered = self.normalise(reply.data) if isinstance(reply.data, dict) and reply.data.get('vmid') else None
        return self.written(reply, operation, answered, lambda: self._find(desired))

    def create(self, desired):
        operation = 'create group %s' % self.key(desired)
        reply = self.client.request('POST', GROUPS, operation, json=self.body(self.predict(desired)),
                                    expected=(200, 201), landed=lambda: self._find(desired))
        return self._answer(reply, desired, operation)

    def update(self, current, desired, changed):
        operation = 'update group %s (%s)' % (self.key(desired), current['vmid'])
        # The complete desired mapped_roles travel with every update.
        reply = self.client.request('PATCH', '%s/%s' % (GROUPS, current['vmid']), operation,
                                    json=self.body(self.predict(desired, current)), expected=(200, 204))
        return self._answer(reply, desired, operation)

    def delete(self, current):
        operation = 'delete group %s (%s)' % (self.key(current), current['vmid'])
        self.client.request('DELETE', '%s/%s' % (GROUPS, current['vmid']), operation, expected=(200, 204, 404))


def _groups(data):
    if isinstance(data, dict):
        # Tolerate an envelope around the list.
        data = data.get('groups') or data.get('content') or data.get('results') or []
    return [g for g in data or [] if isinstance(g, dict)]


MODULES = ProviderModules(CONNECTION, AriaGroupMappings, MAPPING_OPTIONS, INFO_FILTERS,
                          role_variable='aria_group_mappings')
