"""Fixtures for integration tests that run real ansible-playbook processes against the emulator.

- `emulator` (session): one emulator for the whole session; every API request is appended to
  tests/output/emulator-requests.jsonl, which the conformance test checks afterwards.
- an autouse fixture resets the emulator before each test.
- `ansible`: runs playbooks, see support.runner.AnsibleRunner.run().
- `confluent_connection`: module options that reach the emulator's Confluent API.
- `profile`: each provider's profile in turn (tests/support/profiles.py), ready on the emulator;
  `markers`: marker credentials, the only ones the emulator then accepts, to prove no secret leaks.
"""

from pathlib import Path

import pytest

from emulator.client import start_emulator
from support import profiles
from support.profiles import Markers
from support.runner import AnsibleRunner

REQUEST_LOG = Path(__file__).resolve().parents[1] / "output" / "emulator-requests.jsonl"

# The emulator's default Confluent credentials (see tests/emulator/README.md).
CONFLUENT_API_KEY = "EMULATOR-KEY"
CONFLUENT_API_SECRET = "emulator-secret"
CONFLUENT_ACCESS_TOKEN = "emulator-token"


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    with start_emulator(tmp_path_factory.mktemp("emulator"), log_file=REQUEST_LOG) as running:
        yield running


@pytest.fixture(autouse=True)
def reset_emulator(emulator):
    emulator.client.reset()


@pytest.fixture
def ansible(tmp_path):
    return AnsibleRunner(tmp_path)


@pytest.fixture
def confluent_connection(emulator):
    """Options for the Confluent modules that reach the emulator over HTTPS."""
    return {"base_url": emulator.https, "api_key": CONFLUENT_API_KEY, "api_secret": CONFLUENT_API_SECRET,
            "ca_path": emulator.ca_file}


@pytest.fixture(params=profiles.PROVIDERS)
def profile(request, emulator):
    chosen = profiles.profile(request.param)
    chosen.prepare(emulator)
    return chosen


@pytest.fixture
def markers(profile, emulator):
    """Marker credentials, the only ones the emulator accepts for this test."""
    values = Markers(profile.name)
    profile.setup_credentials(emulator, values)
    return values
