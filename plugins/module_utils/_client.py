# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""The one HTTP client every provider uses.

Retries live here and only here: 429, 5xx and connection errors are retried with capped
exponential backoff and jitter, honouring ``Retry-After`` and relative rate-limit reset
headers. Other 4xx answers are never retried. A non-idempotent request (a create) whose
answer was lost is never re-sent blindly: the caller's ``landed`` check runs first. An idempotent
request whose answer was lost is re-sent, and if that fails, the same check runs before the
failure is reported: the first attempt may have done the work.
"""

from __future__ import annotations

import random
import threading
import time
import traceback

from ansible_collections.sso.mappings.plugins.module_utils._errors import ApiError, parse_error_body
from ansible_collections.sso.mappings.plugins.module_utils._pacing import RESET_HEADERS, Pacer, header_number, parse_retry_after

try:
    import requests
    from requests.adapters import HTTPAdapter
except ImportError:  # pragma: no cover - reported by the module with missing_required_lib
    requests = None
    HTTPAdapter = None
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    REQUESTS_IMPORT_ERROR = None

COLLECTION_VERSION = '0.1.0'
USER_AGENT = 'sso.mappings/%s (Ansible collection)' % COLLECTION_VERSION

RETRYABLE_STATUSES = frozenset((429, 500, 502, 503, 504))
# 429 answers are retried up to this many times ``retries``: the request was not processed.
RATE_LIMITED_RETRIES_FACTOR = 4
# A server that answers these did not process the request, so even a create may be re-sent.
NOT_PROCESSED_STATUSES = frozenset((429, 503))
REQUEST_ID_HEADERS = ('X-Request-Id', 'X-Request-ID', 'Request-Id', 'X-Correlation-Id', 'X-Vmware-Request-Id')

TLS_HINT = ('The server certificate could not be verified. Set ca_path to the CA bundle that signed it '
            '(appliances often use a private CA or a self-signed certificate), or, only for testing, '
            'set validate_certs to false.')


class Reply:
    """What a request returned: status, parsed body, headers and the request id."""

    __slots__ = ('status', 'data', 'headers', 'request_id')

    def __init__(self, status, data, headers=None, request_id=None):
        self.status = status
        self.data = data
        self.headers = headers or {}
        self.request_id = request_id

    @property
    def recovered(self):
        """True when the answer was lost and ``data`` is what the caller's ``landed`` check found."""
        return self.status is None


def backoff_delay(attempt, base=0.5, cap=30.0, rand=random.random):
    """Capped exponential backoff with jitter for retry number ``attempt`` (1, 2, ...)."""
    ceiling = min(cap, base * (2 ** (attempt - 1)))
    return ceiling / 2 + rand() * ceiling / 2


def retry_delay(attempt, headers, base=0.5, cap=30.0, rand=random.random, rate_limited=False):
    """How long to wait before retry ``attempt``: the server's word when it gives one, else backoff."""
    told = parse_retry_after(headers.get('Retry-After'))
    if told is None and rate_limited:
        # Confluent's X-RateLimit-Reset is relative seconds until the window resets; it says
        # when a 429 will pass, not when a 5xx will.
        told = header_number(headers, *RESET_HEADERS)
    if told is not None:
        return min(cap, told) + rand() * 0.1
    return backoff_delay(attempt, base, cap, rand)


def _same_origin(url_a, url_b):
    a = requests.utils.urlparse(url_a)
    b = requests.utils.urlparse(url_b)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


class Client:
    """HTTP client for one API: base URL, auth, TLS, timeout, retries, pacing and pagination."""

    def __init__(self, provider, base_url, auth=None, headers=None, validate_certs=True, ca_path=None,
                 timeout=30, retries=5, pool_size=10, backoff_base=0.5, backoff_cap=30.0, sleep=time.sleep,
                 status_hints=None):
        self.provider = provider
        self.status_hints = status_hints or {}
        self.base_url = base_url.rstrip('/')
        self.auth = auth
        self.timeout = timeout
        self.retries = retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.sleep = sleep
        self.session = requests.Session()
        self.session.headers['User-Agent'] = USER_AGENT
        self.session.headers['Accept'] = 'application/json'
        self.session.headers.update(headers or {})
        # Passed with every request: a session-level value would lose to REQUESTS_CA_BUNDLE.
        self.verify = (ca_path or True) if validate_certs else False
        self.session.verify = self.verify
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(1, pool_size), max_retries=0)
        self.session.mount('https://', adapter)
        self.session.mount('http://', adapter)
        if not validate_certs:
            # The module warns once; urllib3's per-request warning would only add noise.
            requests.packages.urllib3.disable_warnings()  # pylint: disable=no-member
        self.stats = {'requests': 0, 'retries': 0}
        self._lock = threading.Lock()
        self.pacer = Pacer(pool_size, sleep=sleep)

    def url(self, path):
        if path.startswith(('http://', 'https://')):
            # Links in answers (next pages, Location) must point at the same API: never send
            # credentials to another origin.
            if not _same_origin(path, self.base_url):
                raise ApiError(self.provider, 'follow link',
                               detail='the API answered with a link to another origin (%s); refusing to follow it' % path)
            return path
        return self.base_url + path

    def _request_id(self, response, data=None):
        for name in REQUEST_ID_HEADERS:
            if response.headers.get(name):
                return response.headers[name]
        if isinstance(data, dict):
            return data.get('requestId') or data.get('request_id')
        return None

    @staticmethod
    def _parse(response):
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return response.text

    def error(self, operation, response, attempts=1):
        data = self._parse(response)
        code, detail, body_request_id = parse_error_body(data)
        if detail is None:
            detail = self.status_hints.get(response.status_code) or self.describe_status(response.status_code)
        return ApiError(self.provider, operation, status=response.status_code, code=code, detail=detail,
                        request_id=self._request_id(response) or body_request_id, attempts=attempts)

    @staticmethod
    def describe_status(status):
        return {
            401: 'the credentials were not accepted (wrong, expired or revoked)',
            403: 'the credentials are valid but lack the permission this operation needs',
            404: 'not found',
            429: 'rate limit exceeded',
        }.get(status, requests.status_codes._codes.get(status, ('',))[0].replace('_', ' ') or None)  # pylint: disable=protected-access

    def request(self, method, path, operation, params=None, json=None, headers=None,
                expected=(200, 201, 202, 204), idempotent=None, landed=None, data=None, auth=None,
                give_up_on=()):
        """Send one request, retrying where that is safe; return a Reply or raise ApiError.

        ``landed`` says whether a write whose answer was lost took effect: it returns what the write
        left (the created object; for a delete, anything but None once the object is gone), else None.
        For a non-idempotent request it runs before anything is sent again (a hit sends nothing more);
        for an idempotent one, when the request sent again fails (a delete's retry can meet a 403 where
        the object is gone): a hit is then the success the first attempt had.
        ``give_up_on`` holds retryable statuses the caller reads as final for this request.
        """
        if idempotent is None:
            idempotent = method.upper() != 'POST'
        url = self.url(path)
        attempt = 0
        rate_limited = 0
        refreshed = False
        lost = False  # an idempotent attempt was sent and its answer lost
        while True:
            attempt += 1
            with self._lock:
                self.stats['requests'] += 1
            try:
                with self.pacer.turn(single_file=auth is None):
                    response = self.session.request(method, url, params=params, json=json, data=data, headers=headers,
                                                    auth=auth or self.auth, timeout=self.timeout, verify=self.verify)
            except requests.exceptions.SSLError as exc:
                raise ApiError(self.provider, operation, detail='TLS error talking to %s: %s'
                               % (self.base_url, _reason(exc)), hint=TLS_HINT) from exc
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                sent = not isinstance(exc, requests.exceptions.ConnectTimeout) and not _refused(exc)
                lost = lost or (sent and idempotent)
                if sent and not idempotent:
                    found = landed() if landed else None
                    if found is not None:
                        return Reply(None, found)
                    # After a timeout the server may still be working on it, so a miss proves nothing:
                    # fail rather than risk a duplicate. A dropped connection was answered by a miss.
                    if landed is None or isinstance(exc, requests.exceptions.Timeout):
                        raise ApiError(self.provider, operation, detail='no answer within %ss (%s); the request may '
                                       'or may not have been applied, run again to converge'
                                       % (self.timeout, _reason(exc)), attempts=attempt + rate_limited,
                                       ambiguous=True) from exc
                if attempt > self.retries:
                    raise ApiError(self.provider, operation, detail='no answer from %s (%s)'
                                   % (self.base_url, _reason(exc)), attempts=attempt + rate_limited) from exc
                self._wait_retry(attempt, {})
                continue

            status = response.status_code
            self.pacer.observe(status, response.headers)
            if status in expected:
                data = self._parse(response)
                return Reply(status, data, response.headers, self._request_id(response, data))
            if status == 401 and not refreshed and auth is None and hasattr(self.auth, 'refresh'):
                # An expired token is refreshed once; a second 401 is a real failure.
                refreshed = True
                self.auth.refresh(failed=response.request)
                attempt -= 1
                continue
            if status == 429 and rate_limited < RATE_LIMITED_RETRIES_FACTOR * self.retries:
                # The API did not process it: a 429 costs time, not one of the retries.
                rate_limited += 1
                attempt -= 1
                self._wait_retry(rate_limited, response.headers, rate_limited=True)
                continue
            if status in RETRYABLE_STATUSES and attempt <= self.retries and status not in give_up_on:
                if not idempotent and status not in NOT_PROCESSED_STATUSES:
                    found = landed() if landed else None
                    if found is not None:
                        return Reply(None, found)
                    if landed is None:
                        raise self.error(operation, response, attempt + rate_limited)
                self._wait_retry(attempt, response.headers, rate_limited=status == 429)
                continue
            error = self.error(operation, response, attempt + rate_limited)
            if lost and landed is not None:
                found = landed()
                if found is not None:
                    return Reply(None, found)
                error.add_hint('An earlier attempt got no answer, and a check afterwards found it had not taken effect.')
            raise error

    def _wait_retry(self, attempt, headers, rate_limited=False):
        delay = retry_delay(attempt, headers, self.backoff_base, self.backoff_cap, rate_limited=rate_limited)
        with self._lock:
            self.stats['retries'] += 1
        if rate_limited:
            # The whole client waits, not just this request: other workers sending on would
            # keep the window empty and the same request could lose the race every time.
            self.pacer.rate_limited(headers, delay)
        self.sleep(delay)

    def get_all(self, path, operation, items_of, next_of, params=None):
        """Read a list to its last page. ``items_of(data)`` gives a page's items and
        ``next_of(data, params)`` the next page as ``(path, params)`` or None."""
        collected = []
        seen = set()
        page = (path, params)
        while page is not None:
            marker = (page[0], tuple(sorted((page[1] or {}).items())))
            if marker in seen:
                raise ApiError(self.provider, operation, detail='the API returned the same page twice')
            seen.add(marker)
            reply = self.request('GET', page[0], operation, params=page[1], expected=(200,))
            collected.extend(items_of(reply.data))
            page = next_of(reply.data, page[1])
        return collected


def _reason(exc):
    """A short reason for a transport error, without URLs' query strings or credentials."""
    text = str(exc)
    if 'certificate verify failed' in text:
        return text[text.find('certificate verify failed'):].split(' (_ssl', 1)[0].split("'", 1)[0].rstrip(' .)')
    for known in ('CERTIFICATE_VERIFY_FAILED', 'Read timed out', 'Connection refused', 'RemoteDisconnected',
                  'Connection aborted', 'Connection reset', 'Name or service not known', 'timed out'):
        if known in text:
            detail = text[text.find(known):].split("'", 1)[0].split(')', 1)[0]
            return detail.strip(' :(')
    return type(exc).__name__


def _refused(exc):
    text = str(exc)
    return 'Connection refused' in text or 'NewConnectionError' in text or 'Name or service not known' in text
