# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""The three modules of a provider: one mapping, a whole set, and read-only info.

``ProviderModules`` turns a module's Ansible input into one call of the shared flow
(``_reconcile.converge`` or ``read_mappings``) and its outcome into ``exit_json`` or
``fail_json``. A provider contributes a ``Connection`` and a ``MappingApi`` subclass; its
modules are a few lines each.
"""

from __future__ import annotations

from ansible.module_utils import basic
from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.sso.mappings.plugins.module_utils import _arguments, _client, _reconcile
from ansible_collections.sso.mappings.plugins.module_utils._errors import ApiError, MappingError

STATE_OPTION = {'type': 'str', 'default': 'present', 'choices': ['present', 'absent']}
# The set modules' safe-apply options (doc fragment sso.mappings.safe_apply), the same for every provider.
SAFE_APPLY_OPTIONS = {
    'max_deletions': {'type': 'int'},
    'allow_empty_purge': {'type': 'bool', 'default': False},
    'plan_fingerprint': {'type': 'str'},
}


class ProviderModules:
    """The modules of one provider. ``api_class(client, options)`` builds its MappingApi."""

    def __init__(self, connection, api_class, mapping_options, info_filters, identity_required=None,
                 write_options=None, role_variable=None, info_options=None):
        self.connection = connection
        self.api_class = api_class
        self.mapping_options = mapping_options
        self.info_filters = info_filters
        self.identity_required = identity_required or []
        self.write_options = write_options or {}  # extra task-level options of the modules that write
        self.info_options = info_options or {}  # options of the _info module beyond its filters
        self.role_variable = role_variable  # the role's variable that holds the desired set

    @property
    def provider(self):
        return self.connection.provider

    def item_option(self):
        """The option of the set module's ``mappings`` (and of the role's desired set)."""
        item_spec = dict(self.mapping_options)
        item_spec['state'] = dict(STATE_OPTION)
        return {'type': 'list', 'elements': 'dict', 'required': True, 'options': item_spec,
                'required_one_of': self.identity_required or None}

    def run_one(self):
        """One mapping: the set flow with one item and no purge."""
        spec = dict(self.mapping_options)
        spec['state'] = dict(STATE_OPTION)
        module = self._module(dict(spec, **self.write_options), required_one_of=self.identity_required or None)
        item = dict((name, module.params[name]) for name in spec)
        done = self._converge(module, [item], purge=False, where=None)
        result = done.result
        result.pop('mappings')
        result.pop('plan_fingerprint')
        change = done.changes[0]
        api = done.api
        result['mapping'] = change.result if change.result is not None else change.after(api)
        # One mapping's diff is the mapping itself, as other collections show one object.
        result['diff'] = {'before': change.before(), 'after': change.after(api)}
        self._exit(module, result)

    def run_set(self):
        item_option = self.item_option()
        spec = {'mappings': item_option, 'purge': {'type': 'bool', 'default': False}}
        spec.update(SAFE_APPLY_OPTIONS)
        spec.update(self.write_options)
        module = self._module(spec)
        params = module.params
        items = [dict((name, item.get(name)) for name in item_option['options']) for item in params['mappings']]
        done = self._converge(module, items, purge=params['purge'], where='mappings', max_deletions=params['max_deletions'],
                              allow_empty_purge=params['allow_empty_purge'], approved=params['plan_fingerprint'])
        self._exit(module, done.result)

    def run_info(self):
        module = self._module(dict(self.info_filters, **self.info_options))
        try:
            api = self._start(module)
            filters = dict((k, module.params[k]) for k in self.info_filters if module.params.get(k) not in (None, ''))
            mappings = _reconcile.read_mappings(api, filters)
            extras = api.info_extras(mappings, dict((k, module.params[k]) for k in self.info_options))
        except MappingError as error:
            module.fail_json(msg=str(error), **_error_fields(error))
        module.exit_json(changed=False, mappings=mappings, **extras)

    def _module(self, spec, **kwargs):
        full = self.connection.argument_spec()
        full.update(spec)
        params = basic._load_params()  # pylint: disable=protected-access
        found = _arguments.problems(full, params)
        if found:
            # Take the options as they are, so that secrets are masked, and say what is wrong.
            module = _Module(params, argument_spec=_arguments.as_given(full), supports_check_mode=True)
            module.fail_json(msg='%s: %s' % (self.provider, found[0]))
        module = _Module(params, argument_spec=full, supports_check_mode=True, **kwargs)
        if _client.requests is None:
            module.fail_json(msg=missing_required_lib('requests'), exception=_client.REQUESTS_IMPORT_ERROR)
        return module

    def _start(self, module):
        """Options checked, then the client and the adapter."""
        settings = self.connection.check(module.params)
        # Values read from the environment bypass the argument spec: mask them explicitly.
        module.no_log_values.update(settings.secrets)
        for warning in settings.warnings:
            module.warn(warning)
        return self.api_class(self.connection.client(settings), settings.options)

    def _converge(self, module, items, purge, where, **safe_apply):
        api = None
        try:
            api = self._start(module)
            done = _reconcile.converge(api, items, purge=purge, check_mode=module.check_mode,
                                       parallelism=module.params['parallelism'], where=where, **safe_apply)
        except MappingError as error:
            _warn(module, api)
            module.fail_json(msg=str(error), changed=False, **_error_fields(error))
        _warn(module, api)
        if done.failures:
            module.fail_json(msg=_failure_message(done.changes, done.failures),
                             failures=[dict(_error_fields(e), action=c.action, key=c.key, msg=str(e))
                                       for c, e in done.failures],
                             **done.result)
        return done

    @staticmethod
    def _exit(module, result):
        diff = result.pop('diff')
        if module._diff:  # pylint: disable=protected-access
            result['diff'] = diff
        module.exit_json(**result)


class _Module(AnsibleModule):
    """An AnsibleModule on the arguments the pre-check already decoded: decoding (and copying) them
    again costs as much as the check itself at 10 000 mappings."""

    def __init__(self, params, **kwargs):
        self._decoded = params
        super().__init__(**kwargs)

    def _load_params(self):
        self.params = self._decoded


def _warn(module, api):
    for warning in api.warnings if api is not None else ():
        module.warn(warning)


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


def _error_fields(error):
    if isinstance(error, ApiError):
        fields = {'status': error.status, 'attempts': error.attempts}
        if error.request_id:
            fields['request_id'] = error.request_id
        if error.code:
            fields['error_code'] = error.code
        return fields
    if isinstance(error, _reconcile.PlanRefused):
        return {'plan_fingerprint': error.plan_fingerprint}
    return {}
