"""Every API request the modules sent during the integration tests must conform to the vendor's spec.

Reads tests/output/emulator-requests.jsonl (written by the emulator the integration tests run)
and checks each request against the OpenAPI documents in ../shared/specs (or $SSO_SPECS_DIR).
Run it after the integration tests.
"""

import json
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from spec_check import SPEC_TABLE, load_index

REPO = Path(__file__).resolve().parents[2]
REQUEST_LOG = REPO / "tests" / "output" / "emulator-requests.jsonl"
PROVIDERS = sorted({row[0] for row in SPEC_TABLE})
# The stand-in identity provider has no vendor spec: RFC 6749 says what its requests must be.
IDENTITY_PROVIDER = "idp"


def logged_requests():
    if not REQUEST_LOG.exists():
        return []
    entries = []
    with open(REQUEST_LOG, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    entries.append(json.loads(line))
                except ValueError:
                    pytest.fail("%s line %d is not JSON" % (REQUEST_LOG, number))
    return entries


def describe(entry):
    query = "&".join("%s=%s" % (name, value) for name, values in sorted(entry.get("query", {}).items()) for value in values)
    return "%s %s%s" % (entry["method"], entry["path"], "?" + query if query else "")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_requests_conform_to_the_spec(provider, specs_dir, conformance_report):
    index = load_index(specs_dir, provider)
    entries = [entry for entry in logged_requests() if entry.get("provider") == provider]
    if not entries:
        pytest.skip("no %s requests in %s" % (provider, REQUEST_LOG))

    violations = []
    for entry in entries:
        violations += ["%s: %s" % (describe(entry), problem) for problem in index.check(entry)]
    conformance_report[provider] = len(entries)

    # The same request repeats across tests; each distinct problem is listed once.
    unique = sorted(set(violations))
    assert not unique, "%d distinct problems in %d %s requests:\n  %s" % (
        len(unique), len(entries), provider, "\n  ".join(unique))


def test_every_request_reached_a_known_api():
    entries = logged_requests()
    if not entries:
        pytest.skip("no requests in %s; run the integration tests first" % REQUEST_LOG)
    stray = sorted({describe(entry) for entry in entries if entry.get("provider") is None})
    assert not stray, "requests to paths no emulated API serves:\n  " + "\n  ".join(stray)
    unknown = sorted({entry["provider"] for entry in entries if entry["provider"] not in PROVIDERS + [IDENTITY_PROVIDER]})
    assert not unknown, "providers with no spec in SPEC_TABLE: %s" % unknown


def test_identity_provider_requests_are_client_credentials_grants(conformance_report):
    """RFC 6749 section 4.4 with client_secret_post (section 2.3.1), as Confluent's Terraform provider sends
    it: a form body with grant_type, client_id and client_secret (masked in the log), maybe a scope, and
    no Authorization header: no credential of any vendor API reaches the identity provider."""
    entries = [entry for entry in logged_requests() if entry.get("provider") == IDENTITY_PROVIDER]
    if not entries:
        pytest.skip("no identity provider requests in %s" % REQUEST_LOG)
    problems = []
    for entry in entries:
        where = describe(entry)
        if entry["method"] != "POST" or entry.get("operation") != "oauth2:clientCredentials":
            problems.append("%s: not the token request" % where)
            continue
        if (entry.get("content_type") or "").split(";")[0].strip() != "application/x-www-form-urlencoded":
            problems.append("%s: Content-Type %r is not a form" % (where, entry.get("content_type")))
        form = parse_qs(entry.get("body") or "", keep_blank_values=True)
        if form.get("grant_type") != ["client_credentials"]:
            problems.append("%s: grant_type is %r, not client_credentials" % (where, form.get("grant_type")))
        for name in ("client_id", "client_secret"):
            if len(form.get(name) or []) != 1:
                problems.append("%s: %s must be sent once in the body" % (where, name))
        unknown = sorted(set(form) - {"grant_type", "client_id", "client_secret", "scope"})
        if unknown:
            problems.append("%s: unknown form fields %s" % (where, unknown))
        if "authorization" in (entry.get("headers") or {}):
            problems.append("%s: an Authorization header was sent to the identity provider" % where)
    conformance_report[IDENTITY_PROVIDER] = len(entries)
    assert not sorted(set(problems)), "\n  ".join(sorted(set(problems)))
