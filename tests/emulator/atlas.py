"""MongoDB Atlas Administration API v2: federated authentication role mappings.

Follows shared/specs/atlas-admin-api-v2-role-mappings-subset.yaml: paths, operationIds, the
AuthFederationRoleMapping / ConnectedOrgConfigRoleAssignment / OrgFederationSettings shapes,
the ApiError body and the RateLimit-* headers. Beyond the spec's paths it serves the OAuth2
client-credentials token endpoint of securitySchemes.ServiceAccounts (POST /api/oauth/token)
and answers HTTP Digest (RFC 7616, MD5, qop=auth) challenges like the real API.
"""

import base64
import binascii
import hashlib
import hmac
import http
import re
import secrets
import time
from urllib.parse import parse_qs, parse_qsl, unquote, urlsplit

from .server import ControlError, Provider, Reply, Response

V2 = "/api/atlas/v2"
TOKEN_PATH = "/api/oauth/token"
ORG_FEDERATION = V2 + "/orgs/{orgId}/federationSettings"
CONNECTED = V2 + "/federationSettings/{federationSettingsId}/connectedOrgConfigs"
ROLE_MAPPINGS = CONNECTED + "/{orgId}/roleMappings"
GROUP_BY_NAME = V2 + "/groups/byName/{groupName}"
GROUP = V2 + "/groups/{groupId}"
PROJECT_NAME_MAX = 64
# The organization's projects, by name (ids as the tests' projects).
DEFAULT_PROJECTS = {"data-platform": "6a1b2c3d4e5f60718293a4b5", "analytics": "6a1b2c3d4e5f60718293a4b6"}
TOKEN_OPERATION = "oauth2:ServiceAccounts"  # how tests/conformance names the token endpoint

HEX24 = re.compile(r"^[a-f0-9]{24}$")
VERSIONED = re.compile(r"^application/vnd\.atlas\.([0-9]{4}-[0-9]{2}-[0-9]{2})\+json$")
DIGEST_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))')
REALM = "MMS Public API"
GROUP_NAME_MAX = 200
ITEMS_PER_PAGE_MAX = 500
MAPPING_FIELDS = ("externalGroupName", "roleAssignments")
ASSIGNMENT_FIELDS = ("role", "orgId", "groupId")
# The roles a role mapping may grant: the enum of MongoDB's Atlas Kubernetes operator for a
# federated-auth role assignment (shared/specs/EVIDENCE.md); the spec's postAuthRoleGrants
# enumerates the same ORG_ roles but ORG_TEAM_MEMBERS_ADMIN.
ORG_ROLES = frozenset((
    "ORG_MEMBER", "ORG_READ_ONLY", "ORG_BILLING_ADMIN", "ORG_GROUP_CREATOR", "ORG_OWNER", "ORG_BILLING_READ_ONLY",
    "ORG_TEAM_MEMBERS_ADMIN", "ORG_STREAM_PROCESSING_ADMIN"))
PROJECT_ROLES = frozenset((
    "GROUP_AUTOMATION_ADMIN", "GROUP_BACKUP_ADMIN", "GROUP_MONITORING_ADMIN", "GROUP_OWNER", "GROUP_READ_ONLY",
    "GROUP_USER_ADMIN", "GROUP_BILLING_ADMIN", "GROUP_DATA_ACCESS_ADMIN", "GROUP_DATA_ACCESS_READ_ONLY",
    "GROUP_DATA_ACCESS_READ_WRITE", "GROUP_CHARTS_ADMIN", "GROUP_CLUSTER_MANAGER", "GROUP_SEARCH_INDEX_EDITOR",
    "GROUP_DATABASE_ACCESS_ADMIN", "GROUP_BACKUP_MANAGER", "GROUP_STREAM_PROCESSING_OWNER",
    "GROUP_OBSERVABILITY_VIEWER"))

DEFAULT_ORG = "5e2211c17a3e5a48f5497de3"
DEFAULT_FEDERATION = "6a1f0c2b3d4e5f60718293a4"
DEFAULT_IDP = "4fa2e8c1d93b07a6e5f1"  # the legacy 20-hex identity provider id
DEFAULT_CREDENTIALS = {
    "service_accounts": {"mdb_sa_id_emulator": "mdb_sa_sk_emulator"},
    "api_keys": {"EMULATORPUB": "emulator-private-key"},
    "access_tokens": ["emulator-atlas-token"],
}

# status -> (default errorCode, default detail). Codes of the spec's examples where it has one
# (VALIDATION_ERROR, RESOURCE_NOT_FOUND, RATE_LIMITED, UNEXPECTED_ERROR, SERVICE_UNAVAILABLE);
# INVALID_VERSION_DATE is what Atlas answers for a missing or unknown version date.
ERRORS = {
    400: ("VALIDATION_ERROR", "The request is not valid."),
    401: ("UNAUTHORIZED", "You are not authorized for this resource."),
    403: ("FORBIDDEN", "The credentials lack the permission this operation needs."),
    404: ("RESOURCE_NOT_FOUND", "Cannot find resource."),
    405: ("METHOD_NOT_ALLOWED", "Method not allowed."),
    406: ("INVALID_VERSION_DATE", "Invalid accept header or version date."),
    409: ("CONFLICT", "The request conflicts with the current state."),
    415: ("UNSUPPORTED_MEDIA_TYPE", "Unsupported media type."),
    429: ("RATE_LIMITED", "Too many requests; retry later."),
    500: ("UNEXPECTED_ERROR", "Unexpected error."),
    503: ("SERVICE_UNAVAILABLE", "Service unavailable."),
}


def _md5(text):
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # nosec - RFC 7616 MD5 is what Atlas uses


def _new_id():
    """An ObjectId-like id: 4 bytes of time and 8 random bytes, 24 lowercase hex digits."""
    return "%08x" % (int(time.time()) & 0xFFFFFFFF) + secrets.token_hex(8)


class AtlasProvider(Provider):
    name = "atlas"
    prefixes = ("/api/atlas/", "/api/oauth/")
    default_options = {
        "org_id": DEFAULT_ORG,                     # the one connected organization
        "federation_settings_id": DEFAULT_FEDERATION,
        "identity_provider_id": DEFAULT_IDP,
        "federated_domains": ["example.com"],
        "api_versions": ["2023-01-01"],            # version dates accepted in Accept / Content-Type
        "token_ttl": 3600,                         # seconds an OAuth access token lives (expires_in)
        "expire_tokens": False,                    # true: expire every issued token now (then false again)
        "expire_tokens_after_requests": None,      # N: expire every issued token after N more token-authenticated requests
        "role_mappings_page_size": None,           # None: the list answers everything in one page
        "nonce_ttl": 300,                          # seconds a Digest nonce stays fresh (then stale=true)
        "null_ids": False,                         # true: role assignments render the absent id as null
        "invalid_role_status": 500,                # how an unknown role is refused: 500 UNEXPECTED_ERROR or 400
        "added_roles": [],                         # roles Atlas accepts beyond the operator's enum (added since)
        "duplicate_status": 400,                   # how a taken externalGroupName is refused: 400 or 409
        "projects": DEFAULT_PROJECTS,              # the projects getGroupByName finds, {name: id}
        "missing_project_status": 404,             # how an unknown project name is answered: 404, 401 or 403 ...
        "missing_project_code": "NOT_IN_GROUP",    # ... with this errorCode (or RESOURCE_NOT_FOUND)
    }

    def route_table(self):
        return [
            ("POST", TOKEN_PATH, TOKEN_OPERATION, self.issue_token),
            ("GET", ORG_FEDERATION, "getOrgFederationSettings", self.get_org_federation_settings),
            ("GET", GROUP_BY_NAME, "getGroupByName", self.get_group_by_name),
            ("GET", GROUP, "getGroup", self.get_group),
            ("GET", CONNECTED, "listFederationSettingConnectedOrgConfigs", self.list_connected_org_configs),
            ("GET", CONNECTED + "/{orgId}", "getFederationSettingConnectedOrgConfig", self.get_connected_org_config),
            ("GET", ROLE_MAPPINGS, "listFederationSettingConnectedOrgConfigRoleMappings", self.list_role_mappings),
            ("POST", ROLE_MAPPINGS, "createFederationSettingConnectedOrgConfigRoleMapping", self.create_role_mapping),
            ("GET", ROLE_MAPPINGS + "/{id}", "getFederationSettingConnectedOrgConfigRoleMapping", self.get_role_mapping),
            ("PUT", ROLE_MAPPINGS + "/{id}", "updateFederationSettingConnectedOrgConfigRoleMapping", self.update_role_mapping),
            ("DELETE", ROLE_MAPPINGS + "/{id}", "deleteFederationSettingConnectedOrgConfigRoleMapping", self.delete_role_mapping),
        ]

    def reset(self):
        super().reset()
        self.mappings = {}     # id -> {"id", "externalGroupName", "roleAssignments"}, in creation order
        self.tokens = {}       # issued OAuth token -> {"client_id", "expires" (monotonic)}
        self.nonces = {}       # Digest nonce -> {"issued" (monotonic), "nc" (highest nonce count seen)}
        self.token_uses = 0    # token-authenticated requests since expire_tokens_after_requests was set
        self.credentials = {"service_accounts": dict(DEFAULT_CREDENTIALS["service_accounts"]),
                            "api_keys": dict(DEFAULT_CREDENTIALS["api_keys"]),
                            "access_tokens": list(DEFAULT_CREDENTIALS["access_tokens"])}

    def configure(self, options):
        if not isinstance(options, dict):
            raise ControlError("atlas options must be an object")
        for key in ("org_id", "federation_settings_id"):
            if key in options and not (isinstance(options[key], str) and HEX24.match(options[key])):
                raise ControlError("atlas.%s must be 24 lowercase hexadecimal digits" % key)
        for key, low, high in (("token_ttl", 1, None), ("nonce_ttl", 1, None),
                               ("expire_tokens_after_requests", 1, None),
                               ("role_mappings_page_size", 1, ITEMS_PER_PAGE_MAX)):
            if key in options and options[key] is not None:
                value = options[key]
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low or (high and value > high):
                    raise ControlError("atlas.%s must be null or a number from %s%s" % (key, low, " to %s" % high if high else " up"))
        if "token_ttl" in options and options["token_ttl"] is None:
            raise ControlError("atlas.token_ttl must be a number of seconds")
        for key, allowed in (("invalid_role_status", (400, 500)), ("duplicate_status", (400, 409)),
                             ("missing_project_status", (401, 403, 404))):
            if key in options and options[key] not in allowed:
                raise ControlError("atlas.%s must be one of %s" % (key, ", ".join(map(str, allowed))))
        if "added_roles" in options and not (isinstance(options["added_roles"], list)
                                             and all(isinstance(r, str) and r for r in options["added_roles"])):
            raise ControlError("atlas.added_roles must be a list of role names")
        if "api_versions" in options and not (isinstance(options["api_versions"], list) and options["api_versions"]):
            raise ControlError("atlas.api_versions must be a non-empty list of YYYY-MM-DD dates")
        super().configure(options)
        if options.get("expire_tokens"):
            # An action rather than a setting: every token issued so far expires now.
            self._expire_all()
            self.options["expire_tokens"] = False
        if "expire_tokens_after_requests" in options:
            self.token_uses = 0

    def set_credentials(self, credentials):
        kinds = ("service_accounts", "api_keys", "access_tokens")
        if not isinstance(credentials, dict) or set(credentials) - set(kinds):
            raise ControlError("atlas credentials take service_accounts {client_id: secret}, "
                               "api_keys {public: private} and access_tokens [token]")
        # Each kind given replaces that kind entirely; a kind left out keeps its value.
        if "service_accounts" in credentials:
            self.credentials["service_accounts"] = dict(credentials["service_accounts"] or {})
            # A removed or re-keyed service account loses the tokens it was issued.
            self.tokens = {token: info for token, info in self.tokens.items()
                           if info["client_id"] in self.credentials["service_accounts"]}
        if "api_keys" in credentials:
            self.credentials["api_keys"] = dict(credentials["api_keys"] or {})
        if "access_tokens" in credentials:
            self.credentials["access_tokens"] = list(credentials["access_tokens"] or [])

    # -- vendor conventions -----------------------------------------------

    def error(self, request, status, code=None, detail=None, pointer=None, headers=None):
        default_code, default_detail = ERRORS.get(status, (http.HTTPStatus(status).phrase.upper().replace(" ", "_"),
                                                           http.HTTPStatus(status).phrase + "."))
        body = {
            "detail": detail or default_detail,
            "error": status,
            "errorCode": code or default_code,
            "parameters": [pointer] if pointer else [],
            "reason": http.HTTPStatus(status).phrase,
        }
        return Response(status, body, headers)

    def fail(self, request, status, code, detail, parameter=None):
        return Reply(self.error(request, status, code, detail, parameter))

    def decorate(self, request, response, rate):
        response.headers["RateLimit-Limit"] = str(rate.limit)
        response.headers["RateLimit-Remaining"] = str(rate.remaining)

    # -- authentication ---------------------------------------------------

    def authenticate(self, request):
        if request.path == TOKEN_PATH:
            return None  # the token endpoint authenticates the client itself
        with self.lock:
            scheme, _sep, value = request.header("authorization", "").partition(" ")
            scheme = scheme.lower()
            if scheme == "bearer":
                return self._check_bearer(request, value.strip())
            if scheme == "digest":
                return self._check_digest(request, value)
            return self._challenge(request, "You are not authorized for this resource.")

    def _challenge(self, request, detail, stale=False):
        """401 with a fresh Digest challenge, as Atlas answers any request it cannot authenticate."""
        now = time.monotonic()
        ttl = self.options["nonce_ttl"]
        self.nonces = {n: s for n, s in self.nonces.items() if now - s["issued"] < 2 * ttl}
        nonce = secrets.token_urlsafe(24)
        self.nonces[nonce] = {"issued": now, "nc": 0}
        challenge = 'Digest realm="%s", domain="", nonce="%s", algorithm=MD5, qop="auth", stale=%s' % (
            REALM, nonce, "true" if stale else "false")
        return self.error(request, 401, None, detail, headers={"WWW-Authenticate": challenge})

    def _check_bearer(self, request, token):
        if token in self.credentials["access_tokens"]:
            return None
        issued = self.tokens.get(token)
        if issued is None:
            return self._challenge(request, "The access token is not valid.")
        if time.monotonic() >= issued["expires"]:
            return self._challenge(request, "The access token has expired.")
        limit = self.options["expire_tokens_after_requests"]
        if limit:
            self.token_uses += 1
            if self.token_uses >= limit:
                # This request still passes; the next one with any issued token gets a 401.
                self._expire_all()
                self.options["expire_tokens_after_requests"] = None
                self.token_uses = 0
        return None

    def _expire_all(self):
        for info in self.tokens.values():
            info["expires"] = 0.0

    def _check_digest(self, request, value):
        params = {}
        for match in DIGEST_PARAM.finditer(value):
            quoted, bare = match.group(2), match.group(3)
            params[match.group(1).lower()] = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
        if any(not params.get(name) for name in ("username", "realm", "nonce", "uri", "response")):
            return self._challenge(request, "Malformed Digest authorization.")
        if params.get("algorithm", "MD5").upper() != "MD5" or params.get("qop") != "auth" \
                or not params.get("nc") or not params.get("cnonce"):
            return self._challenge(request, "Digest authentication needs algorithm=MD5 and qop=auth.")
        state = self.nonces.get(params["nonce"])
        if params["realm"] != REALM or state is None:
            return self._challenge(request, "You are not authorized for this resource.")
        if time.monotonic() - state["issued"] >= self.options["nonce_ttl"]:
            return self._challenge(request, "The nonce is stale.", stale=True)
        uri = urlsplit(params["uri"])
        if unquote(uri.path) != request.path or parse_qs(uri.query, keep_blank_values=True) != request.query:
            return self._challenge(request, "The Digest uri does not match the request.")
        private = self.credentials["api_keys"].get(params["username"])
        if private is None:
            return self._challenge(request, "You are not authorized for this resource.")
        try:
            count = int(params["nc"], 16)
        except ValueError:
            return self._challenge(request, "Malformed Digest nonce count.")
        ha1 = _md5("%s:%s:%s" % (params["username"], REALM, private))
        ha2 = _md5("%s:%s" % (request.method, params["uri"]))
        expected = _md5(":".join((ha1, params["nonce"], params["nc"], params["cnonce"], "auth", ha2)))
        if not hmac.compare_digest(expected, params["response"].lower()):
            return self._challenge(request, "You are not authorized for this resource.")
        if count <= state["nc"]:
            return self._challenge(request, "The Digest nonce count was used before.")
        state["nc"] = count
        return None

    def check_media_type(self, request):
        if request.path == TOKEN_PATH:
            return None
        # Every versioned resource wants its version date in Accept (406 otherwise) ...
        version = None
        for part in request.header("accept", "").split(","):
            found = VERSIONED.match(part.split(";")[0].strip().lower())
            if found and found.group(1) in self.options["api_versions"]:
                version = found.group(1)
                break
        if version is None:
            return self.error(request, 406, "INVALID_VERSION_DATE", "Invalid accept header or version date.")
        request.atlas_version = version
        # ... and a body in a versioned media type too (415 otherwise).
        if request.raw_body or request.method in ("POST", "PUT", "PATCH"):
            found = VERSIONED.match(request.media_type)
            if not found or found.group(1) not in self.options["api_versions"]:
                return self.error(request, 415, "UNSUPPORTED_MEDIA_TYPE",
                                  "Content-Type must be application/vnd.atlas.<version date>+json, not %r"
                                  % request.header("content-type"))
        return None

    def _ok(self, request, body, status=200):
        return Response(status, body, content_type="application/vnd.atlas.%s+json" % request.atlas_version)

    # -- the OAuth2 token endpoint ------------------------------------------

    def issue_token(self, request):
        """RFC 6749 section 4.4: the client authenticates with HTTP Basic; a form body grant_type=client_credentials."""
        client_id, secret = None, None
        scheme, sep, value = request.header("authorization", "").partition(" ")
        if sep and scheme.lower() == "basic":
            try:
                client_id, colon, secret = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                colon = ""
            if not colon:
                client_id = None
        known = self.credentials["service_accounts"]
        if client_id is None or client_id not in known or not hmac.compare_digest(known[client_id].encode("utf-8"), secret.encode("utf-8")):
            return _oauth_error(401, "invalid_client", "Client authentication failed.",
                                {"WWW-Authenticate": 'Basic realm="MongoDB Atlas"'})
        if request.media_type != "application/x-www-form-urlencoded":
            return _oauth_error(400, "invalid_request", "The body must be application/x-www-form-urlencoded.")
        form = dict(parse_qsl(request.text, keep_blank_values=True))
        if not form.get("grant_type"):
            return _oauth_error(400, "invalid_request", "grant_type is required.")
        if form["grant_type"] != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "Only client_credentials is supported.")
        token = "mdb_at_" + secrets.token_urlsafe(32)
        ttl = self.options["token_ttl"]
        self.tokens[token] = {"client_id": client_id, "expires": time.monotonic() + ttl}
        return Response(200, {"access_token": token, "expires_in": int(ttl), "token_type": "Bearer"},
                        {"Cache-Control": "no-store", "Pragma": "no-cache"})

    # -- scope ------------------------------------------------------------

    def _hex(self, request, name):
        value = request.params[name]
        if not HEX24.match(value):
            raise self.fail(request, 400, "VALIDATION_ERROR",
                            "%s %r is not a 24-hexadecimal digit string." % (name, value), name)
        return value

    def _federation(self, request):
        value = self._hex(request, "federationSettingsId")
        if value != self.options["federation_settings_id"]:
            raise self.fail(request, 404, "RESOURCE_NOT_FOUND",
                            "No federation settings with ID %s exist." % value, value)

    def _org(self, request):
        value = self._hex(request, "orgId")
        if value != self.options["org_id"]:
            raise self.fail(request, 404, "RESOURCE_NOT_FOUND",
                            "No connected organization with ID %s exists." % value, value)

    def _scope(self, request):
        self._federation(request)
        self._org(request)

    def _find(self, request):
        self._scope(request)
        mapping_id = self._hex(request, "id")
        record = self.mappings.get(mapping_id)
        if record is None:
            raise self.fail(request, 404, "RESOURCE_NOT_FOUND", "No role mapping with ID %s exists." % mapping_id,
                            mapping_id)
        return record

    # -- paging -----------------------------------------------------------

    def _int_query(self, request, name, default, high=None):
        raw = request.query.get(name, [None])[0]
        if raw is None:
            return default
        if not re.fullmatch(r"[0-9]+", raw) or int(raw) < 1 or (high and int(raw) > high):
            raise self.fail(request, 400, "VALIDATION_ERROR", "%s must be an integer from 1%s, not %r"
                            % (name, " to %d" % high if high else "", raw), name)
        return int(raw)

    def _page(self, request, items, page_size):
        """(this page's items, links): everything when page_size is None, else pageNum/itemsPerPage pages."""
        query = dict((name, values[0]) for name, values in request.query.items())
        links = [{"href": request.url(request.path, query), "rel": "self"}]
        if page_size is None:
            return items, links
        number = self._int_query(request, "pageNum", 1)
        size = self._int_query(request, "itemsPerPage", page_size, ITEMS_PER_PAGE_MAX)
        start = (number - 1) * size
        if number > 1:
            links.append({"href": request.url(request.path, dict(query, pageNum=number - 1, itemsPerPage=size)),
                          "rel": "previous"})
        if start + size < len(items):
            links.append({"href": request.url(request.path, dict(query, pageNum=number + 1, itemsPerPage=size)),
                          "rel": "next"})
        return items[start:start + size], links

    # -- objects ----------------------------------------------------------

    def _render(self, record):
        assignments = []
        for assignment in record["roleAssignments"]:
            if isinstance(assignment, dict) and self.options["null_ids"]:
                assignment = dict({"groupId": None, "orgId": None}, **assignment)
            assignments.append(dict(assignment) if isinstance(assignment, dict) else assignment)
        return {"externalGroupName": record["externalGroupName"], "id": record["id"], "roleAssignments": assignments}

    def _connected_config(self):
        return {
            "dataAccessIdentityProviderIds": [],
            "domainAllowList": [],
            "domainRestrictionEnabled": False,
            "identityProviderId": self.options["identity_provider_id"],
            "orgId": self.options["org_id"],
            "postAuthRoleGrants": [],
            "roleMappings": [self._render(record) for record in self.mappings.values()],
            "userConflicts": [],
        }

    def _mapping_body(self, request, current_id=None):
        """The fields of a create or update body, validated like the service does."""
        body = request.body
        if request.body_error or not isinstance(body, dict):
            raise self.fail(request, 400, "INVALID_JSON", "The request body must be a JSON object.")
        for name in body:
            if name == "id":
                raise self.fail(request, 400, "INVALID_ATTRIBUTE",
                                "Invalid attribute id specified: it is read-only.", "id")
            if name not in MAPPING_FIELDS:
                raise self.fail(request, 400, "INVALID_ATTRIBUTE", "Invalid attribute %s specified." % name, name)
        for name in MAPPING_FIELDS:
            if body.get(name) is None:
                raise self.fail(request, 400, "MISSING_ATTRIBUTE", "The required attribute %s was not specified." % name,
                                name)
        group = body["externalGroupName"]
        if not isinstance(group, str) or not 1 <= len(group) <= GROUP_NAME_MAX:
            raise self.fail(request, 400, "INVALID_ATTRIBUTE", "externalGroupName must be a string of 1 to %d "
                            "characters." % GROUP_NAME_MAX, "externalGroupName")
        raw = body["roleAssignments"]
        if not isinstance(raw, list):
            raise self.fail(request, 400, "INVALID_ATTRIBUTE", "roleAssignments must be an array.", "roleAssignments")
        assignments, seen = [], set()
        for index, element in enumerate(raw):
            where = "roleAssignments[%d]" % index
            assignment = self._assignment(request, element, where)
            key = (assignment["role"], assignment.get("orgId"), assignment.get("groupId"))
            if key in seen:
                raise self.fail(request, 400, "INVALID_ATTRIBUTE", "%s repeats a role assignment; roleAssignments "
                                "must be unique." % where, where)
            seen.add(key)
            assignments.append(assignment)
        if not any("orgId" in a and self._is_org_role(a["role"]) for a in assignments):
            raise self.fail(request, 400, "MISSING_ORG_ROLE_MAPPING", "roleAssignments must include at least one "
                            "element with an Organization role and its respective orgId.", "roleAssignments")
        for record in self.mappings.values():
            if record["externalGroupName"] == group and record["id"] != current_id:
                raise self.fail(request, self.options["duplicate_status"], "DUPLICATE_ROLE_MAPPING",
                                "A role mapping for the external group %r "
                                "already exists in organization %s." % (group, self.options["org_id"]), group)
        return {"externalGroupName": group, "roleAssignments": assignments}

    def _assignment(self, request, element, where):
        if not isinstance(element, dict):
            raise self.fail(request, 400, "INVALID_ATTRIBUTE", "%s must be an object." % where, where)
        for name in element:
            if name not in ASSIGNMENT_FIELDS:
                raise self.fail(request, 400, "INVALID_ATTRIBUTE", "Invalid attribute %s.%s specified." % (where, name),
                                "%s.%s" % (where, name))
        role = element.get("role")
        if not isinstance(role, str) or not role:
            raise self.fail(request, 400, "MISSING_ATTRIBUTE", "%s.role is required." % where, where + ".role")
        ids = dict((name, element[name]) for name in ("orgId", "groupId") if element.get(name) is not None)
        if len(ids) == 2:
            raise self.fail(request, 400, "INVALID_ATTRIBUTE", "%s can have a value for orgId or groupId, but not both."
                            % where, where)
        if not ids:
            raise self.fail(request, 400, "MISSING_ATTRIBUTE", "%s needs an orgId or a groupId." % where, where)
        (id_name, id_value), = ids.items()
        if not isinstance(id_value, str) or not HEX24.match(id_value):
            raise self.fail(request, 400, "INVALID_ATTRIBUTE", "%s.%s %r is not a 24-hexadecimal digit string."
                            % (where, id_name, id_value), "%s.%s" % (where, id_name))
        if role not in ORG_ROLES and role not in PROJECT_ROLES and role not in self.options["added_roles"]:
            # Atlas once answered an unknown role with a 500 (terraform-provider-mongodbatlas #920).
            if self.options["invalid_role_status"] == 500:
                raise self.fail(request, 500, "UNEXPECTED_ERROR", "Unexpected error.")
            raise self.fail(request, 400, "INVALID_ATTRIBUTE", "%s.role %r is not a role Atlas accepts in a role "
                            "mapping." % (where, role), where + ".role")
        if self._is_org_role(role):
            if id_name != "orgId":
                raise self.fail(request, 400, "INVALID_ATTRIBUTE", "%s: the organization role %s needs an orgId, not a "
                                "groupId." % (where, role), where)
            if id_value != self.options["org_id"]:
                raise self.fail(request, 400, "INVALID_ATTRIBUTE", "%s.orgId %s is not the connected organization %s."
                                % (where, id_value, self.options["org_id"]), where + ".orgId")
        elif id_name != "groupId":
            raise self.fail(request, 400, "INVALID_ATTRIBUTE", "%s: the project role %s needs a groupId, not an "
                            "orgId." % (where, role), where)
        return {"role": role, id_name: id_value}

    def _is_org_role(self, role):
        """An organization role: one of the enum's, or an added role named ORG_..., as Atlas names them."""
        return role in ORG_ROLES or (role in self.options["added_roles"] and role.startswith("ORG_"))

    # -- handlers ---------------------------------------------------------

    def get_org_federation_settings(self, request):
        self._org(request)
        return self._ok(request, {
            "federatedDomains": list(self.options["federated_domains"]),
            "hasRoleMappings": bool(self.mappings),
            "id": self.options["federation_settings_id"],
            "identityProviderId": self.options["identity_provider_id"],
            "identityProviderStatus": "ACTIVE",
        })

    def _group(self, request, name, project_id):
        return self._ok(request, {"clusterCount": 0, "created": "2024-01-15T09:30:00Z", "id": project_id,
                                  "links": [{"href": request.url(GROUP.replace("{groupId}", project_id)), "rel": "self"}],
                                  "name": name, "orgId": self.options["org_id"], "tags": []})

    def _no_project(self, request, which):
        # MongoDB's Atlas Kubernetes operator tests that an unknown project answers NOT_IN_GROUP; the status
        # is not documented (and the same answer comes for a project the caller may not see).
        return self.fail(request, self.options["missing_project_status"], self.options["missing_project_code"],
                         "Project %s does not exist or the caller has no access to it." % which, which)

    def get_group_by_name(self, request):
        name = request.params["groupName"]
        if not 1 <= len(name) <= PROJECT_NAME_MAX:
            raise self.fail(request, 400, "VALIDATION_ERROR", "groupName must be 1 to %d characters." % PROJECT_NAME_MAX,
                            "groupName")
        if name not in self.options["projects"]:
            raise self._no_project(request, name)
        return self._group(request, name, self.options["projects"][name])

    def get_group(self, request):
        project_id = request.params["groupId"]
        if not HEX24.match(project_id):
            raise self.fail(request, 400, "VALIDATION_ERROR", "groupId must be 24 hexadecimal digits.", "groupId")
        names = dict((value, key) for key, value in self.options["projects"].items())
        if project_id not in names:
            raise self._no_project(request, project_id)
        return self._group(request, names[project_id], project_id)

    def list_connected_org_configs(self, request):
        self._federation(request)
        configs = [self._connected_config()]
        # This operation declares itemsPerPage/pageNum; its default page holds 100.
        page, links = self._page(request, configs, 100)
        return self._ok(request, {"links": links, "results": page, "totalCount": len(configs)})

    def get_connected_org_config(self, request):
        self._scope(request)
        return self._ok(request, self._connected_config())

    def list_role_mappings(self, request):
        self._scope(request)
        records = [self._render(record) for record in self.mappings.values()]
        page, links = self._page(request, records, self.options["role_mappings_page_size"])
        return self._ok(request, {"links": links, "results": page, "totalCount": len(records)})

    def create_role_mapping(self, request):
        self._scope(request)
        fields = self._mapping_body(request)
        record = dict(fields, id=self._unused_id())
        self.mappings[record["id"]] = record
        return self._ok(request, self._render(record))

    def get_role_mapping(self, request):
        return self._ok(request, self._render(self._find(request)))

    def update_role_mapping(self, request):
        record = self._find(request)
        record.update(self._mapping_body(request, current_id=record["id"]))
        return self._ok(request, self._render(record))

    def delete_role_mapping(self, request):
        del self.mappings[self._find(request)["id"]]
        return Response(204)

    def _unused_id(self):
        while True:
            mapping_id = _new_id()
            if mapping_id not in self.mappings:
                return mapping_id

    # -- control ----------------------------------------------------------

    def seed(self, request, data):
        if not isinstance(data, dict) or set(data) - {"role_mappings"}:
            raise ControlError("atlas seeds take role_mappings")
        created = []
        for item in data.get("role_mappings") or []:
            # Behind the collection's back: no validation beyond the shape, so tests can plant
            # what the API would refuse (duplicates, a mapping without an org role, ...).
            if not isinstance(item, dict) or "externalGroupName" not in item or set(item) - {"id", *MAPPING_FIELDS}:
                raise ControlError("a seeded role mapping needs externalGroupName and takes id and roleAssignments")
            record = {"id": item.get("id") or self._unused_id(), "externalGroupName": item["externalGroupName"],
                      "roleAssignments": list(item.get("roleAssignments") or [])}
            if record["id"] in self.mappings:
                raise ControlError("role mapping %s exists" % record["id"])
            self.mappings[record["id"]] = record
            created.append(self._render(record))
        return {"role_mappings": created}

    def dump(self, request):
        return {"role_mappings": [self._render(record) for record in self.mappings.values()],
                "org_id": self.options["org_id"],
                "federation_settings_id": self.options["federation_settings_id"]}


def _oauth_error(status, code, description, headers=None):
    """RFC 6749 section 5.2: {"error", "error_description"}."""
    return Response(status, {"error": code, "error_description": description},
                    dict(headers or {}, **{"Cache-Control": "no-store", "Pragma": "no-cache"}))
