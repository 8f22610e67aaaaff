# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""The three module flows every provider shares: one mapping, a whole set, and read-only info.

A provider contributes a ``Connection`` (base URL, env vars, credential methods, extra options)
and a ``MappingApi`` subclass; the modules themselves are a few lines each.
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

from ansible.module_utils import basic
from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible.module_utils.common.validation import check_type_bool, check_type_int

from ansible_collections.sso.mappings.plugins.module_utils import _client, _reconcile
from ansible_collections.sso.mappings.plugins.module_utils._errors import ApiError, InputError, MappingError

STATE_OPTION = {'type': 'str', 'default': 'present', 'choices': ['present', 'absent']}
_TYPE_CHECKS = {'bool': check_type_bool, 'int': check_type_int}


class CredentialMethod:
    """One way to authenticate: its options (each with env vars, first set wins) and how to build auth."""

    def __init__(self, name, options, make_auth):
        self.name = name
        self.options = options  # ((option, (ENV_VAR, ...), no_log), ...)
        self.make_auth = make_auth

    @property
    def option_names(self):
        return [option for option, _env, _no_log in self.options]


class Connection:
    """How to reach one provider's API: the options every module of that provider takes."""

    def __init__(self, provider, base_url_env, credential_methods, default_base_url=None,
                 validate_certs_env=None, extra_options=None, status_hints=None):
        self.provider = provider
        self.base_url_env = base_url_env
        self.default_base_url = default_base_url
        self.credential_methods = credential_methods
        self.validate_certs_env = validate_certs_env
        self.extra_options = extra_options or {}
        self.status_hints = status_hints or {}

    def argument_spec(self):
        base_url = {'type': 'str', 'fallback': (env_fallback, [self.base_url_env])}
        if self.default_base_url:
            base_url['default'] = self.default_base_url
        else:
            base_url['required'] = True
        validate_certs = {'type': 'bool', 'default': True}
        if self.validate_certs_env:
            validate_certs['fallback'] = (env_fallback, [self.validate_certs_env])
        spec = {
            'base_url': base_url,
            'validate_certs': validate_certs,
            'ca_path': {'type': 'path'},
            'timeout': {'type': 'float', 'default': 30},
            'retries': {'type': 'int', 'default': 5},
            'parallelism': {'type': 'int', 'default': 8},
        }
        for method in self.credential_methods:
            for option, _env, no_log in method.options:
                spec[option] = {'type': 'str', 'no_log': no_log}
        spec.update(self.extra_options)
        return spec

    def resolve_credentials(self, module):
        """Pick one credential method: explicit options beat environment variables.

        Options of two methods at once, or a method with a part missing, fail before any request.
        """
        params = module.params
        explicit = [m for m in self.credential_methods if any(params.get(o) not in (None, '') for o in m.option_names)]
        source = 'options'
        if len(explicit) > 1:
            raise InputError('%s: conflicting credentials: %s are mutually exclusive; use one method'
                             % (self.provider, ' and '.join('(%s)' % ', '.join(m.option_names) for m in explicit)))
        candidates = explicit
        if not candidates:
            source = 'environment'
            candidates = [m for m in self.credential_methods
                          if any(_first_env(env) for _option, env, _no_log in m.options)]
            if len(candidates) > 1:
                raise InputError('%s: conflicting credentials in the environment: %s are set; unset all but one '
                                 'method or pass the credentials as options'
                                 % (self.provider, ' and '.join('(%s)' % ', '.join(_env_names(m)) for m in candidates)))
        if not candidates:
            raise InputError('%s: no credentials: set %s, or the environment variables %s'
                             % (self.provider, ' or '.join('(%s)' % ', '.join(m.option_names) for m in self.credential_methods),
                                ' or '.join('(%s)' % ', '.join(_env_names(m)) for m in self.credential_methods)))
        method = candidates[0]
        values, missing = {}, []
        for option, env, no_log in method.options:
            value = params.get(option)
            if value in (None, ''):
                value = _first_env(env)
                if value and no_log:
                    # Values read here bypass the argument spec, so mask them explicitly.
                    module.no_log_values.add(value)
            if value in (None, ''):
                missing.append('%s (or %s)' % (option, ' / '.join(env)))
            values[option] = value
        if missing:
            raise InputError('%s: incomplete credentials from %s for %s: missing %s'
                             % (self.provider, source, method.name, ', '.join(missing)))
        return method, values

    def client(self, module):
        params = module.params
        # An empty variable in the environment means "not set", as it does for credentials.
        base_url = (params.get('base_url') or '').strip() or self.default_base_url or ''
        parsed = urlparse(base_url)
        if parsed.scheme not in ('http', 'https') or not parsed.hostname:
            raise InputError('%s: base_url must be an http:// or https:// URL with a host name, got %r'
                             % (self.provider, base_url))
        for option in ('timeout', 'retries', 'parallelism'):
            low = 1 if option == 'parallelism' else 0
            if params[option] < low or (option == 'timeout' and params[option] == 0):
                raise InputError('%s: %s must be %s, got %s'
                                 % (self.provider, option, 'at least 1' if low else 'positive', params[option]))
        if params.get('ca_path') and not os.path.isfile(params['ca_path']):
            raise InputError('%s: ca_path %s is not a readable file' % (self.provider, params['ca_path']))
        method, values = self.resolve_credentials(module)
        if not params['validate_certs'] and parsed.scheme == 'https':
            module.warn('TLS certificate verification is disabled for %s (validate_certs is false): the connection '
                        'is encrypted but the server is not authenticated.' % base_url)
        client = _client.Client(self.provider, base_url, validate_certs=params['validate_certs'],
                                ca_path=params.get('ca_path'), timeout=params['timeout'], retries=params['retries'],
                                pool_size=params['parallelism'], headers=self.headers_for(params),
                                status_hints=self.status_hints)
        client.auth = method.make_auth(client, values)
        return client

    def headers_for(self, params):  # pylint: disable=unused-argument
        """Headers every request of this provider carries (Atlas: its versioned media type)."""
        return {}


def _first_env(names):
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


def _env_names(method):
    return [name for _option, env, _no_log in method.options for name in env]


class MappingModule:
    """The shared module flows. ``api_class(module, client)`` builds the provider's MappingApi."""

    def __init__(self, connection, api_class, mapping_options, info_filters, identity_required=None,
                 write_options=None):
        self.connection = connection
        self.api_class = api_class
        self.mapping_options = mapping_options
        self.info_filters = info_filters
        self.identity_required = identity_required or []
        self.write_options = write_options or {}  # extra task-level options of the modules that write

    def _module(self, spec, **kwargs):
        full = self.connection.argument_spec()
        full.update(spec)
        problem = _shape_problem(full, basic._load_params())  # pylint: disable=protected-access
        if problem:
            # Ansible's own validation would convert a list to a string, name no item, or (before
            # 2.21) fail before it masks the secrets: take the options as they are and say what is wrong.
            module = AnsibleModule(argument_spec=_as_given(full), supports_check_mode=True)
            module.fail_json(msg='%s: %s' % (self.connection.provider, problem))
        module = AnsibleModule(argument_spec=full, supports_check_mode=True, **kwargs)
        if _client.requests is None:
            module.fail_json(msg=missing_required_lib('requests'), exception=_client.REQUESTS_IMPORT_ERROR)
        return module

    def _start(self, module):
        client = self.connection.client(module)
        return self.api_class(module, client)

    def run_one(self):
        """One mapping: the set flow with one item and no purge."""
        spec = dict(self.mapping_options)
        spec['state'] = dict(STATE_OPTION)
        module = self._module(dict(spec, **self.write_options), required_one_of=self.identity_required or None)
        item = dict((name, module.params[name]) for name in spec)
        api, changes, result = self._converge(module, [item], purge=False, where=None)
        result.pop('mappings')
        change = changes[0]
        result['mapping'] = change.result if change.result is not None else change.after(api)
        # One mapping's diff is the mapping itself, as other collections show one object.
        result['diff'] = {'before': change.before(), 'after': change.after(api)}
        self._exit(module, result)

    def run_set(self):
        item_spec = dict(self.mapping_options)
        item_spec['state'] = dict(STATE_OPTION)
        spec = {
            'mappings': {'type': 'list', 'elements': 'dict', 'required': True, 'options': item_spec,
                         'required_one_of': self.identity_required or None},
            'purge': {'type': 'bool', 'default': False},
        }
        spec.update(self.write_options)
        module = self._module(spec)
        items = [dict((name, item.get(name)) for name in item_spec) for item in module.params['mappings']]
        result = self._converge(module, items, purge=module.params['purge'], where='mappings')[2]
        self._exit(module, result)

    def run_info(self):
        module = self._module(dict(self.info_filters))
        try:
            api = self._start(module)
            mappings = api.list_current()
            filters = dict((k, module.params[k]) for k in self.info_filters if module.params.get(k) not in (None, ''))
            mappings = [m for m in mappings if api.matches_filters(m, filters)]
            mappings.sort(key=api.key)
            api.read_details(mappings)
        except MappingError as error:
            module.fail_json(msg=str(error), **_error_fields(error))
        module.exit_json(changed=False, mappings=mappings)

    def _converge(self, module, items, purge, where):
        """validation -> desired set -> current set (read once) -> plan -> writes -> result."""
        try:
            api = self._start(module)
            desired = [api.validate(item, _where(where, index)) for index, item in enumerate(items)]
            _reconcile.find_duplicates(api, desired, where or 'the task')
            api.prepare()
            current = api.list_current(desired, purge)
            changes = _reconcile.plan(api, desired, current, purge=purge)
            failures = []
            if not module.check_mode:
                failures = _reconcile.apply(api, changes, workers=module.params['parallelism'])
                api.after_apply()
        except MappingError as error:
            module.fail_json(msg=str(error), changed=False, **_error_fields(error))
        result = _reconcile.outcome(api, changes, current, check_mode=module.check_mode)
        if failures:
            module.fail_json(msg=_failure_message(changes, failures),
                             failures=[dict(_error_fields(e), action=c.action, key=c.key, msg=str(e)) for c, e in failures],
                             **result)
        return api, changes, result

    @staticmethod
    def _exit(module, result):
        diff = result.pop('diff')
        if module._diff:  # pylint: disable=protected-access
            result['diff'] = diff
        module.exit_json(**result)


def _shape_problem(spec, params, where=''):
    """The first option of ``params`` whose shape the argument spec would mangle or reject unclearly:
    a list or dict where a string belongs, an item of a list of dicts that is not a dict, an unknown key."""
    if not isinstance(params, dict):
        return None
    known = set(spec)
    for option in spec.values():
        known.update(option.get('aliases') or [])
    for name, value in params.items():
        if name not in known:
            if where:
                return '%s: unknown option %r; valid options: %s' % (where, name, ', '.join(sorted(spec)))
            continue  # top level: Ansible's own message is clear, and internal _ansible_* keys live here
        option = spec.get(name) or next(o for o in spec.values() if name in (o.get('aliases') or []))
        label = '%s.%s' % (where, name) if where else name
        if value is None:
            continue
        if option.get('type', 'str') == 'str' and isinstance(value, (list, dict)):
            return '%s must be a string, got a %s' % (label, 'list' if isinstance(value, list) else 'dictionary')
        checker = _TYPE_CHECKS.get(option.get('type'))
        if checker is not None and where:
            try:
                checker(value)
            except (TypeError, ValueError):
                return '%s must be %s, got %r' % (label, option['type'] == 'bool' and 'a boolean' or 'an integer', value)
        if option.get('choices') and isinstance(value, str) and value not in option['choices']:
            return '%s must be one of %s, got %r' % (label, ', '.join(option['choices']), value)
        suboptions = option.get('options')
        if not suboptions:
            continue
        if option.get('type') == 'dict':
            if not isinstance(value, dict):
                return '%s must be a dictionary, got %s' % (label, type(value).__name__)
            problem = _shape_problem(suboptions, value, label)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if not isinstance(item, dict):
                    return '%s[%d] must be a dictionary of options, got %s' % (label, index, type(item).__name__)
                problem = (_shape_problem(suboptions, item, '%s[%d]' % (label, index))
                           or _rule_problem(option, item, '%s[%d]' % (label, index)))
                if problem:
                    return problem
            problem = None
        else:
            return '%s must be a list of dictionaries, got %s' % (label, type(value).__name__)
        if problem:
            return problem
    return None


def _rule_problem(option, item, where):
    """Required, one-of and exclusive sub-options of one item, named with the item's index."""
    given = set(k for k, v in item.items() if v is not None)
    for name, sub in option['options'].items():
        if sub.get('required') and name not in given and not given & set(sub.get('aliases') or []):
            return '%s: missing required option %s' % (where, name)
    for group in option.get('required_one_of') or []:
        if not given & set(group):
            return '%s: one of %s is required' % (where, ', '.join(group))
    for group in option.get('mutually_exclusive') or []:
        both = [name for name in group if name in given]
        if len(both) > 1:
            return '%s: %s are mutually exclusive' % (where, ' and '.join(both))
    return None


def _as_given(spec):
    """The same options, taken as given, so that validation cannot fail before secrets are masked."""
    relaxed = {}
    for name, option in spec.items():
        relaxed[name] = dict((k, v) for k, v in option.items() if k in ('no_log', 'aliases'))
        relaxed[name]['type'] = 'raw'
    return relaxed


def _failure_message(changes, failures):
    """Say what failed, with the API's own words, and what became of the other changes."""
    planned = [c for c in changes if c.action != _reconcile.UNCHANGED]
    if len(planned) == 1:
        return str(failures[0][1])
    applied = sum(1 for c in planned if c.applied)
    skipped = len(planned) - applied - len(failures)
    details = ' | '.join('%s %s: %s' % (change.action, change.key, error) for change, error in failures)
    outcome = '%d applied' % applied
    if skipped:
        outcome += ', %d not attempted after an error that stops the run' % skipped
    return '%d of %d changes failed (%s): %s' % (len(failures), len(planned), outcome, details)


def _where(where, index):
    return '%s[%d]' % (where, index) if where else None


def _error_fields(error):
    if isinstance(error, ApiError):
        fields = {'status': error.status, 'attempts': error.attempts}
        if error.request_id:
            fields['request_id'] = error.request_id
        if error.code:
            fields['error_code'] = error.code
        return fields
    return {}
