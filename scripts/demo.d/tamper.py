# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The demo's change made behind the collection's back, through the (emulated) Confluent Cloud API.

    python scripts/demo.d/tamper.py BASE_URL CA_FILE

Uses CONFLUENT_CLOUD_API_KEY and CONFLUENT_CLOUD_API_SECRET: edits the filter of the group mapping
'auditors' and adds a mapping 'shadow-admins' that nobody declared.
"""

import base64
import json
import os
import ssl
import sys
import urllib.request

PATH = '/iam/v2/sso/group-mappings'


def call(base_url, context, method, path, body=None):
    credentials = '%s:%s' % (os.environ['CONFLUENT_CLOUD_API_KEY'], os.environ['CONFLUENT_CLOUD_API_SECRET'])
    headers = {'Authorization': 'Basic ' + base64.b64encode(credentials.encode()).decode(), 'Accept': 'application/json'}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers['Content-Type'] = 'application/json'
    request = urllib.request.Request(base_url + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, context=context, timeout=30) as response:
        return json.loads(response.read() or b'null')


def main():
    base_url, ca_file = sys.argv[1].rstrip('/'), sys.argv[2]
    context = ssl.create_default_context(cafile=ca_file)
    mappings = call(base_url, context, 'GET', PATH + '?page_size=100')['data']
    auditors = next(m for m in mappings if m['display_name'] == 'auditors')
    call(base_url, context, 'PATCH', '%s/%s' % (PATH, auditors['id']), {'filter': '"everyone" in claims.groups'})
    print("Confluent: changed the filter of 'auditors' to: \"everyone\" in claims.groups")
    call(base_url, context, 'POST', PATH, {'display_name': 'shadow-admins', 'filter': '"contractors" in claims.groups',
                                           'description': 'Added by hand in the console'})
    print("Confluent: added the group mapping 'shadow-admins'")


if __name__ == '__main__':
    main()
