# Copyright (c) sso.mappings contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An inventory of three targets, one per provider, that reach the emulator: for the tests of the playbooks."""

from __future__ import annotations

import yaml

TOKEN_PATH = '/api/oauth/token'  # Atlas: a POST that changes nothing

# The emulator's default credentials (tests/emulator).
CONFLUENT_API_KEY, CONFLUENT_API_SECRET = 'EMULATOR-KEY', 'emulator-secret'
ATLAS_CLIENT_ID, ATLAS_CLIENT_SECRET = 'mdb_sa_id_emulator', 'mdb_sa_sk_emulator'
ARIA_USER, ARIA_PASSWORD = 'admin@local', 'emulator-password'
DOMAIN = 'example.com'

CONFLUENT_HOST, ATLAS_HOST, ARIA_HOST = 'confluent-org', 'atlas-org', 'aria-lcm'


def inventory(emulator, desired, **overrides):
    """Three hosts, one per provider, reaching the emulator over HTTPS, with their desired sets
    (host -> variables); overrides: host -> extra variables."""
    hosts = {
        CONFLUENT_HOST: {'confluent_base_url': emulator.https, 'confluent_api_key': CONFLUENT_API_KEY,
                         'confluent_api_secret': CONFLUENT_API_SECRET, 'confluent_ca_path': emulator.ca_file},
        ATLAS_HOST: {'atlas_base_url': emulator.https, 'atlas_org_id': emulator.client.state('atlas')['org_id'],
                     'atlas_client_id': ATLAS_CLIENT_ID, 'atlas_client_secret': ATLAS_CLIENT_SECRET,
                     'atlas_ca_path': emulator.ca_file},
        ARIA_HOST: {'aria_base_url': emulator.https, 'aria_username': ARIA_USER, 'aria_password': ARIA_PASSWORD,
                    'aria_ca_path': emulator.ca_file},
    }
    for host, variables in hosts.items():
        variables.update(desired.get(host, {}))
        variables.update(overrides.get(host, {}))
    groups = {'confluent': CONFLUENT_HOST, 'atlas': ATLAS_HOST, 'aria': ARIA_HOST}
    return yaml.safe_dump({group: {'hosts': {host: hosts[host]}} for group, host in groups.items()}, sort_keys=False)


def api_writes(emulator):
    """The requests that could change an API's state (an Atlas token request changes nothing)."""
    return [w for w in emulator.client.writes() if w['path'] != TOKEN_PATH]
