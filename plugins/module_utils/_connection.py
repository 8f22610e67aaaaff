# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""How to reach one provider's API: its options, their checks, and the client built from them.

Every option check happens here, once, before the client exists: the URL, the ranges, the CA
file, the credentials (one method, complete, explicit options before environment variables)
and the provider's own options. What comes out is a ``Settings``; nothing later looks at the
module's parameters again.
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

from ansible.module_utils.basic import env_fallback

from ansible_collections.sso.mappings.plugins.module_utils import _client
from ansible_collections.sso.mappings.plugins.module_utils._errors import InputError


class CredentialMethod:
    """One way to authenticate: its options (each with env vars, first set wins) and how to build auth.

    ``options`` are ``(option, (ENV_VAR, ...), no_log)`` triples, or quadruples whose fourth item is
    the option's type (``str`` otherwise). ``optional`` options may be left out; ``check(provider,
    values)`` adds rules across the options (raising InputError) and returns the values the auth needs.
    """

    def __init__(self, name, options, make_auth, optional=(), check=None):
        self.name = name
        self.options = [tuple(option[:3]) for option in options]
        self.types = dict((option[0], option[3]) for option in options if len(option) > 3)
        self.optional = frozenset(optional)
        self.make_auth = make_auth
        self.check = check

    @property
    def option_names(self):
        return [option for option, _env, _no_log in self.options]


class Settings:
    """The checked options of one module run."""

    def __init__(self, base_url, validate_certs, ca_path, timeout, retries, parallelism, method, credentials,
                 options=None, secrets=(), warnings=()):
        self.base_url = base_url
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        self.retries = retries
        self.parallelism = parallelism
        self.method = method
        self.credentials = credentials
        self.options = options or {}  # the provider's own options, for its adapter
        self.secrets = set(secrets)  # values read from the environment that must be masked
        self.warnings = list(warnings)


class Connection:
    """The options every module of one provider takes, and the client they describe."""

    def __init__(self, provider, base_url_env, credential_methods, default_base_url=None,
                 validate_certs_env=None, extra_options=None, status_hints=None, check_options=None):
        self.provider = provider
        self.base_url_env = base_url_env
        self.default_base_url = default_base_url
        self.credential_methods = credential_methods
        self.validate_certs_env = validate_certs_env
        self.extra_options = extra_options or {}
        self.status_hints = status_hints or {}
        # params -> the provider's own options, checked (raises InputError)
        self.check_options = check_options or (lambda params: {})

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
                spec.setdefault(option, {'type': method.types.get(option, 'str'), 'no_log': no_log})
        spec.update(self.extra_options)
        return spec

    def check(self, params):
        """Every option of the connection, checked; a Settings, or InputError naming the option."""
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
        method, credentials, secrets = self.resolve_credentials(params)
        warnings = []
        if not params['validate_certs'] and parsed.scheme == 'https':
            warnings.append('TLS certificate verification is disabled for %s (validate_certs is false): the connection '
                            'is encrypted but the server is not authenticated.' % base_url)
        return Settings(base_url, params['validate_certs'], params.get('ca_path'), params['timeout'], params['retries'],
                        params['parallelism'], method, credentials, options=self.check_options(params),
                        secrets=secrets, warnings=warnings)

    def resolve_credentials(self, params):
        """Pick one credential method: explicit options beat environment variables.

        Returns ``(method, values, secrets)``; ``secrets`` are the values taken from the environment
        that the module must mask, since they bypass the argument spec. Options of two methods at
        once, or a method with a part missing, fail before any request.
        """
        explicit = [m for m in self.credential_methods
                    if any(params.get(o) not in (None, '') for o in m.option_names)]
        source = 'options'
        if len(explicit) > 1:
            raise InputError('%s: conflicting credentials: %s are mutually exclusive; use one method'
                             % (self.provider, ' and '.join('(%s)' % ', '.join(m.option_names) for m in explicit)))
        candidates = explicit
        if not candidates:
            source = 'environment'
            candidates = [m for m in self.credential_methods if any(_first_env(env) for _option, env, _no_log in m.options)]
            if len(candidates) > 1:
                raise InputError('%s: conflicting credentials in the environment: %s are set; unset all but one '
                                 'method or pass the credentials as options'
                                 % (self.provider, ' and '.join('(%s)' % ', '.join(_env_names(m)) for m in candidates)))
        if not candidates:
            raise InputError('%s: no credentials: set %s, or the environment variables %s'
                             % (self.provider, ' or '.join('(%s)' % ', '.join(m.option_names)
                                                           for m in self.credential_methods),
                                ' or '.join('(%s)' % ', '.join(_env_names(m)) for m in self.credential_methods)))
        method = candidates[0]
        values, missing, secrets = {}, [], set()
        for option, env, no_log in method.options:
            value = params.get(option)
            if value in (None, ''):
                value = _first_env(env)
                if value and no_log:
                    secrets.add(value)
            if value in (None, '') and option not in method.optional:
                missing.append('%s (or %s)' % (option, ' / '.join(env)))
            values[option] = value if value not in (None, '') else None
        if missing:
            raise InputError('%s: incomplete credentials from %s for %s: missing %s'
                             % (self.provider, source, method.name, ', '.join(missing)))
        if method.check is not None:
            values = method.check(self.provider, values)
        return method, values, secrets

    def client(self, settings):
        """The client for these settings, with the credential method's auth."""
        client = _client.Client(self.provider, settings.base_url, validate_certs=settings.validate_certs,
                                ca_path=settings.ca_path, timeout=settings.timeout, retries=settings.retries,
                                pool_size=settings.parallelism, headers=self.headers(settings),
                                status_hints=self.status_hints)
        client.auth = settings.method.make_auth(client, settings)
        return client

    def headers(self, settings):  # pylint: disable=unused-argument
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
