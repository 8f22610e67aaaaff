# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Provider profiles for the provider-neutral integration tests (reliability and bad input).

A profile knows, for one provider: its module names, the options that reach the emulator with
unique marker secrets, how to make desired items and seed them in API shape, how to read the
emulator's state back as ``{key: comparable value}``, and which request is which (lists, writes).

Secrets are never written into a task: they travel as extra vars (``{{ sso_secret }}``), as a
vault would deliver them, because Ansible prints a failed task's source lines.
"""

from __future__ import annotations

import collections
import uuid

from emulator.aria import DEFAULT_ROLES


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
    """What a provider-neutral test needs to know about one provider."""

    name = None
    title = None
    set_module = one_module = info_module = None
    key_field = None
    list_operation = None  # the operationId of the list request the set module reads
    create_operation = None
    update_method = None
    lookups_before_validation = False  # true when validating an item may need a request

    def prepare(self, emulator):
        """Read what the profile needs from the emulator (after the per-test reset)."""

    # -- connection ------------------------------------------------------------

    def setup_credentials(self, emulator, markers):
        """Make the emulator accept (only) the marker credentials."""
        raise NotImplementedError

    def connection(self, emulator, markers, **extra):
        """Module options that reach the emulator over HTTPS with the marker credentials (as templates)."""
        raise NotImplementedError

    # -- items -----------------------------------------------------------------

    @staticmethod
    def name_of(number, prefix='grp'):
        return '%s-%03d' % (prefix, number)

    def item(self, number, variant=1, prefix='grp'):
        """Desired item number ``number``; ``variant`` changes its non-identity fields."""
        raise NotImplementedError

    def api_item(self, number, variant=1, prefix='grp'):
        """The same item in API shape, for the emulator's seed."""
        raise NotImplementedError

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

    # -- requests --------------------------------------------------------------

    def is_list(self, entry):
        return entry['method'] == 'GET' and entry['operation'] == self.list_operation

    def is_token(self, entry):  # pylint: disable=unused-argument
        return False

    def desired_state(self, items):
        return sorted(self.comparable(i) for i in items if i.get('state', 'present') == 'present')

    def duplicates(self, emulator):
        counts = collections.Counter(key for key, _value in self.state(emulator))
        return sorted(key for key, number in counts.items() if number > 1)


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
    list_path = '/iam/v2/sso/group-mappings'

    def setup_credentials(self, emulator, markers):
        emulator.client.credentials('confluent', api_keys={markers.key: markers.secret}, access_tokens=[])

    def connection(self, emulator, markers, **extra):
        return dict({'base_url': emulator.https, 'ca_path': emulator.ca_file,
                     'api_key': '{{ sso_key }}', 'api_secret': '{{ sso_secret }}'}, **extra)

    def item(self, number, variant=1, prefix='grp'):
        name = self.name_of(number, prefix)
        return {'display_name': name, 'filter': '"%s-v%d" in claims.groups' % (name, variant),
                'description': 'Group %d' % number}

    def api_item(self, number, variant=1, prefix='grp'):
        return self.item(number, variant, prefix)

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
    token_path = '/api/oauth/token'
    projects = ('6a1b2c3d4e5f60718293a4b5', '6a1b2c3d4e5f60718293a4b6')
    org_roles = ('ORG_MEMBER', 'ORG_READ_ONLY')

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

    def connection(self, emulator, markers, **extra):
        org_id, federation_settings_id = self.scope(emulator)
        return dict({'base_url': emulator.https, 'ca_path': emulator.ca_file,
                     'client_id': markers.client_id, 'client_secret': '{{ sso_secret }}',
                     'org_id': org_id, 'federation_settings_id': federation_settings_id}, **extra)

    def item(self, number, variant=1, prefix='grp'):
        return {'external_group_name': self.name_of(number, prefix), 'role_assignments': [
            {'role': self.org_roles[variant % 2]},
            {'role': 'GROUP_READ_ONLY', 'project_id': self.projects[number % 2]}]}

    def api_item(self, number, variant=1, prefix='grp'):
        return {'externalGroupName': self.name_of(number, prefix), 'roleAssignments': [
            {'role': self.org_roles[variant % 2], 'orgId': self.org_id},
            {'role': 'GROUP_READ_ONLY', 'groupId': self.projects[number % 2]}]}

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
    list_path = '/lcm/authzn/api/groups'
    domain = 'example.com'
    role_sets = (('LCM Admin',), ('Content Developer', 'Content Release Manager'))
    lookups_before_validation = True

    def setup_credentials(self, emulator, markers):
        emulator.client.credentials('aria', users={markers.user: markers.secret}, read_only_users={})

    def connection(self, emulator, markers, **extra):
        return dict({'base_url': emulator.https, 'ca_path': emulator.ca_file,
                     'username': markers.user, 'password': '{{ sso_secret }}'}, **extra)

    def item(self, number, variant=1, prefix='grp'):
        return {'display_name': self.name_of(number, prefix), 'domain': self.domain,
                'mapped_roles': list(self.role_sets[variant % 2])}

    def api_item(self, number, variant=1, prefix='grp'):
        return {'displayName': self.name_of(number, prefix), 'domain': self.domain,
                'mappedRoles': list(self.role_sets[variant % 2])}

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


PROFILES = {'confluent': Confluent, 'atlas': Atlas, 'aria': Aria}
PROVIDERS = tuple(PROFILES)


def profile(name):
    return PROFILES[name]()
