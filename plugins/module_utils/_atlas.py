# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""MongoDB Atlas federated authentication role mappings of one connected organization."""

from __future__ import annotations

from urllib.parse import quote

from ansible.module_utils.basic import env_fallback

from ansible_collections.sso.mappings.plugins.module_utils._adapter import MappingApi
from ansible_collections.sso.mappings.plugins.module_utils._auth import BearerAuth, ClientCredentialsAuth
from ansible_collections.sso.mappings.plugins.module_utils._connection import Connection, CredentialMethod
from ansible_collections.sso.mappings.plugins.module_utils._errors import ApiError, InputError
from ansible_collections.sso.mappings.plugins.module_utils._runner import ProviderModules
from ansible_collections.sso.mappings.plugins.module_utils._validation import check_text, where_label

try:
    from requests.auth import HTTPDigestAuth
except ImportError:  # pragma: no cover - reported by the module
    HTTPDigestAuth = None

TOKEN_PATH = '/api/oauth/token'
HEX_ID = r'^[0-9a-fA-F]{24}$'
# The roles a role mapping may grant: the enum MongoDB's Atlas Kubernetes operator checks a
# federated-auth role assignment against (the Admin API's postAuthRoleGrants agrees on the ORG_
# ones). Atlas adds roles over time; this is the one place to add them.
ORG_ROLES = (
    'ORG_BILLING_ADMIN', 'ORG_BILLING_READ_ONLY', 'ORG_GROUP_CREATOR', 'ORG_MEMBER', 'ORG_OWNER', 'ORG_READ_ONLY',
    'ORG_STREAM_PROCESSING_ADMIN', 'ORG_TEAM_MEMBERS_ADMIN',
)
PROJECT_ROLES = (
    'GROUP_AUTOMATION_ADMIN', 'GROUP_BACKUP_ADMIN', 'GROUP_BACKUP_MANAGER', 'GROUP_BILLING_ADMIN',
    'GROUP_CHARTS_ADMIN', 'GROUP_CLUSTER_MANAGER', 'GROUP_DATABASE_ACCESS_ADMIN', 'GROUP_DATA_ACCESS_ADMIN',
    'GROUP_DATA_ACCESS_READ_ONLY', 'GROUP_DATA_ACCESS_READ_WRITE', 'GROUP_MONITORING_ADMIN',
    'GROUP_OBSERVABILITY_VIEWER', 'GROUP_OWNER', 'GROUP_READ_ONLY', 'GROUP_SEARCH_INDEX_EDITOR',
    'GROUP_STREAM_PROCESSING_OWNER', 'GROUP_USER_ADMIN',
)
GROUP_NAME_MAX_LENGTH = 200
PROJECT_NAME_MAX_LENGTH = 64  # getGroupByName's groupName
# What Atlas answers for a project name it does not know (or the credentials cannot see).
PROJECT_NOT_FOUND_CODES = ('NOT_IN_GROUP', 'RESOURCE_NOT_FOUND', 'GROUP_NOT_FOUND', 'GROUP_NAME_NOT_FOUND')
API_VERSION = r'^[0-9]{4}-[0-9]{2}-[0-9]{2}$'


class AtlasConnection(Connection):
    def headers(self, settings):
        # Every Atlas call names the API version in its media type; without it the API answers 406.
        return {'Accept': media_type(settings.options['api_version'])}


def media_type(api_version):
    return 'application/vnd.atlas.%s+json' % api_version


def check_options(params):
    """The scope and the API version, before any request."""
    label = 'Atlas'
    org_id = _hex_id(params.get('org_id'), 'org_id', label)
    if org_id is None:
        raise InputError('Atlas: org_id is required (or the environment variable MONGODB_ATLAS_ORG_ID)')
    api_version = params.get('api_version') or '2023-01-01'
    check_text(api_version, 'api_version', label, pattern=API_VERSION, pattern_text='an API version date (YYYY-MM-DD)')
    return {'org_id': org_id, 'api_version': api_version,
            'federation_settings_id': _hex_id(params.get('federation_settings_id'), 'federation_settings_id', label),
            'allow_unknown_roles': bool(params.get('allow_unknown_roles'))}


def _service_account_auth(client, settings):
    values = settings.credentials
    return ClientCredentialsAuth(client, TOKEN_PATH, values['client_id'], values['client_secret'],
                                 'get an access token for service account %r' % values['client_id'])


CONNECTION = AtlasConnection(
    provider='Atlas',
    base_url_env='MONGODB_ATLAS_BASE_URL',
    default_base_url='https://cloud.mongodb.com',
    credential_methods=(
        CredentialMethod('a service account', (
            ('client_id', ('MONGODB_ATLAS_CLIENT_ID',), False),
            ('client_secret', ('MONGODB_ATLAS_CLIENT_SECRET',), True),
        ), _service_account_auth),
        CredentialMethod('an API key', (
            ('public_key', ('MONGODB_ATLAS_PUBLIC_API_KEY', 'MONGODB_ATLAS_PUBLIC_KEY'), True),
            ('private_key', ('MONGODB_ATLAS_PRIVATE_API_KEY', 'MONGODB_ATLAS_PRIVATE_KEY'), True),
        ), lambda client, settings: HTTPDigestAuth(settings.credentials['public_key'], settings.credentials['private_key'])),
        CredentialMethod('an access token', (
            ('access_token', ('MONGODB_ATLAS_ACCESS_TOKEN',), True),
        ), lambda client, settings: BearerAuth(settings.credentials['access_token'])),
    ),
    check_options=check_options,
    extra_options={
        'api_version': {'type': 'str', 'default': '2023-01-01'},
        'org_id': {'type': 'str', 'required': True, 'fallback': (env_fallback, ['MONGODB_ATLAS_ORG_ID'])},
        'federation_settings_id': {'type': 'str'},
    },
)

ROLE_ASSIGNMENT_OPTIONS = {
    'role': {'type': 'str'},
    'roles': {'type': 'list', 'elements': 'str'},
    'org_id': {'type': 'str'},
    'project_id': {'type': 'str', 'aliases': ['group_id']},
    'project_name': {'type': 'str'},
}

MAPPING_OPTIONS = {
    'external_group_name': {'type': 'str', 'required': True},
    'role_assignments': {'type': 'list', 'elements': 'dict', 'options': ROLE_ASSIGNMENT_OPTIONS,
                         'mutually_exclusive': [['role', 'roles'], ['org_id', 'project_id', 'project_name']],
                         'required_one_of': [['role', 'roles']]},
    # Read-only, accepted so that _info output can be fed back unchanged.
    'id': {'type': 'str'},
}

INFO_FILTERS = {
    'external_group_name': {'type': 'str'},
}


def normalise_assignment(raw):
    # Atlas can answer an assignment without a role: it is shown as it is, and since every
    # desired assignment has a role it never equals one, so the mapping is updated.
    assignment = {}
    if raw.get('role'):
        assignment['role'] = raw['role']
    if raw.get('orgId'):
        assignment['org_id'] = raw['orgId']
    if raw.get('groupId'):
        assignment['project_id'] = raw['groupId']
    return assignment


def assignment_key(assignment):
    return (assignment.get('org_id') or '', assignment.get('project_id') or '', assignment.get('role') or '',
            assignment.get('project_name') or '')


def sort_assignments(assignments):
    unique = dict((assignment_key(a), a) for a in assignments)
    return [unique[k] for k in sorted(unique)]


def normalise(raw):
    mapping = {
        'id': raw.get('id'),
        'external_group_name': raw.get('externalGroupName'),
        'role_assignments': sort_assignments(normalise_assignment(a) for a in raw.get('roleAssignments') or []
                                             if isinstance(a, dict)),
    }
    return dict((k, v) for k, v in mapping.items() if v is not None)


def api_body(mapping):
    assignments = []
    for assignment in mapping['role_assignments']:
        item = {'role': assignment['role']}
        if assignment.get('org_id'):
            item['orgId'] = assignment['org_id']
        else:
            item['groupId'] = assignment['project_id']
        assignments.append(item)
    return {'externalGroupName': mapping['external_group_name'], 'roleAssignments': assignments}


class AtlasRoleMappings(MappingApi):
    provider = 'Atlas'
    resource = 'role mapping'

    def __init__(self, client, options=None):
        super().__init__(client, options)
        self.org_id = self.options.get('org_id')
        self.federation_settings_id = self.options.get('federation_settings_id')
        self.media_type = media_type(self.options.get('api_version') or '2023-01-01')
        self.allow_unknown_roles = bool(self.options.get('allow_unknown_roles'))
        self.unknown_roles = set()  # roles outside ORG_ROLES and PROJECT_ROLES this run sends as written

    @property
    def path(self):
        if self.federation_settings_id is None:
            self.federation_settings_id = self._discover_federation_settings()
        return '/api/atlas/v2/federationSettings/%s/connectedOrgConfigs/%s/roleMappings' % (
            self.federation_settings_id, self.org_id)

    def target(self):
        return dict(super().target(), org_id=self.org_id,
                    federation_settings_id=(self.federation_settings_id or '').lower() or None)

    def _discover_federation_settings(self):
        reply = self.client.request('GET', '/api/atlas/v2/orgs/%s/federationSettings' % self.org_id,
                                    'look up the federation settings of organization %s' % self.org_id,
                                    expected=(200,))
        found = reply.data.get('id') if isinstance(reply.data, dict) else None
        if not found:
            raise ApiError(self.provider, 'look up the federation settings of organization %s' % self.org_id,
                           status=reply.status, detail='the answer has no federation settings id; '
                           'set federation_settings_id')
        return found

    def validate(self, item, where):
        label = where_label(self.provider, where, item.get('external_group_name'))
        desired = {'state': item.get('state') or 'present'}
        desired['external_group_name'] = check_text(item.get('external_group_name'), 'external_group_name', label,
                                                    max_length=GROUP_NAME_MAX_LENGTH)
        if desired['external_group_name'] is None:
            raise InputError('%s: external_group_name is required' % label)
        if desired['state'] == 'absent':
            return desired
        if item.get('role_assignments') is None:
            raise InputError('%s: role_assignments is required unless state is absent' % label)
        assignments = []
        for index, element in enumerate(item['role_assignments']):
            assignments.extend(self._assignments(element, '%s: role_assignments[%d]' % (label, index)))
        if not any('org_id' in a for a in assignments):
            raise InputError('%s: role_assignments needs at least one organization role (ORG_...) with an org_id; '
                             'Atlas rejects a mapping without one' % label)
        desired['role_assignments'] = sort_assignments(assignments)
        return desired

    def _assignments(self, element, label):
        if element.get('roles') is not None:
            roles = element['roles']
            if not roles:
                raise InputError('%s: roles must not be empty' % label)
        elif element.get('role') is not None:
            roles = [element['role']]
        else:
            raise InputError('%s: give role or roles' % label)
        org_id = _hex_id(element.get('org_id'), 'org_id', label)
        project_id = _hex_id(element.get('project_id'), 'project_id', label)
        # A project's name becomes its id in resolve(), once every item passed its checks.
        project_name = check_text(element.get('project_name'), 'project_name', label, max_length=PROJECT_NAME_MAX_LENGTH)
        given = [name for name, value in (('org_id', org_id), ('project_id', project_id), ('project_name', project_name))
                 if value]
        if len(given) > 1:
            raise InputError('%s: give one of org_id, project_id and project_name, not %s' % (label, ' and '.join(given)))
        project = {'project_id': project_id} if project_id else {'project_name': project_name} if project_name else None
        result = []
        for role in roles:
            role = self._known_or_allowed(role, label)
            if is_org_role(role, project is not None):
                if project:
                    raise InputError('%s: %s is an organization role and cannot take a %s' % (label, role, given[0]))
                result.append({'role': role, 'org_id': org_id or self.org_id})
            else:
                if org_id:
                    raise InputError('%s: %s is a project role and needs a project_id, not an org_id' % (label, role))
                if not project:
                    raise InputError('%s: %s is a project role, so it needs a project_id or project_name' % (label, role))
                result.append(dict(project, role=role))
        return result

    def _known_or_allowed(self, role, label):
        """A role of the collection's list; another one only with ``allow_unknown_roles``, with a warning."""
        role = check_text(role, 'role', label, max_length=100)
        if role in ORG_ROLES or role in PROJECT_ROLES:
            return role
        if not self.allow_unknown_roles:
            raise InputError(unknown_role_message(role, label))
        if role not in self.unknown_roles:
            self.unknown_roles.add(role)
            self.warnings.append('%s: role %r is not among the Atlas roles this collection knows (the closest is %s); '
                                 'it is sent as written because allow_unknown_roles is true, and Atlas decides '
                                 'whether it accepts it' % (label, role, closest_role(role, cutoff=0)))
        return role

    def _unknown_in(self, mapping):
        """The roles of a mapping that were sent because of ``allow_unknown_roles``."""
        return sorted(set(a['role'] for a in mapping.get('role_assignments') or [] if a.get('role') in self.unknown_roles))

    def _send(self, method, path, operation, mapping, **kwargs):
        """A create or update. Atlas has answered a role it does not accept with 400 INVALID_ATTRIBUTE and with
        500 UNEXPECTED_ERROR: with a role outside the collection's list in the body, both are this mapping's
        failure, a 500 is not retried, and the message names the role."""
        unknown = self._unknown_in(mapping)
        try:
            return self.client.request(method, path, operation, json=api_body(mapping), headers=self._write_headers(),
                                       give_up_on=(500,) if unknown else (), **kwargs)
        except ApiError as error:
            if unknown and (error.status == 500 or (error.status == 400 and error.code == 'INVALID_ATTRIBUTE')):
                error.about_item = True
                error.add_hint('The mapping grants %s, outside the Atlas roles this collection knows (sent because '
                               'allow_unknown_roles is true); Atlas answers a role it does not accept with HTTP 400 '
                               'INVALID_ATTRIBUTE or HTTP 500 UNEXPECTED_ERROR. Check the role names against '
                               'https://www.mongodb.com/docs/atlas/reference/user-roles/.' % ', '.join(unknown))
            raise

    def resolve(self, desired, wheres):
        """Each distinct project name becomes its project's id, with one look-up per name; an unknown name
        fails before any write (before the current set is even read)."""
        named = {}
        for item, where in zip(desired, wheres):
            for assignment in item.get('role_assignments') or []:
                if 'project_name' in assignment:
                    named.setdefault(assignment['project_name'], where_label(self.provider, where, self.key(item)))
        ids = dict((name, self._project_id(name, label)) for name, label in sorted(named.items()))
        for item in desired:
            assignments = item.get('role_assignments') or []
            if any('project_name' in a for a in assignments):
                item['role_assignments'] = sort_assignments(
                    {'role': a['role'], 'project_id': ids[a['project_name']]} if 'project_name' in a else a
                    for a in assignments)

    def info_extras(self, mappings, options):
        """With ``project_names``: ``projects``, the name of every project the mappings name, one request each."""
        if not options.get('project_names'):
            return {}
        ids = sorted(set(a['project_id'] for m in mappings for a in m.get('role_assignments') or [] if a.get('project_id')))
        projects = {}
        for project_id in ids:
            operation = 'read project %s' % project_id
            try:
                reply = self.client.request('GET', '/api/atlas/v2/groups/%s' % project_id, operation, expected=(200,))
            except ApiError as error:
                if error.code in PROJECT_NOT_FOUND_CODES:
                    continue  # gone, or out of these credentials' reach: shown by its id alone
                raise
            if isinstance(reply.data, dict) and reply.data.get('name'):
                projects[project_id] = reply.data['name']
        return {'projects': projects}

    def _project_id(self, name, label):
        operation = 'look up project %r' % name
        try:
            reply = self.client.request('GET', '/api/atlas/v2/groups/byName/%s' % quote(name, safe=''), operation,
                                        expected=(200,))
        except ApiError as error:
            # Atlas says NOT_IN_GROUP for a name it does not know (MongoDB's operator tests it); the status
            # is not documented, and the same answer comes for a project the credentials may not see.
            if error.code in PROJECT_NOT_FOUND_CODES:
                raise InputError('%s: no project named %r in reach of these credentials (Atlas answered HTTP %s %s); '
                                 'check project_name, or give project_id'
                                 % (label, name, error.status, error.code)) from error
            raise
        project = reply.data if isinstance(reply.data, dict) else {}
        if not project.get('id'):
            raise ApiError(self.provider, operation, status=reply.status, detail='the answer has no project id')
        if project.get('orgId') and project['orgId'].lower() != self.org_id:
            raise InputError('%s: project %r belongs to organization %s, not %s' % (label, name, project['orgId'], self.org_id))
        return project['id'].lower()

    def key(self, item):
        return item.get('external_group_name')

    def identity(self, desired):
        return ('external_group_name', desired['external_group_name'])

    def identities(self, current):
        return [('external_group_name', current.get('external_group_name'))]

    def list_current(self, desired=None, purge=False):  # pylint: disable=unused-argument
        raw = self.client.get_all(self.path, 'list role mappings', _items, _next_page)
        return [normalise(item) for item in raw]

    def compare(self, desired, current):
        wanted = desired.get('role_assignments')
        have = current.get('role_assignments') or []
        # Both are sorted already (validate and normalise sort them): sort again only to be sure of a difference.
        if wanted is not None and wanted != have and wanted != sort_assignments(have):
            return {'role_assignments': wanted}
        return {}

    def predict(self, desired, current=None):
        after = dict(current or {})
        after['external_group_name'] = desired['external_group_name']
        if desired.get('role_assignments') is not None:
            after['role_assignments'] = desired['role_assignments']
        return after

    def _write_headers(self):
        return {'Content-Type': self.media_type, 'Accept': self.media_type}

    def create(self, desired):
        name = desired['external_group_name']
        operation = 'create role mapping %r' % name
        try:
            reply = self._send('POST', self.path, operation, desired, expected=(200, 201),
                               landed=lambda: self._find(name))
        except ApiError as error:
            # Atlas answers 400 DUPLICATE_ROLE_MAPPING (409 accepted too) when the name is taken:
            # someone made the mapping after this run read the list.
            if error.code == 'DUPLICATE_ROLE_MAPPING':
                try:
                    existing = self._find(name)
                except ApiError:
                    existing = None  # the original failure is what to report
                error.add_hint('A role mapping for %r exists already%s; it was made after this run read the list: '
                               'run the task again to update it.' % (name, ' (id %s)' % existing['id'] if existing else ''))
            raise
        answered = normalise(reply.data) if isinstance(reply.data, dict) and reply.data.get('id') else None
        return self.written(reply, operation, answered, lambda: self._find(name))

    def _find(self, name):
        for mapping in self.list_current():
            if mapping.get('external_group_name') == name:
                return mapping
        return None

    def update(self, current, desired, changed):
        operation = 'update role mapping %r (%s)' % (desired['external_group_name'], current['id'])
        reply = self._send('PUT', '%s/%s' % (self.path, current['id']), operation, self.predict(desired, current),
                           expected=(200,))
        if isinstance(reply.data, dict) and reply.data.get('id'):
            return normalise(reply.data)
        return self.predict(desired, current)

    def delete(self, current):
        operation = 'delete role mapping %r (%s)' % (current.get('external_group_name'), current['id'])
        self.client.request('DELETE', '%s/%s' % (self.path, current['id']), operation,
                            expected=(200, 202, 204, 404))


def is_org_role(role, on_project):
    """Whether a role is granted on the organization (else on a project). Atlas names organization roles
    ``ORG_...`` and project roles ``GROUP_...``; a role outside the list without either prefix goes where
    the assignment puts it."""
    if role in ORG_ROLES or role.startswith('ORG_'):
        return True
    if role in PROJECT_ROLES or role.startswith('GROUP_'):
        return False
    return not on_project


def closest_role(role, cutoff=0.6):
    """The known role nearest to ``role``, or None when none is near enough."""
    import difflib  # pylint: disable=import-outside-toplevel  # only for a typo: 30 ms a run would spend for nothing
    close = difflib.get_close_matches(role.upper(), ORG_ROLES + PROJECT_ROLES, n=1, cutoff=cutoff)
    return close[0] if close else None


def unknown_role_message(role, label):
    """A typo fails before any request, naming the closest role; a role Atlas added since needs the option."""
    close = closest_role(role)
    return ('%s: unknown role %r%s; Atlas role mappings accept the organization roles %s and the project roles %s. '
            'For a role Atlas added after this collection was released, set allow_unknown_roles to send it as written'
            % (label, role, ' (did you mean %s?)' % close if close else '', ', '.join(ORG_ROLES),
               ', '.join(PROJECT_ROLES)))


def _hex_id(value, option, label):
    if value in (None, ''):
        return None
    check_text(value, option, label, pattern=HEX_ID, pattern_text='an id of 24 hexadecimal digits')
    return value.lower()


def _items(data):
    if isinstance(data, dict):
        return [item for item in data.get('results') or [] if isinstance(item, dict)]
    if isinstance(data, list):
        return [item for item in data if isinstance(item, dict)]
    return []


def _next_page(data, _params):
    for link in (data.get('links') or []) if isinstance(data, dict) else []:
        if isinstance(link, dict) and link.get('rel') == 'next' and link.get('href'):
            return link['href'], None
    return None


MODULES = ProviderModules(CONNECTION, AtlasRoleMappings, MAPPING_OPTIONS, INFO_FILTERS,
                          role_variable='atlas_role_mappings',
                          write_options={'allow_unknown_roles': {'type': 'bool', 'default': False}},
                          info_options={'project_names': {'type': 'bool', 'default': False}})
