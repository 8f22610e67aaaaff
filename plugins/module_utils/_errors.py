# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""The collection's error types and the vendors' error-body parsers."""

from __future__ import annotations


class MappingError(Exception):
    """Base of every failure a module reports; ``str()`` is the user-facing message."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self):
        return self.message


class InputError(MappingError):
    """Input that fails a local check; raised before any write (and, where possible, any request)."""


class ApiError(MappingError):
    """A request that failed: names the provider, the operation and everything the API said.

    ``ambiguous`` is true when a write may have been applied although no answer came back
    (the connection dropped or timed out after the request was sent).
    """

    def __init__(self, provider, operation, status=None, code=None, detail=None,
                 request_id=None, attempts=1, ambiguous=False, hint=None):
        self.provider = provider
        self.operation = operation
        self.status = status
        self.code = code
        self.detail = detail
        self.request_id = request_id
        self.attempts = attempts
        self.ambiguous = ambiguous
        self.hint = hint
        # Set by an adapter whose change is several writes, when the first landed before this error:
        # the mapping as it now is, so the result reports what was written.
        self.partial = None
        # Set by an adapter that knows an answer outside 4xx concerns this item alone (Atlas answers
        # some roles it does not accept with 500): the other items' writes may go on.
        self.about_item = False
        super().__init__(self._compose())

    def add_hint(self, hint):
        """Say more about what the failure means, once the caller knows it."""
        self.hint = ' '.join(h for h in (self.hint, hint) if h)
        self.message = self._compose()

    def _compose(self):
        parts = ['%s: %s failed' % (self.provider, self.operation)]
        if self.status is not None:
            parts.append(': HTTP %s' % self.status)
        if self.code:
            parts.append(' %s' % self.code)
        if self.detail:
            parts.append(': %s' % str(self.detail).rstrip('. '))
        if self.request_id:
            parts.append(' (request id %s)' % self.request_id)
        if self.attempts > 1:
            parts.append(' after %d attempts' % self.attempts)
        text = ''.join(parts)
        if not text.endswith('.'):
            text += '.'
        if self.hint:
            text += ' ' + self.hint
        return text


def _join(*values):
    return ': '.join(str(v) for v in values if v not in (None, ''))


def parse_error_body(data):
    """Return ``(code, message, request_id)`` from any vendor's error body, tolerant of its shape.

    Known shapes:
    - Confluent: ``{"errors": [{"status", "code", "title", "detail", "source"}]}``
    - Confluent (newer deployments): ``{"status", "error": {"code", "message", ...}, "requestId"}``
    - Atlas: ``{"error", "errorCode", "detail", "reason", "parameters", "badRequestDetail"}``
    - Aria: ``{"errorCode", "errorLabel", "message", "recommendations"}``
    - OAuth 2.0 token endpoints: ``{"error", "error_description"}``
    """
    if not isinstance(data, dict):
        if isinstance(data, str) and data.strip():
            return None, data.strip()[:500], None
        return None, None, None

    request_id = data.get('requestId') or data.get('request_id')

    errors = data.get('errors')
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        codes, messages = [], []
        for err in errors:
            codes.append(str(err.get('code') or err.get('error_code') or ''))
            message = _join(err.get('title'), err.get('detail') or err.get('message'))
            pointer = (err.get('source') or {}).get('pointer') or (err.get('source') or {}).get('parameter')
            if pointer:
                message += ' (at %s)' % pointer
            messages.append(message)
            request_id = request_id or err.get('id')
        return ', '.join(c for c in codes if c) or None, '; '.join(m for m in messages if m) or None, request_id

    nested = data.get('error')
    if isinstance(nested, str) and nested:
        # OAuth 2.0 token endpoints: {"error": "invalid_client", "error_description": "..."}
        return nested, data.get('error_description') or None, request_id
    if isinstance(nested, dict):
        code = nested.get('code') or nested.get('error_code')
        message = _join(nested.get('title'), nested.get('message') or nested.get('detail'))
        return (str(code) if code else None), message or None, request_id

    if 'errorCode' in data:
        code = data.get('errorCode')
        message = data.get('detail') or data.get('message') or data.get('reason') or data.get('errorLabel')
        extras = []
        bad_request = data.get('badRequestDetail')
        if isinstance(bad_request, dict):
            for violation in bad_request.get('fields') or []:
                if isinstance(violation, dict):
                    extras.append(_join(violation.get('field'), violation.get('description')))
        recommendations = data.get('recommendations')
        if isinstance(recommendations, list) and recommendations:
            extras.append('recommendations: ' + '; '.join(str(r) for r in recommendations))
        elif isinstance(recommendations, str) and recommendations:
            extras.append('recommendations: ' + recommendations)
        if extras:
            extra = '; '.join(e.rstrip('. ') for e in extras)
            message = '%s (%s)' % (message.rstrip('. '), extra) if message else extra
        return (str(code) if code else None), message or None, request_id

    message = data.get('message') or data.get('detail') or data.get('title')
    if isinstance(message, str) and message:
        return (str(data['code']) if data.get('code') else None), message, request_id
    return None, None, request_id
