# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The vendors' error bodies, every known shape."""

from __future__ import annotations

import pytest

from ansible_collections.sso.mappings.plugins.module_utils._errors import ApiError, parse_error_body


@pytest.mark.parametrize('body, expected', [
    ({'errors': [{'id': 'e1', 'status': '409', 'code': 'resource_already_exists', 'title': 'Resource Already exists',
                  'detail': 'already there'}]},
     ('resource_already_exists', 'Resource Already exists: already there', 'e1')),
    ({'status': 422, 'error': {'code': 'invalid_filter', 'message': 'bad CEL'}, 'requestId': 'r-9'},
     ('invalid_filter', 'bad CEL', 'r-9')),
    ({'error': 400, 'errorCode': 'INVALID_ATTRIBUTE', 'detail': 'Invalid attribute roleAssignments.',
      'reason': 'Bad Request', 'parameters': ['roleAssignments']},
     ('INVALID_ATTRIBUTE', 'Invalid attribute roleAssignments.', None)),
    ({'errorCode': 'LCMAUTHZN10003', 'errorLabel': 'Group exists', 'message': 'Group already exists',
      'recommendations': ['Use another name']},
     ('LCMAUTHZN10003', 'Group already exists (recommendations: Use another name)', None)),
    ({'error': 'invalid_client', 'error_description': 'Invalid client credentials'},
     ('invalid_client', 'Invalid client credentials', None)),
    ('<html>Bad gateway</html>', (None, '<html>Bad gateway</html>', None)),
    (None, (None, None, None)),
    ({'unexpected': True}, (None, None, None)),
])
def test_parse_error_body(body, expected):
    assert parse_error_body(body) == expected


def test_api_error_message_names_everything():
    error = ApiError('Atlas', 'create role mapping', status=400, code='INVALID', detail='bad', request_id='r1',
                     attempts=2)
    assert str(error) == 'Atlas: create role mapping failed: HTTP 400 INVALID: bad (request id r1) after 2 attempts.'
