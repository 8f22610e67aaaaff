# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pacing: Retry-After, the pace learnt from 429s, single file while the window is low (_pacing.py)."""

from __future__ import annotations

import email.utils
import threading
import time

from ansible_collections.sso.mappings.plugins.module_utils import _pacing


def test_parse_retry_after_seconds_and_date():
    assert _pacing.parse_retry_after('7') == 7.0
    assert _pacing.parse_retry_after(' 0 ') == 0.0
    assert _pacing.parse_retry_after(None) is None
    assert _pacing.parse_retry_after('soon') is None
    now = time.time()
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert 28 <= _pacing.parse_retry_after(date, now=now) <= 31
    past = email.utils.formatdate(now - 30, usegmt=True)
    assert _pacing.parse_retry_after(past, now=now) == 0.0


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_without_a_limit_header_a_429_paces_at_what_the_server_accepted():
    clock = FakeClock()
    pacer = _pacing.Pacer(in_flight=4, sleep=lambda s: None, clock=clock)
    for _n in range(30):  # 30 answers in the last 1.5 s, 10 more before that
        clock.now += 0.05
        pacer.observe(200, {})
    clock.now += 2.0
    for _n in range(10):
        clock.now += 0.1
        pacer.observe(200, {})
    pacer.observe(429, {'Retry-After': '1'})
    pacer.rate_limited({'Retry-After': '1'}, 1.05)
    assert pacer.not_before == clock.now + 1.05
    assert pacer.interval == 0.1  # 10 accepted in the 1 s the server asked to wait


def test_too_few_accepted_answers_teach_nothing_and_the_pace_never_speeds_up():
    clock = FakeClock()
    pacer = _pacing.Pacer(in_flight=8, sleep=lambda s: None, clock=clock)
    for _n in range(3):
        pacer.observe(200, {})
    pacer.rate_limited({'Retry-After': '1'}, 1.0)
    assert pacer.interval == 0.0  # 3 answers may be chance: only the pause
    for _n in range(10):
        pacer.observe(200, {})
    pacer.rate_limited({}, 0.5)
    assert pacer.interval == 0.5 / 13
    clock.now += 10
    for _n in range(40):
        pacer.observe(200, {})
    pacer.rate_limited({'Retry-After': '1'}, 1.0)
    assert pacer.interval == 0.5 / 13  # 40 in a second would be faster: kept


def test_remaining_without_a_reset_sends_one_request_at_a_time_while_low():
    pacer = _pacing.Pacer(in_flight=8, sleep=lambda s: None)
    pacer.observe(200, {'RateLimit-Limit': '100', 'RateLimit-Remaining': '50'})
    assert not pacer.low
    pacer.observe(200, {'RateLimit-Limit': '100', 'RateLimit-Remaining': '9'})
    assert pacer.low
    inside = threading.Event()
    release = threading.Event()
    order = []

    def first():
        with pacer.turn():
            order.append('first in')
            inside.set()
            release.wait(5)
            order.append('first out')

    def second():
        inside.wait(5)
        with pacer.turn():
            order.append('second in')

    def token():
        inside.wait(5)
        with pacer.turn(single_file=False):  # a token request never queues behind the line
            order.append('token')

    threads = [threading.Thread(target=f) for f in (first, second, token)]
    for thread in threads:
        thread.start()
    threads[2].join(5)
    time.sleep(0.05)
    assert order == ['first in', 'token']
    release.set()
    for thread in threads:
        thread.join(5)
    assert order == ['first in', 'token', 'first out', 'second in']
    # Once a 429 has taught the pace, pacing takes over from the single file.
    pacer.rate_limited({'Retry-After': '1', 'RateLimit-Limit': '100'}, 1.0)
    assert pacer.interval == 0.01
    with pacer.turn():
        assert not pacer.single_file.locked()
