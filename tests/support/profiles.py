# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Provider profiles for the provider-neutral integration tests (reliability and bad input) and the benchmark.

A profile knows, for one provider: its module names, the options that reach the emulator (with its
default credentials, or with unique marker secrets), how to make desired items and seed them in API
shape, how to read the emulator's state back as ``(key, comparable value)`` pairs, which request is
which (token, lists and other reads, writes), and the fewest reads a set module run needs.

Marker secrets are never written into a task: they travel as extra vars (``{{ sso_secret }}``), as
a vault would deliver them, because Ansible prints a failed task's source lines.
"""

from __future__ import annotations

import collections
import math
import uuid

from emulator.aria import DEFAULT_ROLES

WRITE_METHODS = ('POST', 'PUT', 'PATCH', 'DELETE')


class Markers:
    """Unique marker values used as credentials for one test; none may ever show up in output."""

    def __init__(self, provider):
        tag = uuid.uuid4().hex[:10]
        self.tag = tag
        self.key = 'MARKERKEY%s' % tag.upper()
        self.secret = 'MARKER-SECRET-%s' % tag
        self.user = 'marker-user-%s@local' % tag
        self.client_id = 'mdb_sa_id_marker_%s' % tag
        self.provider = provider

    @property
    def extra_vars(self):
        return {'sso_key': self.key, 'sso_secret': self.secret}

    def secrets(self):
        """The values that must never appear anywhere (identifiers that are no_log count too)."""
        return [self.secret] + ([self.key] if self.provider == 'confluent' else [])


class Profile:
    """What a provider-neutral test or the benchmark needs to know about one provider."""

    name = None
    title = None
    set_module = one_module = info_module = None
    key_field = None
    list_operation = None  # the operationId of the list request the set module reads
    create_operation = None
    update_method = None
    read_kinds = {}  # operationId -> the kind of read it is, for the benchmark's requests by kind
    purge_extra_reads = 0  # reads a purge needs beyond the list

    def prepare(self, emulator):
        """Read what the profile needs from the emulator (after the per-test reset)."""

    # -- connection ------------------------------------------------------------

    def setup_credentials(self, emulator, markers):
        """Make the emulator accept (only) the marker credentials."""
        raise NotImplementedError

    def connection(self, emulator, markers=None, **extra):
        """Module options that reach the emulator over HTTPS: with the marker credentials (as templates),
        or without markers with the emulator's default credentials. An option given as None is left out."""
        raise NotImplementedError

    @staticmethod
    def options(*parts):
        merged = {}
        for part in parts:
            merged.update(part)
        return {name: value for name, value in merged.items() if value is not None}

    # -- items -----------------------------------------------------------------

    @staticmethod
    def name_of(number, prefix='grp'):
        return '%s-%03d' % (prefix, number)

    def item(self, number, variant=1, prefix='grp'):
        """Desired item number ``number``; ``variant`` changes its non-identity fields."""
        raise NotImplementedError

    def api_shape(self, item):
        """A desired item in API shape, for the emulator's seed."""
        raise NotImplementedError

    def api_item(self, number, variant=1, prefix='grp'):
        """Item ``number`` in API shape."""
        return self.api_shape(self.item(number, variant, prefix))

    def key(self, item):
        return item[self.key_field]

    def seed(self, emulator, api_items):
        raise NotImplementedError

    def state(self, emulator):
        """Every stored mapping as ``(key, comparable)``, duplicates included."""
        raise NotImplementedError

    def comparable(self, item):
        """A desired item as ``(key, comparable)``, the same shape as state() gives."""
        raise NotImplementedError

    def rejectable(self, number):
        """(an item the fault rejects, the fixed item, a body substring only the rejected item's writes carry)."""
        raise NotImplementedError

    def reject_fault(self):
        """A status action the vendor would send for an item it refuses."""
        raise NotImplementedError

    def desired_state(self, items):
        return sorted(self.comparable(i) for i in items if i.get('state', 'present') == 'present')

    def duplicates(self, emulator):
        counts = collections.Counter(key for key, _value in self.state(emulator))
        return sorted(key for key, number in counts.items() if number > 1)

    # -- requests --------------------------------------------------------------

    def is_list(self, entry):
        return entry['method'] == 'GET' and entry['operation'] == self.list_operation

    def is_token(self, entry):  # pylint: disable=unused-argument
        return False

    def kind(self, entry):
        """'token', 'write', or the kind of read of a logged request ('other' for reads not in read_kinds)."""
        if self.is_token(entry):
            return 'token'
        if entry['method'] in WRITE_METHODS:
            return 'write'
        return self.read_kinds.get(entry['operation'], 'other')

    def min_reads(self, existing):
        """The fewest reads a set module run needs with ``existing`` mappings stored."""
        raise NotImplementedError

    def min_reads_text(self, existing):
        raise NotImplementedError

    def uri_vars(self, emulator, items):
        """The variables of the benchmark's ansible.builtin.uri playbook (benchmarks/playbooks/uri-<name>.yml)."""
        raise NotImplementedError


class Confluent(Profile):
    name = 'confluent'
    title = 'Confluent Cloud'
    set_module = 'sso.mappings.confluent_group_mappings'
    one_module = 'sso.mappings.confluent_group_mapping'
    info_module = 'sso.mappings.confluent_group_mapping_info'
    key_field = 'display_name'
    list_operation = 'listIamV2SsoGroupMappings'
    create_operation = 'createIamV2SsoGroupMapping'
    update_method = 'PATCH'
    read_kinds = {'listIamV2SsoGroupMappings': 'list', 'listIamV2RoleBindings': 'bindings'}
    page_size = 100  # the set module's
    # Deleting a mapping deletes its role bindings first, so a purge also lists the bindings: on the
    # organization and on every scope below it (one page each here).
    purge_extra_reads = 2
    api_key, api_secret = 'EMULATOR-KEY', 'emulator-secret'  # the emulator's defaults

    def setup_credentials(self, emulator, markers):
        emulator.client.credentials('confluent', api_keys={markers.key: markers.secret}, access_tokens=[])

    def connection(self, emulator, markers=None, **extra):
        if markers is None:
            credentials = {'api_key': self.api_key, 'api_secret': self.api_secret}
        else:
            credentials = {'api_key': '{{ sso_key }}', 'api_secret': '{{ sso_secret }}'}
        return self.options({'base_url': emulator.https, 'ca_path': emulator.ca_file}, credentials, extra)

    def item(self, number, variant=1, prefix='grp'):
        name = self.name_of(number, prefix)
        return {'display_name': name, 'filter': '"%s-v%d" in claims.groups' % (name, variant),
                'description': 'Group %d' % number}

    def api_shape(self, item):
        return dict(item)

    def seed(self, emulator, api_items):
        emulator.client.seed('confluent', group_mappings=list(api_items))

    def state(self, emulator):
        return [(m['display_name'], (m['filter'], m.get('description') or ''))
                for m in emulator.client.state('confluent')['group_mappings']]

    def comparable(self, item):
        return (item['display_name'], (item['filter'], item.get('description') or ''))

    def rejectable(self, number):
        bad = dict(self.item(number), filter='"REJECTED-%d" in claims.groups' % number)
        return bad, self.item(number), 'REJECTED-%d' % number

    def reject_fault(self):
        return {'type': 'status', 'status': 422, 'code': 'invalid_filter',
                'message': 'Filter is not a valid CEL expression (emulated rejection)'}

    def min_reads(self, existing):
        return max(1, math.ceil(existing / float(self.page_size)))

    def min_reads_text(self, existing):
        return '%d list page(s); a purge also lists the role bindings' % self.min_reads(existing)

    def uri_vars(self, emulator, items):
        return {'confluent_url': emulator.https, 'confluent_api_key': self.api_key,
                'confluent_api_secret': self.api_secret, 'confluent_ca_path': emulator.ca_file,
                'desired_mappings': [self.api_shape(i) for i in items]}


class Atlas(Profile):
    name = 'atlas'
    title = 'MongoDB Atlas'
    set_module = 'sso.mappings.atlas_role_mappings'
    one_module = 'sso.mappings.atlas_role_mapping'
    info_module = 'sso.mappings.atlas_role_mapping_info'
    key_field = 'external_group_name'
    list_operation = 'listFederationSettingConnectedOrgConfigRoleMappings'
    create_operation = 'createFederationSettingConnectedOrgConfigRoleMapping'
    update_method = 'PUT'
    read_kinds = {'getOrgFederationSettings': 'discovery', list_operation: 'list'}
    token_path = '/api/oauth/token'
    projects = ('6a1b2c3d4e5f60718293a4b5', '6a1b2c3d4e5f60718293a4b6')
    org_roles = ('ORG_MEMBER', 'ORG_READ_ONLY')
    client_id, client_secret = 'mdb_sa_id_emulator', 'mdb_sa_sk_emulator'  # the emulator's defaults

    def __init__(self):
        self.org_id = None
        self.federation_settings_id = None

    def prepare(self, emulator):
        self.scope(emulator)

    def scope(self, emulator):
        if self.org_id is None:
            state = emulator.client.state('atlas')
            self.org_id, self.federation_settings_id = state['org_id'], state['federation_settings_id']
        return self.org_id, self.federation_settings_id

    def setup_credentials(self, emulator, markers):
        emulator.client.credentials('atlas', service_accounts={markers.client_id: markers.secret},
                                    api_keys={}, access_tokens=[])

    def connection(self, emulator, markers=None, **extra):
        org_id, federation_settings_id = self.scope(emulator)
        if markers is None:
            credentials = {'client_id': self.client_id, 'client_secret': self.client_secret}
        else:
            credentials = {'client_id': markers.client_id, 'client_secret': '{{ sso_secret }}'}
        return self.options({'base_url': emulator.https, 'ca_path': emulator.ca_file}, credentials,
                            {'org_id': org_id, 'federation_settings_id': federation_settings_id}, extra)

    def item(self, number, variant=1, prefix='grp'):
        return {'external_group_name': self.name_of(number, prefix), 'role_assignments': [
            {'role': self.org_roles[variant % 2]},
            {'role': 'GROUP_READ_ONLY', 'project_id': self.projects[number % 2]}]}

    def api_shape(self, item):
        assignments = []
        for element in item['role_assignments']:
            if element.get('project_id'):
                assignments.append({'role': element['role'], 'groupId': element['project_id']})
            else:
                assignments.append({'role': element['role'], 'orgId': element.get('org_id') or self.org_id})
        return {'externalGroupName': item['external_group_name'], 'roleAssignments': assignments}

    def seed(self, emulator, api_items):
        emulator.client.seed('atlas', role_mappings=list(api_items))

    def state(self, emulator):
        return [(m['externalGroupName'], tuple(sorted((a.get('orgId') or '', a.get('groupId') or '', a['role'])
                                                      for a in m['roleAssignments'])))
                for m in emulator.client.state('atlas')['role_mappings']]

    def comparable(self, item):
        assignments = []
        for element in item['role_assignments']:
            if element.get('project_id'):
                assignments.append(('', element['project_id'], element['role']))
            else:
                assignments.append((element.get('org_id') or self.org_id, '', element['role']))
        return (item['external_group_name'], tuple(sorted(assignments)))

    def rejectable(self, number):
        bad = self.item(number)
        bad['role_assignments'][1] = {'role': 'GROUP_CLUSTER_MANAGER', 'project_id': self.projects[0]}
        return bad, self.item(number), 'GROUP_CLUSTER_MANAGER'

    def reject_fault(self):
        return {'type': 'status', 'status': 400, 'code': 'INVALID_ATTRIBUTE',
                'message': 'Invalid attribute roleAssignments specified (emulated rejection).'}

    def is_token(self, entry):
        return entry['path'] == self.token_path

    def min_reads(self, existing):
        return 3  # token + federation settings discovery (federation_settings_id left out) + one list page

    def min_reads_text(self, existing):
        return 'token + discovery + 1 list'

    def uri_vars(self, emulator, items):
        org_id, federation_settings_id = self.scope(emulator)
        return {'atlas_url': emulator.https, 'atlas_client_id': self.client_id,
                'atlas_client_secret': self.client_secret, 'atlas_ca_path': emulator.ca_file,
                'atlas_org_id': org_id, 'atlas_federation_settings_id': federation_settings_id,
                'desired_mappings': [self.api_shape(i) for i in items]}


ARIA_ROLES = dict((name, vmid) for name, vmid, _description in DEFAULT_ROLES)


class Aria(Profile):
    name = 'aria'
    title = 'VMware Aria Suite Lifecycle'
    set_module = 'sso.mappings.aria_group_mappings'
    one_module = 'sso.mappings.aria_group_mapping'
    info_module = 'sso.mappings.aria_group_mapping_info'
    key_field = 'display_name'
    list_operation = 'listAllGroupsV1'
    create_operation = 'createGroupV2UsingPOST'
    update_method = 'PATCH'
    read_kinds = {'getAllExternalRolesV2UsingGET': 'roles', 'listAllGroupsV1': 'list',
                  'getGroupsByDisplayNameV2UsingGET': 'lookup'}
    domain = 'example.com'
    role_sets = (('LCM Admin',), ('Content Developer', 'Content Release Manager'))
    username, password = 'admin@local', 'emulator-password'  # the emulator's defaults

    def setup_credentials(self, emulator, markers):
        emulator.client.credentials('aria', users={markers.user: markers.secret}, read_only_users={})

    def connection(self, emulator, markers=None, **extra):
        if markers is None:
            credentials = {'username': self.username, 'password': self.password}
        else:
            credentials = {'username': markers.user, 'password': '{{ sso_secret }}'}
        return self.options({'base_url': emulator.https, 'ca_path': emulator.ca_file}, credentials, extra)

    def item(self, number, variant=1, prefix='grp'):
        return {'display_name': self.name_of(number, prefix), 'domain': self.domain,
                'mapped_roles': list(self.role_sets[variant % 2])}

    def api_shape(self, item):
        return {'displayName': item['display_name'], 'domain': item['domain'], 'mappedRoles': list(item['mapped_roles'])}

    def key(self, item):
        return '%s@%s' % (item['display_name'], item['domain'])

    def seed(self, emulator, api_items):
        emulator.client.seed('aria', groups=list(api_items))

    def state(self, emulator):
        return [('%s@%s' % (g['displayName'], g['domain']), tuple(sorted(r['roleName'] for r in g['roleMappings'])))
                for g in emulator.client.state('aria')['groups']]

    def comparable(self, item):
        return (self.key(item), tuple(sorted(item.get('mapped_roles') or [])))

    def rejectable(self, number):
        bad = dict(self.item(number), mapped_roles=['Certificate Administrator'])
        return bad, self.item(number), ARIA_ROLES['Certificate Administrator']

    def reject_fault(self):
        return {'type': 'status', 'status': 400, 'code': 'LCM_AUTHZN_INVALID_ROLE_ERROR0400',
                'message': 'The role cannot be mapped to this group (emulated rejection).'}

    def min_reads(self, existing):
        return 2  # the external roles + one list of the groups

    def min_reads_text(self, existing):
        return 'roles + 1 list'

    def uri_vars(self, emulator, items):
        # The uri playbook sends the roles as vmids, as a user would after looking them up once.
        return {'aria_url': emulator.https, 'aria_username': self.username, 'aria_password': self.password,
                'aria_ca_path': emulator.ca_file,
                'desired_mappings': [dict(self.api_shape(i), mappedRoles=[ARIA_ROLES[r] for r in i['mapped_roles']])
                                     for i in items]}


PROFILES = {'confluent': Confluent, 'atlas': Atlas, 'aria': Aria}
PROVIDERS = tuple(PROFILES)


def profile(name):
    return PROFILES[name]()
