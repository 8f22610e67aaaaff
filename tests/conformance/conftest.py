"""Shared fixtures of the conformance tests, and a per-provider count in the terminal summary."""

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# spec_check.py sits next to the tests, whatever pytest import mode is configured.
sys.path.insert(0, str(Path(__file__).resolve().parent))
CHECKED = pytest.StashKey[dict]()


@pytest.fixture(scope="session")
def specs_dir():
    """The vendor specs: $SSO_SPECS_DIR or <repo>/../shared/specs; missing is a failure only in CI."""
    path = Path(os.environ.get("SSO_SPECS_DIR") or REPO.parent / "shared" / "specs")
    if not path.is_dir():
        message = "vendor specs not found at %s (set SSO_SPECS_DIR)" % path
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def conformance_report(request):
    """provider -> number of requests checked, shown in the terminal summary."""
    return request.config.stash.setdefault(CHECKED, {})


def pytest_terminal_summary(terminalreporter, config):
    checked = config.stash.get(CHECKED, {})
    if checked:
        terminalreporter.write_sep("-", "spec conformance")
        for provider, count in sorted(checked.items()):
            terminalreporter.write_line("%s: %d requests checked" % (provider, count))
