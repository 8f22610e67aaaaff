# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures: a scripted transport for the HTTP client (no sockets, every request recorded)."""

from __future__ import annotations

import json

import pytest
import requests
from requests.adapters import BaseAdapter


class Scripted(BaseAdapter):
    """Answers requests from a list of steps: a (status, body, headers) tuple or an exception."""

    def __init__(self, steps):
        super().__init__()
        self.steps = list(steps)
        self.sent = []

    def send(self, request, **kwargs):  # pylint: disable=arguments-differ
        self.sent.append(request)
        step = self.steps.pop(0)
        if isinstance(step, Exception):
            raise step
        if callable(step):
            step = step(request)
        status, body, headers = (tuple(step) + (None, None))[:3]
        response = requests.Response()
        response.status_code = status
        response.headers.update(headers or {})
        response._content = json.dumps(body).encode() if body is not None else b''  # pylint: disable=protected-access
        response.request = request
        response.url = request.url
        return response

    def close(self):
        pass


def mount(client, steps):
    transport = Scripted(steps)
    client.session.mount('https://', transport)
    client.session.mount('http://', transport)
    return transport


@pytest.fixture
def scripted():
    """``scripted(client, steps)`` mounts a Scripted transport on the client's session."""
    return mount
