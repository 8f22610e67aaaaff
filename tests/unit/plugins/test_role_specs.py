# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles take what the modules take: their argument specs against the modules' options."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ansible_collections.sso.mappings.plugins.filter.mappings import MODULES
from ansible_collections.sso.mappings.plugins.module_utils._runner import SAFE_APPLY_OPTIONS

ROLES = Path(__file__).resolve().parents[3] / 'roles'
COMPARED = ('type', 'elements', 'choices')
# Variables of the export entry point alone: options of the _info module, not connection variables.
EXPORT_ONLY = {'atlas': {'atlas_project_names': 'project_names'}}
# Variables of the main entry point alone: options of the set module beyond its items and purge.
MAIN_ONLY = {'atlas': {'atlas_allow_unknown_roles': 'allow_unknown_roles'}}
# Variables of the main entry point that the role expands into its desired set (sso_groups), not module options.
CATALOGUE = {'confluent': ('sso_groups', 'confluent_groups_claim'), 'atlas': ('sso_groups',), 'aria': ('sso_groups',)}


def role_spec(provider):
    with open(ROLES / provider / 'meta' / 'argument_specs.yml', encoding='utf-8') as handle:
        return yaml.safe_load(handle)['argument_specs']


def role_defaults(provider):
    with open(ROLES / provider / 'vars' / 'main.yml', encoding='utf-8') as handle:
        return yaml.safe_load(handle)['%s_module_defaults' % provider]


def differences(role_options, module_options, where):
    """What differs between two option specs: names, and per option its type, elements, choices,
    required and sub-options. Role specs take no aliases, so a module option's alias is a role option."""
    found = []
    module_options = dict(module_options)
    for option in list(module_options.values()):
        for alias in option.get('aliases') or []:
            module_options[alias] = option
    for name in sorted(set(role_options) ^ set(module_options)):
        found.append('%s.%s: only in the %s' % (where, name, 'role' if name in role_options else 'module'))
    for name in sorted(set(role_options) & set(module_options)):
        role, module = role_options[name], module_options[name]
        for key in COMPARED:
            if role.get(key) != module.get(key):
                found.append('%s.%s: %s is %r in the role, %r in the module'
                             % (where, name, key, role.get(key), module.get(key)))
        if bool(role.get('required')) != bool(module.get('required')):
            found.append('%s.%s: required differs' % (where, name))
        found += differences(role.get('options') or {}, module.get('options') or {}, '%s.%s' % (where, name))
    return found


@pytest.mark.parametrize('provider', sorted(MODULES))
def test_the_desired_set_takes_the_set_modules_items(provider):
    modules = MODULES[provider]
    options = role_spec(provider)['main']['options']
    desired = options[modules.role_variable]
    assert (desired['type'], desired['elements']) == ('list', 'dict')
    assert differences(desired['options'], modules.item_option()['options'], modules.role_variable) == []
    assert options[modules.role_variable + '_purge']['type'] == 'bool'


@pytest.mark.parametrize('provider', sorted(MODULES))
def test_the_connection_variables_are_the_modules_options(provider):
    """Every <provider>_<option> variable reaches that module option through the role's module_defaults,
    with the same type, and both entry points take the same connection variables."""
    modules = MODULES[provider]
    specs = role_spec(provider)
    main = dict((k, v) for k, v in specs['main']['options'].items()
                if not k.startswith(modules.role_variable) and k not in MAIN_ONLY.get(provider, {})
                and k not in CATALOGUE[provider])
    export_only = EXPORT_ONLY.get(provider, {})
    assert main == dict((k, v) for k, v in specs['export']['options'].items() if k not in export_only)
    module_options = modules.connection.argument_spec()
    defaults = role_defaults(provider)
    prefix = provider + '_'
    assert sorted(defaults) == sorted(name[len(prefix):] for name in main)
    for name, option in main.items():
        target = name[len(prefix):]
        assert defaults[target] == '{{ %s | default(omit) }}' % name
        assert option['type'] == module_options[target].get('type', 'str'), name


def assert_variables_reach_the_module(provider, entry_point, module_suffix, module_spec, variables):
    """Each role variable of ``variables`` reaches the option of the same name of the entry point's module task,
    with the option's type and default."""
    options = role_spec(provider)[entry_point]['options']
    with open(ROLES / provider / 'defaults' / 'main.yml', encoding='utf-8') as handle:
        defaults = yaml.safe_load(handle)
    with open(ROLES / provider / 'tasks' / ('%s.yml' % entry_point), encoding='utf-8') as handle:
        task = next(t for t in yaml.safe_load(handle) if any(k.endswith(module_suffix) for k in t))
    module_options = next(v for k, v in task.items() if k.endswith(module_suffix))
    for variable, option in variables.items():
        assert options[variable]['type'] == module_spec[option]['type']
        assert options[variable]['default'] == module_spec[option]['default'] == defaults[variable]
        assert module_options[option] == '{{ %s }}' % variable


@pytest.mark.parametrize('provider', sorted(EXPORT_ONLY))
def test_the_export_entry_points_own_variables_are_the_info_modules_options(provider):
    """Such a variable reaches the _info module's option of the same name, with its type and default."""
    assert_variables_reach_the_module(provider, 'export', '_info', MODULES[provider].info_options, EXPORT_ONLY[provider])


@pytest.mark.parametrize('provider', sorted(MAIN_ONLY))
def test_the_main_entry_points_own_variables_are_the_set_modules_options(provider):
    """Such a variable reaches the set module's option of the same name, with its type and default."""
    assert_variables_reach_the_module(provider, 'main', '_mappings', MODULES[provider].write_options, MAIN_ONLY[provider])


@pytest.mark.parametrize('provider', sorted(MODULES))
def test_the_safe_apply_variables_reach_the_set_modules_options(provider):
    """<desired set>_max_deletions, _allow_empty_purge and _plan_fingerprint: the option's type and default, passed
    to the set module, the first and the last falling back to the playbook-wide sso_mappings_ variable."""
    variable = MODULES[provider].role_variable
    options = role_spec(provider)['main']['options']
    with open(ROLES / provider / 'defaults' / 'main.yml', encoding='utf-8') as handle:
        defaults = yaml.safe_load(handle)
    with open(ROLES / provider / 'tasks' / 'main.yml', encoding='utf-8') as handle:
        (module_args,) = [task['sso.mappings.' + variable] for task in yaml.safe_load(handle) if 'sso.mappings.' + variable in task]
    for name, option in sorted(SAFE_APPLY_OPTIONS.items()):
        role_variable = '%s_%s' % (variable, name)
        assert options[role_variable]['type'] == option['type'], role_variable
        assert options[role_variable].get('default') == option.get('default') == defaults.get(role_variable), role_variable
        if 'default' in option:
            assert module_args[name] == '{{ %s }}' % role_variable
        else:
            assert module_args[name] == '{{ %s | default(sso_mappings_%s | default(omit)) }}' % (role_variable, name)


@pytest.mark.parametrize('provider', sorted(MODULES))
def test_the_catalogue_variables_are_documented_with_the_roles_defaults(provider):
    """sso_groups is shared by the three roles (no role prefix): its default is in the tasks, not defaults/."""
    options = role_spec(provider)['main']['options']
    with open(ROLES / provider / 'defaults' / 'main.yml', encoding='utf-8') as handle:
        defaults = yaml.safe_load(handle)
    with open(ROLES / provider / 'tasks' / 'main.yml', encoding='utf-8') as handle:
        tasks = handle.read()
    for variable in CATALOGUE[provider]:
        if variable == 'sso_groups':
            assert variable not in defaults and tasks.count('sso_groups | default({}) | sso.mappings.') == 2
        else:
            assert options[variable]['default'] == defaults[variable]
    # Templated whole by the role's argument validation, a value of another platform's key could fail a host that
    # lacks that platform's variables: sso_groups is described, and checked by the role's first task.
    assert 'sso_groups' not in options
    assert 'sso_groups' in ' '.join(role_spec(provider)['main']['description'])
    if provider == 'confluent':
        assert (options['confluent_groups_claim']['type'], options['confluent_groups_claim']['default']) == ('str', 'groups')
