"""The request validator itself, so that the conformance test cannot pass vacuously."""

import pytest
from spec_check import SpecIndex, load_index

GROUP_MAPPINGS = "/iam/v2/sso/group-mappings"
GOOD_MAPPING = {"display_name": "eng", "filter": '"eng" in claims.groups', "description": ""}


def entry(method, path, operation, query=None, body=None, auth="Basic", content_type=None, status=200, headers=None):
    """A request-log entry as the emulator writes it."""
    all_headers = {"authorization": auth} if auth else {}
    if content_type:
        all_headers["content-type"] = content_type
    all_headers.update(headers or {})
    return {"method": method, "path": path, "operation": operation, "query": query or {}, "body": body,
            "headers": all_headers, "content_type": content_type, "status": status}


def create(body, **kwargs):
    kwargs.setdefault("content_type", "application/json")
    return entry("POST", GROUP_MAPPINGS, "createIamV2SsoGroupMapping", body=body, **kwargs)


@pytest.fixture(scope="module")
def confluent(specs_dir):
    return load_index(specs_dir, "confluent")


def one_problem(problems, *words):
    assert len(problems) == 1, problems
    for word in words:
        assert word in problems[0], problems


def test_conforming_confluent_requests_pass(confluent):
    good = [
        entry("GET", GROUP_MAPPINGS, "listIamV2SsoGroupMappings", {"page_size": ["100"], "page_token": ["YWZ0ZXI6MTAw"]}),
        entry("GET", GROUP_MAPPINGS, "listIamV2SsoGroupMappings", auth="Bearer"),
        create(GOOD_MAPPING),
        create(GOOD_MAPPING, content_type="application/json; charset=utf-8"),
        entry("GET", GROUP_MAPPINGS + "/group-abc", "getIamV2SsoGroupMapping"),
        entry("PATCH", GROUP_MAPPINGS + "/group-abc", "updateIamV2SsoGroupMapping", body={"description": "new"},
              content_type="application/json"),
        entry("DELETE", GROUP_MAPPINGS + "/group-abc", "deleteIamV2SsoGroupMapping", status=204),
    ]
    for request in good:
        assert confluent.check(request) == [], request


def test_query_parameters_are_checked(confluent):
    def problems(query):
        return confluent.check(entry("GET", GROUP_MAPPINGS, "listIamV2SsoGroupMappings", query))

    one_problem(problems({"page_size": ["500"]}), "page_size", "maximum")
    one_problem(problems({"page_size": ["ten"]}), "page_size", "not an integer")
    one_problem(problems({"page_size": ["10", "20"]}), "page_size", "2 times")
    one_problem(problems({"page_token": ["x" * 256]}), "page_token")
    one_problem(problems({"filter": ["eng"]}), "'filter' is not declared")


def test_bodies_are_checked(confluent):
    one_problem(confluent.check(create(dict(GOOD_MAPPING, id="group-abc"))), "/id", "read-only")
    one_problem(confluent.check(create(dict(GOOD_MAPPING, metadata={"self": "x"}))), "/metadata", "read-only")
    one_problem(confluent.check(create({"display_name": "eng", "filter": "true"})), "'description' is a required property")
    one_problem(confluent.check(create(dict(GOOD_MAPPING, filter="x" * 301))), "/filter", "maxLength")
    one_problem(confluent.check(create(dict(GOOD_MAPPING, description=None))), "/description", "not of type")
    one_problem(confluent.check(create(GOOD_MAPPING, content_type="text/plain")), "Content-Type", "text/plain")
    one_problem(confluent.check(create("{not json")), "not valid JSON")
    one_problem(confluent.check(entry("GET", GROUP_MAPPINGS, "listIamV2SsoGroupMappings", body={"a": 1},
                                      content_type="application/json")), "takes none")


def test_paths_methods_and_operations_are_checked(confluent):
    one_problem(confluent.check(entry("GET", "/iam/v2/sso/group-mapping", None)), "no operation")
    one_problem(confluent.check(entry("PUT", GROUP_MAPPINGS + "/group-abc", None)), "no PUT", "PATCH")
    one_problem(confluent.check(entry("GET", GROUP_MAPPINGS + "/group-abc", "listIamV2SsoGroupMappings")),
                "getIamV2SsoGroupMapping")


def test_authorization_schemes_are_checked(confluent):
    one_problem(confluent.check(entry("GET", GROUP_MAPPINGS, "listIamV2SsoGroupMappings", auth="Digest")), "'Digest'")
    one_problem(confluent.check(entry("GET", GROUP_MAPPINGS, "listIamV2SsoGroupMappings", auth=None)), "no Authorization")


def test_every_spec_in_the_table_loads(specs_dir):
    atlas = load_index(specs_dir, "atlas")
    path = "/api/atlas/v2/federationSettings/%s/connectedOrgConfigs/%s/roleMappings" % ("a" * 24, "b" * 24)
    media = "application/vnd.atlas.2023-01-01+json"
    mapping = {"externalGroupName": "eng", "roleAssignments": [{"orgId": "b" * 24, "role": "ORG_MEMBER"}]}
    good = entry("POST", path, "createFederationSettingConnectedOrgConfigRoleMapping", body=mapping, auth="Digest",
                 content_type=media, headers={"accept": media})
    assert atlas.check(good) == []
    one_problem(atlas.check(dict(good, body=dict(mapping, id="c" * 24))), "/id", "read-only")
    one_problem(atlas.check(dict(good, path=path.replace("a" * 24, "not-hex"))), "federationSettingsId")
    token = entry("POST", "/api/oauth/token", "oauth2:ServiceAccounts", body="grant_type=client_credentials",
                  content_type="application/x-www-form-urlencoded")
    assert atlas.check(token) == []

    aria = load_index(specs_dir, "aria")
    group = {"displayName": "eng", "domain": "example.com", "mappedRoles": ["vmid-1"]}
    assert aria.check(entry("POST", "/lcm/authzn/api/v2/groups", "createGroupV2UsingPOST", body=group,
                            content_type="application/json")) == []

    bindings = load_index(specs_dir, "confluent")
    assert bindings.check(entry("GET", "/iam/v2/role-bindings", "listIamV2RoleBindings",
                                {"crn_pattern": ["crn://confluent.cloud/organization=x"], "principal": ["User:group-abc"]})) == []
    one_problem(bindings.check(entry("GET", "/iam/v2/role-bindings", "listIamV2RoleBindings")), "crn_pattern", "missing")


# A small hand-made spec for features the vendor files use only in places.
MINI_SPEC = {
    "openapi": "3.0.1",
    "security": [{"digest": []}],
    "paths": {
        "/things/{thingId}": {
            "parameters": [{"$ref": "#/components/parameters/thingId"}],
            "put": {
                "operationId": "putThing",
                "requestBody": {"required": True, "content": {"application/vnd.x.v1+json": {
                    "schema": {"$ref": "#/components/schemas/Thing"}}}},
                "responses": {"200": {"content": {"application/vnd.x.v1+json": {}}}},
            },
        },
        "/public": {"get": {"operationId": "getPublic", "security": [], "responses": {"200": {}}}},
    },
    "components": {
        "parameters": {"thingId": {"name": "thingId", "in": "path", "required": True,
                                   "schema": {"type": "string", "pattern": "^[0-9]+$"}}},
        "schemas": {"Thing": {"type": "object", "required": ["name", "id"], "properties": {
            "id": {"type": "string", "readOnly": True},
            "name": {"type": "string", "nullable": True},
        }}},
        "securitySchemes": {"digest": {"type": "http", "scheme": "digest"},
                            "sa": {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "https://x.test/oauth/token"}}}},
    },
}


def test_openapi_details():
    index = SpecIndex([(MINI_SPEC, (), None)])
    media = "application/vnd.x.v1+json"
    good = entry("PUT", "/things/12", "putThing", body={"name": None}, auth="Digest", content_type=media,
                 headers={"accept": media})
    assert index.check(good) == []  # nullable, and a required read-only property is not required in a request
    one_problem(index.check(dict(good, path="/things/abc")), "thingId")
    one_problem(index.check(dict(good, headers={"authorization": "Digest"})), "Accept")
    one_problem(index.check(dict(good, body=None)), "required")
    # Digest starts with an unauthenticated request answered 401; anything else needs credentials.
    assert index.check(dict(good, headers={"accept": media}, status=401)) == []
    one_problem(index.check(dict(good, headers={"accept": media})), "no Authorization")
    assert index.check(entry("GET", "/public", "getPublic", auth=None)) == []

    token = entry("POST", "/oauth/token", "oauth2:sa", body="grant_type=client_credentials&client_secret=***",
                  content_type="application/x-www-form-urlencoded")
    assert index.check(token) == []
    one_problem(index.check(dict(token, body="grant_type=password")), "grant_type")
