# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Malformed input, table-driven, for every provider: each case fails with a message that names
the option and the item, before any write, and before any request at all where no lookup is
needed. Every batch runs at -vvvv with marker secrets that must never show up.

To stay fast, the cases of a provider run as the tasks of one playbook (``ignore_errors``), and
the request log is checked for the whole batch: zero requests for the cases that need no lookup,
zero writes for the batch of cases that do (Confluent's existence checks, Aria's role names).

A case's ``needles`` must all appear in its message. Where Ansible's own argument validation
answers (types, choices, unknown keys, required sub-options) the message is Ansible's, which names
the option and ``mappings`` but not the item's index: such cases carry ``index`` (the label the
message should also name) and are checked with it in a separate, expected-to-fail test.
"""

from __future__ import annotations

import ansible.release
import pytest

from support import profiles, reliability
from support.profiles import Markers

REMOVE = object()  # a connection option the case leaves out
# Stand-ins for the marker values in a case's environment variables (set for the ansible-playbook
# process: Ansible itself shows a task's `environment:` values at -vvv, so that is no place for secrets).
KEY, SECRET = '<marker key>', '<marker secret>'
FILTER = '"engineers" in claims.groups'
ORG = '5e2211c17a3e5a48f5497de3'
PROJECT = '6a1b2c3d4e5f60718293a4b5'


class Case:
    """One malformed input. ``options`` are merged onto the connection (REMOVE drops one);
    ``mappings`` (for the set module) follow two valid items, so the bad one is mappings[2]."""

    def __init__(self, name, needles, mappings=None, options=None, module='set', index=None, env=None,
                 raw_mappings=None):
        self.name = name
        self.needles = list(needles)
        self.mappings = mappings
        self.raw_mappings = raw_mappings
        self.options = options or {}
        self.module = module
        self.index = index  # set for Ansible-level messages: the item label they do not name yet
        self.env = env

    def __repr__(self):
        return self.name


def bad(name, item, *needles, **kwargs):
    """A set-module case whose third item is ``item``; the message must name mappings[2]."""
    index = 'mappings[2]'
    if kwargs.pop('ansible', False):
        return Case(name, needles, mappings=[item], index=index, **kwargs)
    return Case(name, (index,) + needles, mappings=[item], **kwargs)


# -- Confluent ------------------------------------------------------------------------


def confluent_ok(number):
    return {'display_name': 'ok-%d' % number, 'filter': FILTER}


def confluent_item(**fields):
    return dict({'display_name': 'eng', 'filter': FILTER}, **fields)


CONFLUENT = [
    bad('display_name empty', confluent_item(display_name=''), 'display_name', 'must not be empty'),
    bad('display_name blank', confluent_item(display_name='   '), 'display_name', 'must not be empty'),
    bad('display_name over 255', confluent_item(display_name='x' * 256), 'display_name', 'at most 255'),
    bad('display_name padded', confluent_item(display_name=' eng '), 'display_name', 'white space'),
    bad('display_name zero-width space', confluent_item(display_name='eng\u200bops'), 'display_name', 'invisible'),
    bad('display_name newline', confluent_item(display_name='eng\nops'), 'display_name', 'control'),
    bad('display_name right-to-left override', confluent_item(display_name='\u202eeng'), 'display_name'),
    bad('filter empty', confluent_item(filter=''), 'filter', 'must not be empty'),
    bad('id with white space', confluent_item(id='group 1'), ' id ', 'white space'),
    bad('id empty', confluent_item(id=''), 'id', 'must not be empty'),
    bad('id over 255', confluent_item(id='g' * 256), 'id', 'at most 255'),
    bad('neither id nor display_name', {'filter': FILTER}, 'id', 'display_name', 'mappings', ansible=True),
    bad('unknown key (typo)', {'display_name': 'eng', 'filtr': FILTER}, 'filtr', 'mappings', ansible=True),
    bad('state not a choice', confluent_item(state='gone'), 'state', 'gone', 'mappings', ansible=True),
    bad('role binding crn_pattern not a CRN', confluent_item(role_bindings=[
        {'role_name': 'EnvironmentAdmin', 'crn_pattern': 'organization=1234'}]), 'role_bindings[0]', 'crn_pattern'),
    bad('role binding role_name malformed', confluent_item(role_bindings=[
        {'role_name': 'Environment Admin', 'crn_pattern': 'crn://confluent.cloud/organization=1'}]),
        'role_bindings[0]', 'role_name'),
    bad('role binding without crn_pattern', confluent_item(role_bindings=[{'role_name': 'EnvironmentAdmin'}]),
        'crn_pattern', 'role_bindings', ansible=True),
    Case('duplicate display_name', ['mappings[0] and mappings[2]', 'display_name'],
         mappings=[confluent_ok(0)]),
    Case('duplicate id', ['mappings[2] and mappings[3]', 'id'],
         mappings=[confluent_item(id='group-Ab1cD'), confluent_item(id='group-Ab1cD', display_name='other')]),
    Case('mappings missing', ['mappings'], raw_mappings=REMOVE),
    Case('purge not a boolean', ['purge'], options={'purge': 'sometimes'}),
    Case('conflicting credentials', ['conflicting credentials', 'api_key', 'access_token'],
         options={'access_token': '{{ sso_secret }}'}),
    Case('incomplete credentials', ['incomplete credentials', 'api_secret'], options={'api_secret': REMOVE}),
    Case('no credentials', ['no credentials', 'api_key', 'access_token'],
         options={'api_key': REMOVE, 'api_secret': REMOVE}),
    Case('conflicting credentials in the environment', ['conflicting credentials', 'CONFLUENT_CLOUD_ACCESS_TOKEN'],
         options={'api_key': REMOVE, 'api_secret': REMOVE},
         env={'CONFLUENT_CLOUD_API_KEY': KEY, 'CONFLUENT_CLOUD_API_SECRET': SECRET,
              'CONFLUENT_CLOUD_ACCESS_TOKEN': SECRET}),
    Case('base_url not a URL', ['base_url', 'not a url'], options={'base_url': 'not a url'}),
    Case('base_url ftp', ['base_url'], options={'base_url': 'ftp://api.confluent.cloud'}),
    Case('base_url without host', ['base_url'], options={'base_url': 'https://'}),
    Case('timeout zero', ['timeout'], options={'timeout': 0}),
    Case('timeout not a number', ['timeout'], options={'timeout': 'soon'}),
    Case('retries negative', ['retries'], options={'retries': -1}),
    Case('parallelism zero', ['parallelism'], options={'parallelism': 0}),
    Case('ca_path missing file', ['ca_path'], options={'ca_path': '/nonexistent/ca.pem'}),
    Case('validate_certs not a boolean', ['validate_certs'], options={'validate_certs': 'perhaps'}),
    Case('one mapping: display_name over 255', ['display_name', 'at most 255'], module='one',
         options=confluent_item(display_name='y' * 256)),
]

CONFLUENT_LOOKUP = [
    Case('filter missing to create', ['filter is required', 'new-group'],
         mappings=[{'display_name': 'new-group'}]),
    Case('id that does not exist, without display_name', ['group-Zz9Zz', 'display_name'],
         mappings=[{'id': 'group-Zz9Zz', 'filter': FILTER}]),
    Case('one mapping: filter missing to create', ['filter is required', 'new-group'], module='one',
         options={'display_name': 'new-group'}),
]

CONFLUENT_WRONG_TYPES = [
    bad('display_name a list', confluent_item(display_name=['eng']), 'display_name'),
    bad('display_name a mapping', confluent_item(display_name={'name': 'eng'}), 'display_name'),
    bad('filter a list', confluent_item(filter=['a', 'b']), 'filter'),
]


# -- Atlas ----------------------------------------------------------------------------


def atlas_ok(number):
    return {'external_group_name': 'ok-%d' % number, 'role_assignments': [{'role': 'ORG_MEMBER'}]}


def atlas_item(*assignments, **fields):
    return dict({'external_group_name': 'eng', 'role_assignments': list(assignments) or [{'role': 'ORG_MEMBER'}]},
                **fields)


ORG_ROLE = {'role': 'ORG_MEMBER'}

ATLAS = [
    bad('external_group_name empty', atlas_item(external_group_name=''), 'external_group_name', 'must not be empty'),
    bad('external_group_name blank', atlas_item(external_group_name=' \t '), 'external_group_name'),
    bad('external_group_name over 200', atlas_item(external_group_name='x' * 201), 'external_group_name',
        'at most 200'),
    bad('external_group_name padded', atlas_item(external_group_name='eng '), 'external_group_name', 'white space'),
    bad('external_group_name zero-width joiner', atlas_item(external_group_name='eng\u200dops'),
        'external_group_name', 'invisible'),
    bad('external_group_name missing', {'role_assignments': [ORG_ROLE]}, 'external_group_name', 'mappings',
        ansible=True),
    bad('role_assignments missing', {'external_group_name': 'eng'}, 'role_assignments', 'required'),
    bad('role_assignments empty', atlas_item(role_assignments=[]), 'role_assignments', 'organization role'),
    bad('no organization role', atlas_item({'role': 'GROUP_READ_ONLY', 'project_id': PROJECT}),
        'role_assignments', 'organization role'),
    bad('both org_id and project_id', atlas_item(ORG_ROLE, {'role': 'GROUP_OWNER', 'org_id': ORG,
                                                            'project_id': PROJECT}),
        'org_id', 'project_id', 'mappings', ansible=True),
    bad('org_id malformed', atlas_item({'role': 'ORG_MEMBER', 'org_id': 'my-org'}), 'role_assignments[0]', 'org_id',
        '24 hexadecimal'),
    bad('project_id 23 digits', atlas_item(ORG_ROLE, {'role': 'GROUP_READ_ONLY', 'project_id': PROJECT[:-1]}),
        'role_assignments[1]', 'project_id'),
    bad('project_id not hexadecimal', atlas_item(ORG_ROLE, {'role': 'GROUP_READ_ONLY', 'project_id': 'z' * 24}),
        'role_assignments[1]', 'project_id'),
    bad('role and roles', atlas_item({'role': 'ORG_MEMBER', 'roles': ['ORG_OWNER']}), 'role', 'roles', 'mappings',
        ansible=True),
    bad('neither role nor roles', atlas_item({'org_id': ORG}), 'role', 'roles', 'mappings', ansible=True),
    bad('roles empty', atlas_item(ORG_ROLE, {'roles': [], 'project_id': PROJECT}), 'role_assignments[1]', 'roles',
        'must not be empty'),
    bad('organization role with a project_id', atlas_item(ORG_ROLE, {'role': 'ORG_OWNER', 'project_id': PROJECT}),
        'role_assignments[1]', 'ORG_OWNER', 'project_id'),
    bad('project role with an org_id', atlas_item(ORG_ROLE, {'role': 'GROUP_READ_ONLY', 'org_id': ORG}),
        'role_assignments[1]', 'GROUP_READ_ONLY', 'project_id'),
    bad('project role without a project', atlas_item(ORG_ROLE, {'role': 'GROUP_READ_ONLY'}),
        'role_assignments[1]', 'GROUP_READ_ONLY', 'project_id'),
    bad('role with white space', atlas_item({'role': 'ORG MEMBER'}), 'role_assignments[0]', 'role'),
    bad('organization role misspelt', atlas_item({'role': 'ORG_MEMBR'}), 'role_assignments[0]',
        "unknown role 'ORG_MEMBR'", 'did you mean ORG_MEMBER', 'GROUP_READ_ONLY'),
    bad('project role misspelt', atlas_item(ORG_ROLE, {'roles': ['GROUP_READ_ONLY', 'GROUP_READONLY'],
                                                       'project_id': PROJECT}),
        'role_assignments[1]', "unknown role 'GROUP_READONLY'"),
    bad('role empty', atlas_item(ORG_ROLE, {'role': '', 'project_id': PROJECT}), 'role_assignments[1]', 'role',
        'must not be empty'),
    bad('unknown key (typo)', {'external_group_name': 'eng', 'role_assignment': [ORG_ROLE]}, 'role_assignment',
        'mappings', ansible=True),
    bad('state not a choice', atlas_item(state='deleted'), 'state', 'deleted', 'mappings', ansible=True),
    Case('duplicate external_group_name', ['mappings[1] and mappings[2]', 'external_group_name'],
         mappings=[atlas_ok(1)]),
    Case('module org_id malformed', ['org_id', 'my-org'], options={'org_id': 'my-org'}),
    Case('org_id missing', ['org_id'], options={'org_id': REMOVE}),
    Case('federation_settings_id malformed', ['federation_settings_id'],
         options={'federation_settings_id': '6a1f0c2b3d4e5f60718293a'}),
    Case('api_version not a date', ['api_version', 'latest'], options={'api_version': 'latest'}),
    Case('conflicting credentials', ['conflicting credentials', 'client_id', 'public_key'],
         options={'public_key': 'PUBLIC', 'private_key': '{{ sso_secret }}'}),
    Case('incomplete credentials', ['incomplete credentials', 'client_secret'], options={'client_secret': REMOVE}),
    Case('no credentials', ['no credentials', 'client_id', 'public_key', 'access_token'],
         options={'client_id': REMOVE, 'client_secret': REMOVE}),
    Case('base_url not a URL', ['base_url'], options={'base_url': 'cloud.mongodb.com'}),
    Case('conflicting credentials in the environment', ['conflicting credentials', 'MONGODB_ATLAS_CLIENT_ID',
                                                        'MONGODB_ATLAS_PUBLIC_API_KEY'],
         options={'client_id': REMOVE, 'client_secret': REMOVE},
         env={'MONGODB_ATLAS_CLIENT_ID': 'mdb_sa_id_from_env', 'MONGODB_ATLAS_CLIENT_SECRET': SECRET,
              'MONGODB_ATLAS_PUBLIC_API_KEY': 'PUBLICKEY', 'MONGODB_ATLAS_PRIVATE_API_KEY': SECRET}),
    Case('timeout negative', ['timeout'], options={'timeout': -3}),
    Case('one mapping: external_group_name over 200', ['external_group_name', 'at most 200'], module='one',
         options=atlas_item(external_group_name='n' * 201)),
    Case('one mapping: no organization role', ['organization role', 'eng'], module='one',
         options=atlas_item({'role': 'GROUP_OWNER', 'project_id': PROJECT})),
]

ATLAS_WRONG_TYPES = [
    bad('external_group_name a list', atlas_item(external_group_name=['eng']), 'external_group_name'),
    bad('role a mapping', atlas_item({'role': {'name': 'ORG_MEMBER'}}), 'role'),
]


# -- Aria -----------------------------------------------------------------------------


def aria_ok(number):
    # No mapped_roles: validating role names needs the roles lookup, and these cases need none.
    return {'display_name': 'ok-%d' % number, 'domain': 'example.com'}


def aria_item(**fields):
    return dict({'display_name': 'eng', 'domain': 'example.com'}, **fields)


ARIA = [
    bad('display_name empty', aria_item(display_name=''), 'display_name', 'must not be empty'),
    bad('display_name blank', aria_item(display_name='  '), 'display_name', 'must not be empty'),
    bad('display_name over 255', aria_item(display_name='x' * 256), 'display_name', 'at most 255'),
    bad('display_name padded', aria_item(display_name=' eng'), 'display_name', 'white space'),
    bad('display_name zero-width space', aria_item(display_name='e\u200bng'), 'display_name', 'invisible'),
    bad('display_name right-to-left override', aria_item(display_name='eng\u202e'), 'display_name'),
    bad('domain empty', aria_item(domain=''), 'domain', 'must not be empty'),
    bad('domain over 255', aria_item(domain='d' * 256), 'domain', 'at most 255'),
    bad('domain with a newline', aria_item(domain='example.com\nevil.com'), 'domain', 'control'),
    bad('display_name missing', {'domain': 'example.com'}, 'display_name', 'mappings', ansible=True),
    bad('domain missing', {'display_name': 'eng'}, 'domain', 'mappings', ansible=True),
    bad('group_type empty', aria_item(group_type=''), 'group_type', 'must not be empty'),
    bad('group_type over 255', aria_item(group_type='T' * 256), 'group_type', 'at most 255'),
    bad('provider_identifier blank', aria_item(provider_identifier='   '), 'provider_identifier'),
    bad('mapped_roles with an empty name', aria_item(mapped_roles=['']), 'mapped_roles', 'must not be empty'),
    bad('is_disabled not a boolean', aria_item(is_disabled='perhaps'), 'is_disabled', 'mappings', ansible=True),
    bad('group_metadata not a dict', aria_item(group_metadata='CN=eng'), 'group_metadata', 'mappings', ansible=True),
    bad('group_metadata unknown key', aria_item(group_metadata={'distinguishedName': 'CN=eng'}),
        'distinguishedName', ansible=True),
    bad('unknown key (typo)', aria_item(mapped_role=['LCM Admin']), 'mapped_role', 'mappings', ansible=True),
    bad('state not a choice', aria_item(state='removed'), 'state', 'removed', 'mappings', ansible=True),
    Case('duplicate group, other case', ['mappings[0] and mappings[2]', 'ok-0@example.com'],
         mappings=[{'display_name': 'OK-0', 'domain': 'Example.COM'}]),
    Case('base_url missing', ['base_url'], options={'base_url': REMOVE}),
    Case('base_url without scheme', ['base_url', 'lcm.example.com'], options={'base_url': 'lcm.example.com'}),
    Case('base_url not a URL', ['base_url'], options={'base_url': 'https//lcm'}),
    Case('password missing', ['incomplete credentials', 'password'], options={'password': REMOVE}),
    Case('no credentials', ['no credentials', 'username', 'password'],
         options={'username': REMOVE, 'password': REMOVE}),
    Case('password alone in the environment', ['incomplete credentials', 'username', 'ARIA_LCM_USERNAME'],
         options={'username': REMOVE, 'password': REMOVE}, env={'ARIA_LCM_PASSWORD': SECRET}),
    Case('validate_certs not a boolean', ['validate_certs'], options={'validate_certs': 'sometimes'}),
    Case('ca_path missing file', ['ca_path'], options={'ca_path': '/nonexistent/lcm-ca.pem'}),
    Case('timeout zero', ['timeout'], options={'timeout': 0}),
    Case('retries not a number', ['retries'], options={'retries': 'many'}),
    Case('parallelism zero', ['parallelism'], options={'parallelism': 0}),
    Case('one mapping: display_name over 255', ['display_name', 'at most 255'], module='one',
         options=aria_item(display_name='g' * 256)),
    Case('one mapping: domain blank', ['domain', 'must not be empty'], module='one', options=aria_item(domain=' ')),
]

ARIA_LOOKUP = [
    bad('unknown role name', aria_item(mapped_roles=['LCM Admin', 'LCM Superuser']), 'mapped_roles',
        'LCM Superuser', 'valid role names', 'LCM Admin'),
    bad('role name in the wrong case', aria_item(mapped_roles=['lcm admin']), 'mapped_roles', 'lcm admin'),
    bad('unknown role vmid', aria_item(mapped_roles=['00000000-0000-0000-0000-000000000000']), 'mapped_roles',
        '00000000-0000-0000-0000-000000000000'),
    Case('one mapping: unknown role name', ['mapped_roles', 'Cloud Admin'], module='one',
         options=aria_item(mapped_roles=['Cloud Admin'])),
]

ARIA_WRONG_TYPES = [
    bad('display_name a mapping', aria_item(display_name={'cn': 'eng'}), 'display_name'),
    bad('domain a list', aria_item(domain=['example.com']), 'domain'),
]

# mappings that Ansible cannot read as a list of dicts: its message names neither the option nor the
# item, and ansible-core 2.19 then returns the module's arguments without masking the secrets.
NOT_DICTS = [
    Case('mappings not a list of dicts', [], raw_mappings='engineering', index='mappings'),
    Case('an item that is not a dict', [], mappings=['engineering'], index='mappings[2]'),
    Case('an item that is a list', [], mappings=[['display_name', 'eng']], index='mappings[2]'),
]
OLD_CORE = tuple(int(part) for part in ansible.release.__version__.split('.')[:2]) < (2, 21)

CASES = {'confluent': CONFLUENT, 'atlas': ATLAS, 'aria': ARIA}
LOOKUP_CASES = {'confluent': CONFLUENT_LOOKUP, 'aria': ARIA_LOOKUP}
WRONG_TYPES = {'confluent': CONFLUENT_WRONG_TYPES, 'atlas': ATLAS_WRONG_TYPES, 'aria': ARIA_WRONG_TYPES}
OK_ITEMS = {'confluent': confluent_ok, 'atlas': atlas_ok, 'aria': aria_ok}
BATCHES = {}  # provider -> the results of its batch without lookups, shared with the index test


@pytest.fixture
def setup(emulator):
    def prepare(name):
        profile = profiles.profile(name)
        profile.prepare(emulator)
        markers = Markers(name)
        profile.setup_credentials(emulator, markers)
        return profile, markers
    return prepare


def task_of(profile, emulator, markers, case):
    connection = profile.connection(emulator, markers)
    if case.module == 'one':
        options = dict(connection)
        module = profile.one_module
    else:
        options = dict(connection)
        module = profile.set_module
        if case.raw_mappings is not None:
            if case.raw_mappings is not REMOVE:
                options['mappings'] = case.raw_mappings
        else:
            ok = OK_ITEMS[profile.name]
            options['mappings'] = [ok(0), ok(1)] + list(case.mappings or [])
    for name, value in case.options.items():
        if value is REMOVE:
            options.pop(name, None)
        else:
            options[name] = value
    return {'name': case.name, module: options, 'ignore_errors': True}


def run_batch(ansible, emulator, profile, markers, cases):
    """Run the cases as one playbook, except those with environment variables: one run each."""
    assert len(set(case.name for case in cases)) == len(cases), 'case names must be unique'
    plain = [case for case in cases if not case.env]
    runs = [(plain, None)] if plain else []
    values = {KEY: markers.key, SECRET: markers.secret}
    runs += [([case], dict((k, values.get(v, v)) for k, v in case.env.items())) for case in cases if case.env]
    results = []
    for batch, env in runs:
        tasks = [task_of(profile, emulator, markers, case) for case in batch]
        result = ansible.run(tasks, verbosity=4, extra_vars=markers.extra_vars, env=env)
        assert result.rc == 0, result.output()
        results.append(result)
    return Results(results)


class Results:
    """The runs of one batch, read as one."""

    def __init__(self, results):
        self.results = results
        self.stdout = ''.join(r.stdout for r in results)
        self.stderr = ''.join(r.stderr for r in results)
        self.tasks = [t for r in results for t in r.tasks]

    def task(self, name):
        for result in self.results:
            if name in result.results:
                return result.task(name)
        return self.results[0].task(name)


def check_cases(result, cases, with_index=False):
    """Every case failed, naming what it should; returns the problems found."""
    problems = []
    for case in cases:
        outcome = result.task(case.name)
        if not outcome.get('failed'):
            problems.append('%s: did not fail' % case.name)
            continue
        message = outcome.get('msg', '')
        needles = case.needles + ([case.index] if with_index and case.index else [])
        missing = [n for n in needles if n not in message]
        if missing:
            problems.append('%s: %s not in %r' % (case.name, missing, message))
    return problems


def assert_cases(result, cases, with_index=False):
    problems = check_cases(result, cases, with_index)
    assert not problems, '\n'.join(['%d case(s) not refused as expected:' % len(problems)] + problems)


def record(profile, scenario, cases, requests_made, writes_made, leaked):
    reliability.record({'category': 'bad_input', 'provider': profile.name, 'scenario': scenario,
                        'bad_inputs': len(cases), 'refused_before_any_request': 0 if requests_made else len(cases),
                        'refused_before_any_write': 0 if writes_made else len(cases), 'secrets_leaked': len(leaked),
                        'runs': len(cases), 'requests': len(requests_made)})


@pytest.mark.parametrize('provider', profiles.PROVIDERS)
def test_bad_input_is_refused_before_any_request(ansible, emulator, setup, provider):
    profile, markers = setup(provider)
    cases = CASES[provider]
    assert len(cases) >= 25
    result = run_batch(ansible, emulator, profile, markers, cases)
    BATCHES[provider] = result
    requests = emulator.client.requests()
    leaked = reliability.leaks(result, markers.secrets())
    record(profile, 'malformed input, no lookup needed', cases, requests, reliability.writes(requests), leaked)
    assert_cases(result, cases)
    assert requests == [], 'requests were sent: %s' % [(r['method'], r['path']) for r in requests]
    assert not leaked


@pytest.mark.parametrize('provider', sorted(LOOKUP_CASES))
def test_bad_input_that_needs_a_lookup_is_refused_before_any_write(ansible, emulator, setup, provider):
    profile, markers = setup(provider)
    cases = LOOKUP_CASES[provider]
    result = run_batch(ansible, emulator, profile, markers, cases)
    requests = emulator.client.requests()
    leaked = reliability.leaks(result, markers.secrets())
    record(profile, 'malformed input, lookup needed', cases, requests, reliability.writes(requests), leaked)
    assert_cases(result, cases)
    assert reliability.writes(requests) == []
    assert requests, 'these cases need a lookup'
    assert not leaked


@pytest.mark.parametrize('provider', profiles.PROVIDERS)
def test_mappings_that_are_not_dicts_are_refused_without_showing_secrets(ansible, emulator, setup, provider):
    profile, markers = setup(provider)
    result = run_batch(ansible, emulator, profile, markers, NOT_DICTS)
    requests = emulator.client.requests()
    leaked = reliability.leaks(result, markers.secrets())
    record(profile, 'mappings that are not dicts', NOT_DICTS, requests, reliability.writes(requests), leaked)
    assert_cases(result, NOT_DICTS)
    assert requests == []
    assert not leaked, 'secret marker(s) in the results of: %s' % [
        t['name'] for t in result.tasks if any(s in str(t) for s in leaked)]


@pytest.mark.parametrize('provider', profiles.PROVIDERS)
def test_messages_from_the_argument_spec_name_the_item(ansible, emulator, setup, provider):
    profile, markers = setup(provider)
    cases = [case for case in CASES[provider] if case.index]
    # The batch of the test above answered these already; run them again only when it did not run.
    result = BATCHES.get(provider) or run_batch(ansible, emulator, profile, markers, cases)
    problems = check_cases(result, cases, with_index=True)
    problems += check_cases(run_batch(ansible, emulator, profile, markers, NOT_DICTS), NOT_DICTS, with_index=True)
    assert not problems, '\n'.join(problems)


@pytest.mark.parametrize('provider', profiles.PROVIDERS)
def test_wrong_types_are_refused_not_converted(ansible, emulator, setup, provider):
    profile, markers = setup(provider)
    cases = WRONG_TYPES[provider]
    result = run_batch(ansible, emulator, profile, markers, cases)
    problems = check_cases(result, cases)
    problems += ['%s %s' % (w['method'], w['body']) for w in reliability.writes(emulator.client.requests())]
    assert problems == []


def test_aria_local_errors_are_found_before_the_roles_lookup(ansible, emulator, setup):
    profile, markers = setup('aria')
    case = Case('empty display_name after an item with roles', ['mappings[1]', 'display_name'],
                mappings=[])
    task = task_of(profile, emulator, markers, case)
    task[profile.set_module]['mappings'] = [aria_item(display_name='ok', mapped_roles=['LCM Admin']),
                                            aria_item(display_name='')]
    result = ansible.run([task], verbosity=4, extra_vars=markers.extra_vars)
    assert_cases(result, [case])
    assert emulator.client.requests() == []
