# -*- coding: utf-8 -*-
# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils file is for the collection's internal use only.
# Its interface may change at any time without notice.

"""Pacing: when the next request may go, so that a rate-limited API seldom has to answer 429."""

from __future__ import annotations

import collections
import contextlib
import email.utils
import threading
import time

LIMIT_HEADERS = ('X-RateLimit-Limit', 'RateLimit-Limit')
REMAINING_HEADERS = ('X-RateLimit-Remaining', 'RateLimit-Remaining')
RESET_HEADERS = ('X-RateLimit-Reset', 'RateLimit-Reset')


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


def header_number(headers, *names):
    for name in names:
        value = headers.get(name)
        if value is None:
            continue
        try:
            return float(str(value).split(',', 1)[0].strip())
        except ValueError:
            continue
    return None


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
        limit = header_number(headers, *LIMIT_HEADERS)
        remaining = header_number(headers, *REMAINING_HEADERS)
        reset = header_number(headers, *RESET_HEADERS)
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
            if header_number(headers, *RESET_HEADERS) is not None:
                return
            span = parse_retry_after(headers.get('Retry-After')) or delay
            limit = header_number(headers, *LIMIT_HEADERS)
            if limit:
                allowed = limit
            else:
                allowed = sum(1 for stamp in self.accepted if stamp >= now - span)
                if allowed < self.margin:
                    # Too few to tell a limit from chance (or from our own pause): waiting is enough.
                    return
            # Never faster again: a later 429 says the pace so far was still too fast.
            self.learned_interval = max(self.learned_interval, span / allowed)
