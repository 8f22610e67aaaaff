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
answer was lost is never re-sent blindly: the caller's ``landed`` check runs first.
"""

from __future__ import annotations

import collections
import contextlib
import email.utils
import random
import threading
import time
import traceback

from ansible_collections.sso.mappings.plugins.module_utils._errors import ApiError, parse_error_body

try:
    import requests
    from requests.adapters import HTTPAdapter
    from requests.auth import AuthBase
except ImportError:  # pragma: no cover - reported by the module with missing_required_lib
    requests = None
    HTTPAdapter = None
    AuthBase = object
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
LIMIT_HEADERS = ('X-RateLimit-Limit', 'RateLimit-Limit')
REMAINING_HEADERS = ('X-RateLimit-Remaining', 'RateLimit-Remaining')
RESET_HEADERS = ('X-RateLimit-Reset', 'RateLimit-Reset')
REQUEST_ID_HEADERS = ('X-Request-Id', 'X-Request-ID', 'Request-Id', 'X-Correlation-Id', 'X-Vmware-Request-Id')

TLS_HINT = ('The server certificate could not be verified. Set ca_path to the CA bundle that signed it '
            '(appliances often use a private CA or a self-signed certificate), or, only for testing, '
            'set validate_certs to false.')


class BearerAuth(AuthBase):
    """``Authorization: Bearer <token>`` on every request."""

    def __init__(self, token):
        self.token = token

    def __call__(self, request):
        request.headers['Authorization'] = 'Bearer %s' % self.token
        return request


class ClientCredentialsAuth(AuthBase):
    """OAuth 2.0 client credentials: one token per module run, refreshed once it expires or on a 401.

    The token request goes through the same client (retries, TLS, timeout) with HTTP Basic
    client id and secret.
    """

    def __init__(self, client, token_path, client_id, client_secret, operation):
        self.client = client
        self.token_path = token_path
        self.client_id = client_id
        self.client_secret = client_secret
        self.operation = operation
        self.token = None
        self.expires_at = 0.0
        self.lock = threading.RLock()

    def refresh(self, failed=None):
        """Fetch a new token; after a 401 (``failed`` is the rejected request), only when no other
        request has already replaced the token it carried."""
        with self.lock:
            if failed is not None and failed.headers.get('Authorization') != 'Bearer %s' % self.token:
                return
            self._fetch()

    def _fetch(self):
        reply = self.client.request(
            'POST', self.token_path, self.operation, data={'grant_type': 'client_credentials'},
            headers={'Accept': 'application/json', 'Content-Type': 'application/x-www-form-urlencoded'},
            auth=requests.auth.HTTPBasicAuth(self.client_id, self.client_secret), expected=(200,), idempotent=True)
        data = reply.data if isinstance(reply.data, dict) else {}
        if not data.get('access_token'):
            raise ApiError(self.client.provider, self.operation, status=reply.status,
                           detail='the token endpoint answered without an access_token')
        self.token = data['access_token']
        try:
            lifetime = float(data.get('expires_in') or 3600)
        except (TypeError, ValueError):
            lifetime = 3600.0
        # Renew a little early so that a long run never sends a token that expires on the way.
        self.expires_at = time.monotonic() + max(1.0, lifetime - min(60.0, lifetime / 10))

    def __call__(self, request):
        with self.lock:
            if self.token is None or time.monotonic() >= self.expires_at:
                self._fetch()
            token = self.token
        request.headers['Authorization'] = 'Bearer %s' % token
        return request


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


def parse_retry_after(value, now=None):
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP date), or None."""
    if value is None:
        return None
    value = str(value).strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def _header_number(headers, *names):
    for name in names:
        value = headers.get(name)
        if value is None:
            continue
        try:
            return float(str(value).split(',', 1)[0].strip())
        except ValueError:
            continue
    return None


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
        told = _header_number(headers, *RESET_HEADERS)
    if told is not None:
        return min(cap, told) + rand() * 0.1
    return backoff_delay(attempt, base, cap, rand)


class Pacer:
    """When the next request may go, so that a rate-limited API seldom has to answer 429.

    What the API tells decides how, best first:

    * remaining and reset (Confluent's ``X-RateLimit-*``): while the window runs low, requests
      are spaced at the rate the server refills it, and wait for the reset once it is used up;
    * remaining without a reset (Atlas's ``RateLimit-*``): while the window runs low, one request
      at a time, so that at most one meets the 429 that then says how long to wait;
    * nothing but a 429: everyone waits as told, then keeps to the pace the server allowed: the
      limit over the wait it asked for or, with no limit header, the answers it accepted during
      that span (when there were enough of them to tell).
    """

    def __init__(self, in_flight, sleep=time.sleep, clock=time.monotonic):
        self.margin = max(1, in_flight) + 1  # requests that may be in flight at once, plus one
        self.sleep = sleep
        self.clock = clock
        self.lock = threading.Lock()
        self.single_file = threading.Lock()
        self.not_before = 0.0
        self.next_slot = 0.0
        self.window_interval = 0.0  # from remaining and reset, while the window runs low
        self.learned_interval = 0.0  # from 429s, when no reset header gives the refill rate
        self.low = False  # remaining is low and no header says when it refills
        self.accepted = collections.deque(maxlen=1024)  # when recent answers other than 429 came

    @property
    def interval(self):
        return max(self.window_interval, self.learned_interval)

    @contextlib.contextmanager
    def turn(self, single_file=True):
        """Wait for this request's slot, and hold the only one while the window is low and unpaced.

        A token request passes ``single_file=False``: the request holding the line may be the one
        waiting for that token.
        """
        gate = self.single_file if single_file and self.low and not self.learned_interval else None
        if gate is not None:
            gate.acquire()
        try:
            with self.lock:
                now = self.clock()
                slot = max(now, self.not_before, self.next_slot)
                self.next_slot = slot + self.interval
            if slot > now:
                self.sleep(slot - now)
            yield
        finally:
            if gate is not None:
                gate.release()

    def observe(self, status, headers):
        """Take in one answer's status and rate-limit headers."""
        limit = _header_number(headers, *LIMIT_HEADERS)
        remaining = _header_number(headers, *REMAINING_HEADERS)
        reset = _header_number(headers, *RESET_HEADERS)
        now = self.clock()
        with self.lock:
            if status != 429:
                self.accepted.append(now)
            if remaining is None:
                return
            if reset is None:
                self.low = remaining <= self.margin
                return
            self.low = False
            if remaining <= 0:
                self.not_before = max(self.not_before, now + reset)
            if limit and remaining <= self.margin:
                # Spread a whole window's allowance over the time to the reset: the rate the
                # server refills at, so requests in flight never run the window dry.
                self.window_interval = reset / limit
            else:
                self.window_interval = 0.0
                if not self.learned_interval:
                    self.next_slot = 0.0

    def rate_limited(self, headers, delay):
        """A 429: every request waits ``delay``; without a reset header, learn the pace the server allows."""
        now = self.clock()
        with self.lock:
            self.not_before = max(self.not_before, now + delay)
            if _header_number(headers, *RESET_HEADERS) is not None:
                return
            span = parse_retry_after(headers.get('Retry-After')) or delay
            limit = _header_number(headers, *LIMIT_HEADERS)
            if limit:
                allowed = limit
            else:
                allowed = sum(1 for stamp in self.accepted if stamp >= now - span)
                if allowed < self.margin:
                    # Too few to tell a limit from chance (or from our own pause): waiting is enough.
                    return
            # Never faster again: a later 429 says the pace so far was still too fast.
            self.learned_interval = max(self.learned_interval, span / allowed)


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
                expected=(200, 201, 202, 204), idempotent=None, landed=None, data=None, auth=None):
        """Send one request, retrying where that is safe; return a Reply or raise ApiError.

        ``landed`` is called for a non-idempotent request whose answer was lost; it returns the
        created object's data when the write did land (then no second request is sent), else None.
        """
        if idempotent is None:
            idempotent = method.upper() != 'POST'
        url = self.url(path)
        attempt = 0
        rate_limited = 0
        refreshed = False
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
                               % (self.base_url, _reason(exc)), hint=TLS_HINT)
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                sent = not isinstance(exc, requests.exceptions.ConnectTimeout) and not _refused(exc)
                if sent and not idempotent:
                    found = landed() if landed else None
                    if found is not None:
                        return Reply(None, found)
                    # After a timeout the server may still be working on it, so a miss proves nothing:
                    # fail rather than risk a duplicate. A dropped connection was answered by a miss.
                    if landed is None or isinstance(exc, requests.exceptions.Timeout):
                        raise ApiError(self.provider, operation, detail='no answer within %ss (%s); the request may '
                                       'or may not have been applied, run again to converge'
                                       % (self.timeout, _reason(exc)), attempts=attempt + rate_limited, ambiguous=True)
                if attempt > self.retries:
                    raise ApiError(self.provider, operation, detail='no answer from %s (%s)'
                                   % (self.base_url, _reason(exc)), attempts=attempt + rate_limited)
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
            if status in RETRYABLE_STATUSES and attempt <= self.retries:
                if not idempotent and status not in NOT_PROCESSED_STATUSES:
                    found = landed() if landed else None
                    if found is not None:
                        return Reply(None, found)
                    if landed is None:
                        raise self.error(operation, response, attempt + rate_limited)
                self._wait_retry(attempt, response.headers, rate_limited=status == 429)
                continue
            raise self.error(operation, response, attempt + rate_limited)

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
