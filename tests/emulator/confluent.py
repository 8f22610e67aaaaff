"""Confluent Cloud IAM v2: SSO group mappings and role bindings; the Security Token Service.

Group mappings follow shared/specs/confluent-cloud-iam-v2-sso-openapi.yaml: paths, operationIds,
object shapes, page_size limits, read-only fields, the 300-character filter and the
Failure error body (or, optionally, the newer envelope error body).

Role bindings follow shared/specs/confluent-cloud-iam-v2-role-bindings-openapi.yaml: create,
list (crn_pattern required), get and delete; no update. They share the group mappings'
authentication, error bodies and headers, as one service does.

The token exchange follows shared/specs/confluent-cloud-sts-v1-openapi.yaml: an identity
provider's token (the emulator's stand-in, tests/emulator/idp.py) for a Confluent token of an
identity pool, which the API then accepts as a Bearer token.
"""

import base64
import binascii
import http
import itertools
import random
import re
import secrets
import string
import time
import uuid
from urllib.parse import parse_qsl, unquote

from .server import ControlError, Provider, Reply, Response, utc_now

STS = "/sts/v1/oauth2/token"
STS_OPERATION = "exchangeStsV1OauthToken"
STS_MAX_LIFETIME = 900  # the spec's default and maximum expires_in
TOKEN_EXCHANGE = {"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
                  "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
                  "requested_token_type": "urn:ietf:params:oauth:token-type:access_token"}
DEFAULT_POOL = "pool-emulator"

API_VERSION = "iam.v2/sso"  # the enum of GroupMapping.api_version in the spec
MAPPINGS = "/iam/v2/sso/group-mappings"
BINDINGS_API_VERSION = "iam/v2"  # the enum of iam.v2.RoleBinding.api_version
BINDINGS = "/iam/v2/role-bindings"
BINDING_FIELDS = ("principal", "role_name", "crn_pattern")
BINDING_READ_ONLY = ("id", "metadata", "api_version", "kind")
BINDING_FILTERS = ("principal", "role_name", "crn_pattern", "page_size", "page_token")
# The spec's patterns: principal (^User:.+$)|(^Group:.+$), crn_pattern ^crn://.+$
PRINCIPAL_PATTERN = re.compile(r"(User|Group):.+")
CRN_PATTERN = re.compile(r"crn://.+")
FIELDS = ("display_name", "description", "filter")
READ_ONLY = ("id", "principal", "state", "metadata", "api_version", "kind")
FILTER_MAX = 300
PAGE_DEFAULT = 10
PAGE_MAX = 100
DEFAULT_ORG = "b0e3c5d2-7f41-4c6a-9a8e-3d2f1c0b9e84"
DEFAULT_CREDENTIALS = {"api_keys": {"EMULATOR-KEY": "emulator-secret"}, "access_tokens": ["emulator-token"]}
CHALLENGE = 'Basic realm="Confluent Cloud", Bearer realm="Confluent Cloud"'

# Error codes and titles as the spec's examples spell them; 404 has no code there.
ERRORS = {
    400: ("bad_request", "Bad Request"),
    401: ("user_unauthenticated", "Authentication Required"),
    402: ("quota_exceeded", "Quota Exceeded"),
    403: ("user_unauthorized", "User Access Unauthorized"),
    404: (None, "Not Found"),
    405: ("method_not_allowed", "Method Not Allowed"),
    409: ("resource_already_exists", "Resource Already exists"),
    415: ("unsupported_media_type", "Unsupported Media Type"),
    422: ("invalid_configuration", "Validation Failed"),
    429: ("too_many_requests", "Too Many Requests"),
    500: ("internal_server_error", "Internal Server Error"),
    503: ("service_unavailable", "Service Unavailable"),
}


class ConfluentProvider(Provider):
    name = "confluent"
    prefixes = ("/iam/", "/sts/")
    default_options = {
        "error_format": "errors",       # "errors" (the spec's Failure) or "envelope" (newer deployments)
        "org_id": DEFAULT_ORG,          # organization in metadata.resource_name
        "next_on_last_page": "absent",  # "absent" or "null": how the last page shows metadata.next
        "principal_format": "bare",     # a mapping's principal: "bare" (its id, as the spec's example) or "prefixed" (User:<id>)
        "inclusive_includes_scope": True,  # whether crn_pattern=<scope>/* also lists the bindings on <scope> itself
        "encode_crn_colons": False,     # true: answers carry ':' inside a CRN's segments as %3A
        "filter_max_length": FILTER_MAX,  # the tenant's limit on a filter's length
        "identity_pools": [DEFAULT_POOL],  # pools the token exchange issues tokens for
        "sts_token_ttl": None,          # seconds a Confluent token lives; null: as asked, at most 900
        "expire_sts_tokens_after_requests": None,  # N: after N more requests with an exchanged token, they all expire
        "group_mapping_quota": None,    # N: a create when N group mappings exist answers 402 quota_exceeded; null: no cap
        "missing_binding_status": 404,  # how a GET or DELETE of a role binding that does not exist is answered: 404 or 403
    }

    def route_table(self):
        return [
            ("GET", MAPPINGS, "listIamV2SsoGroupMappings", self.list_mappings),
            ("POST", MAPPINGS, "createIamV2SsoGroupMapping", self.create_mapping),
            ("GET", MAPPINGS + "/{id}", "getIamV2SsoGroupMapping", self.get_mapping),
            ("PATCH", MAPPINGS + "/{id}", "updateIamV2SsoGroupMapping", self.update_mapping),
            ("DELETE", MAPPINGS + "/{id}", "deleteIamV2SsoGroupMapping", self.delete_mapping),
            ("GET", BINDINGS, "listIamV2RoleBindings", self.list_bindings),
            ("POST", BINDINGS, "createIamV2RoleBinding", self.create_binding),
            ("GET", BINDINGS + "/{id}", "getIamV2RoleBinding", self.get_binding),
            ("DELETE", BINDINGS + "/{id}", "deleteIamV2RoleBinding", self.delete_binding),
            ("POST", STS, STS_OPERATION, self.exchange_token),
        ]

    def reset(self):
        super().reset()
        self.mappings = {}  # id -> stored record, in creation order
        self.bindings = {}  # id -> stored role binding, in creation order
        self.sequence = itertools.count(1)
        self.credentials = {"api_keys": dict(DEFAULT_CREDENTIALS["api_keys"]),
                            "access_tokens": list(DEFAULT_CREDENTIALS["access_tokens"])}
        self.sts_tokens = {}  # token -> {"pool", "expires_at"}
        self.sts_token_uses = 0

    def configure(self, options):
        if "error_format" in options and options["error_format"] not in ("errors", "envelope"):
            raise ControlError("confluent.error_format must be 'errors' or 'envelope'")
        if "next_on_last_page" in options and options["next_on_last_page"] not in ("absent", "null"):
            raise ControlError("confluent.next_on_last_page must be 'absent' or 'null'")
        if "principal_format" in options and options["principal_format"] not in ("bare", "prefixed"):
            raise ControlError("confluent.principal_format must be 'bare' or 'prefixed'")
        for name in ("inclusive_includes_scope", "encode_crn_colons"):
            if name in options and not isinstance(options[name], bool):
                raise ControlError("confluent.%s must be true or false" % name)
        if "sts_token_ttl" in options and options["sts_token_ttl"] is not None and not (
                isinstance(options["sts_token_ttl"], (int, float)) and options["sts_token_ttl"] > 0):
            raise ControlError("confluent.sts_token_ttl must be null or a positive number of seconds")
        if "expire_sts_tokens_after_requests" in options:
            self.sts_token_uses = 0
        if "group_mapping_quota" in options and options["group_mapping_quota"] is not None and not (
                isinstance(options["group_mapping_quota"], int) and not isinstance(options["group_mapping_quota"], bool)
                and options["group_mapping_quota"] >= 0):
            raise ControlError("confluent.group_mapping_quota must be null or a number of mappings (0 or more)")
        if "missing_binding_status" in options and options["missing_binding_status"] not in (403, 404):
            raise ControlError("confluent.missing_binding_status must be 404 or 403")
        if "filter_max_length" in options and not (isinstance(options["filter_max_length"], int)
                                                   and options["filter_max_length"] > 0):
            raise ControlError("confluent.filter_max_length must be a positive number")
        super().configure(options)

    def set_credentials(self, credentials):
        if not isinstance(credentials, dict) or set(credentials) - {"api_keys", "access_tokens"}:
            raise ControlError("confluent credentials take api_keys {key: secret} and access_tokens [token]")
        # Each kind given replaces that kind entirely; a kind left out keeps its value.
        if "api_keys" in credentials:
            self.credentials["api_keys"] = dict(credentials["api_keys"] or {})
        if "access_tokens" in credentials:
            self.credentials["access_tokens"] = list(credentials["access_tokens"] or [])

    # -- vendor conventions -----------------------------------------------

    def error(self, request, status, code=None, detail=None, pointer=None, headers=None):
        default_code, title = ERRORS.get(status, ("error", http.HTTPStatus(status).phrase))
        code = code or default_code
        if self.options["error_format"] == "envelope":
            error = {"code": code or http.HTTPStatus(status).phrase.lower().replace(" ", "_"),
                     "message": detail or title}
            if pointer:
                error["detail"] = {"pointer": pointer}
            return Response(status, {"status": status, "error": error, "requestId": request.request_id}, headers)
        error = {"id": str(uuid.uuid4()), "status": str(status), "code": code, "title": title, "detail": detail}
        if pointer:
            error["source"] = {"parameter": pointer} if request.method == "GET" else {"pointer": pointer}
        return Response(status, {"errors": [{k: v for k, v in error.items() if v is not None}]}, headers)

    def fail(self, request, status, detail, code=None, pointer=None):
        return Reply(self.error(request, status, code, detail, pointer))

    def authenticate(self, request):
        scheme, sep, value = request.header("authorization", "").partition(" ")
        if sep and scheme.lower() == "basic":
            try:
                key, colon, secret = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                colon = ""
            if colon and key in self.credentials["api_keys"] and self.credentials["api_keys"][key] == secret:
                return None
        elif sep and scheme.lower() == "bearer" and value.strip() in self.credentials["access_tokens"]:
            return None
        elif sep and scheme.lower() == "bearer" and self._sts_token_valid(value.strip()):
            return None
        return self.error(request, 401, "user_unauthenticated", "Valid authentication credentials must be provided",
                          headers={"WWW-Authenticate": CHALLENGE})

    def _sts_token_valid(self, token):
        info = self.sts_tokens.get(token)
        if info is None or info["expires_at"] <= time.time():
            return False
        limit = self.options["expire_sts_tokens_after_requests"]
        if limit is not None:
            self.sts_token_uses += 1
            if self.sts_token_uses >= limit:
                # The Nth request still passes; every exchanged token expires after it.
                for issued in self.sts_tokens.values():
                    issued["expires_at"] = 0
                self.options["expire_sts_tokens_after_requests"] = None
                self.sts_token_uses = 0
        return True

    def dispatch(self, request, route):
        if route.operation == STS_OPERATION:
            # The token exchange takes no credentials (the spec's securitySchemes are empty) and a form body.
            with self.lock:
                return route.handler(request)
        return super().dispatch(request, route)

    def decorate(self, request, response, rate):
        response.headers["X-Request-Id"] = request.request_id
        response.headers["X-RateLimit-Limit"] = str(rate.limit)
        response.headers["X-RateLimit-Remaining"] = str(rate.remaining)
        # Relative seconds, unlike GitHub's epoch value (see the spec).
        response.headers["X-RateLimit-Reset"] = str(rate.reset)

    # -- objects ----------------------------------------------------------

    @staticmethod
    def _new_id(prefix, table):
        alphabet = string.ascii_letters + string.digits
        while True:
            new_id = prefix + "".join(random.choices(alphabet, k=5))
            if new_id not in table:
                return new_id

    def _store(self, fields, mapping_id=None, state="ENABLED"):
        now = utc_now()
        record = {"id": mapping_id or self._new_id("group-", self.mappings), "display_name": fields["display_name"],
                  "description": fields.get("description", ""), "filter": fields.get("filter", ""),
                  "state": state, "created_at": now, "updated_at": now, "seq": next(self.sequence)}
        self.mappings[record["id"]] = record
        return record

    def _envelope(self, request, record, kind, api_version, collection, crn_segment):
        """The fields every Confluent IAM v2 object carries: version, kind, id and metadata."""
        return {
            "api_version": api_version,
            "kind": kind,
            "id": record["id"],
            "metadata": {
                "self": request.url(collection + "/" + record["id"]),
                "resource_name": "crn://confluent.cloud/organization=%s/%s=%s" % (self.options["org_id"], crn_segment, record["id"]),
                "created_at": record["created_at"],
                "updated_at": record["updated_at"],
            },
        }

    def _render(self, request, record):
        return dict(self._envelope(request, record, "GroupMapping", API_VERSION, MAPPINGS, "group-mapping"),
                    display_name=record["display_name"], description=record["description"], filter=record["filter"],
                    principal=("User:" if self.options["principal_format"] == "prefixed" else "") + record["id"],
                    state=record["state"])

    def _find(self, request, table, what):
        record = table.get(request.params["id"])
        if record is None:
            raise self.fail(request, 404, "%s '%s' was not found" % (what, request.params["id"]))
        return record

    def _body(self, request, read_only, fields, required, invalid_status, invalid_code=None):
        """A JSON object body with only known, writable, string properties; ``required`` ones present."""
        body = request.body
        if request.body_error or not isinstance(body, dict):
            raise self.fail(request, 400, "The request body must be a JSON object", code="invalid_json")
        for name in body:
            if name in read_only:
                raise self.fail(request, 400, "The property '/%s' is read-only and cannot be set" % name,
                                code="invalid_field", pointer="/" + name)
            if name not in fields:
                raise self.fail(request, 400, "Unknown property '/%s'" % name, code="invalid_field", pointer="/" + name)
        for name in fields:
            if name not in body:
                if required:
                    raise self.fail(request, invalid_status, "The property '/%s' is required" % name,
                                    code=invalid_code, pointer="/" + name)
                continue
            if not isinstance(body[name], str):
                raise self.fail(request, invalid_status, "The property '/%s' of type %s did not match the following "
                                "type: string" % (name, type(body[name]).__name__), code=invalid_code, pointer="/" + name)
        return body

    def _fields(self, request, create):
        """The writable fields of a create or update body, validated like the service does."""
        body = self._body(request, READ_ONLY, FIELDS, required=create, invalid_status=422)
        for name in ("display_name", "filter"):
            if name in body and not body[name].strip():
                raise self.fail(request, 422, "The property '/%s' must not be empty" % name, pointer="/" + name)
        limit = self.options["filter_max_length"]
        if len(body.get("filter", "")) > limit:
            raise self.fail(request, 422, "The property '/filter' must be at most %d characters long" % limit,
                            pointer="/filter")
        return body

    def _store_binding(self, fields, binding_id=None):
        now = utc_now()
        record = {"id": binding_id or self._new_id("rb-", self.bindings), "principal": fields["principal"],
                  "role_name": fields["role_name"], "crn_pattern": fields["crn_pattern"],
                  "created_at": now, "updated_at": now, "seq": next(self.sequence)}
        self.bindings[record["id"]] = record
        return record

    def _render_binding(self, request, record):
        crn_pattern = record["crn_pattern"]
        if self.options["encode_crn_colons"]:
            crn_pattern = "crn://" + unquote(crn_pattern)[len("crn://"):].replace(":", "%3A")
        return dict(self._envelope(request, record, "RoleBinding", BINDINGS_API_VERSION, BINDINGS, "role-binding"),
                    principal=record["principal"], role_name=record["role_name"], crn_pattern=crn_pattern)

    def _binding_fields(self, request):
        """A create body, validated as the spec says: every problem is a 400 (the spec lists no 422 here)."""
        body = self._body(request, BINDING_READ_ONLY, BINDING_FIELDS, required=True, invalid_status=400,
                          invalid_code="invalid_field")
        if not PRINCIPAL_PATTERN.fullmatch(body["principal"]):
            raise self.fail(request, 400, "The property '/principal' must match (^User:.+$)|(^Group:.+$), not %r"
                            % body["principal"], code="invalid_field", pointer="/principal")
        if not body["role_name"].strip():
            raise self.fail(request, 400, "The property '/role_name' must not be empty", code="invalid_field",
                            pointer="/role_name")
        if not CRN_PATTERN.fullmatch(body["crn_pattern"]):
            raise self.fail(request, 400, "The property '/crn_pattern' must match ^crn://.+$, not %r"
                            % body["crn_pattern"], code="invalid_field", pointer="/crn_pattern")
        return body

    # -- pagination -------------------------------------------------------

    @staticmethod
    def _token(seq):
        return base64.urlsafe_b64encode(("after:%d" % seq).encode()).decode().rstrip("=")

    def _page(self, request):
        """(page_size, creation sequence to continue after) from the query."""
        raw_size = request.query.get("page_size", [str(PAGE_DEFAULT)])[0]
        if not re.fullmatch(r"[0-9]+", raw_size) or not 1 <= int(raw_size) <= PAGE_MAX:
            raise self.fail(request, 400, "page_size must be an integer from 1 to %d, not %r" % (PAGE_MAX, raw_size),
                            code="invalid_parameter", pointer="page_size")
        token = request.query.get("page_token", [""])[0]
        if not token:
            return int(raw_size), 0
        try:
            decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            decoded = ""
        after = re.fullmatch(r"after:([0-9]+)", decoded)
        if not after:
            raise self.fail(request, 400, "Invalid page_token", code="invalid_page_token", pointer="page_token")
        return int(raw_size), int(after.group(1))

    # -- handlers ---------------------------------------------------------

    def list_mappings(self, request):
        size, after = self._page(request)
        # Resuming after a creation sequence number keeps pages stable when items are deleted meanwhile.
        remaining = [record for record in self.mappings.values() if record["seq"] > after]
        page = remaining[:size]
        query = {"page_size": request.query["page_size"][0]} if "page_size" in request.query else {}
        metadata = {"first": request.url(MAPPINGS, query), "total_size": len(self.mappings)}
        if len(remaining) > size:
            metadata["next"] = request.url(MAPPINGS, {"page_size": size, "page_token": self._token(page[-1]["seq"])})
        elif self.options["next_on_last_page"] == "null":
            metadata["next"] = None
        return Response(200, {"api_version": API_VERSION, "kind": "GroupMappingList", "metadata": metadata,
                              "data": [self._render(request, record) for record in page]})

    def create_mapping(self, request):
        fields = self._fields(request, create=True)
        quota = self.options["group_mapping_quota"]
        if quota is not None and len(self.mappings) >= quota:
            # The Confluent CLI's test server answers exactly this (cli PR #2739, test/test-server/iam_handlers.go).
            raise self.fail(request, 402, "Group mapping reached limit %d" % quota, code="quota_exceeded")
        record = self._store(fields)
        return Response(201, self._render(request, record), {"Location": request.url(MAPPINGS + "/" + record["id"])})

    def get_mapping(self, request):
        return Response(200, self._render(request, self._find(request, self.mappings, "Group mapping")))

    def update_mapping(self, request):
        record = self._find(request, self.mappings, "Group mapping")
        fields = self._fields(request, create=False)
        if any(record[name] != value for name, value in fields.items()):
            record.update(fields)
            record["updated_at"] = utc_now()
        return Response(200, self._render(request, record))

    def delete_mapping(self, request):
        # Like the real service, the mapping's role bindings stay (dangling on User:<id>):
        # a client deletes them first.
        del self.mappings[self._find(request, self.mappings, "Group mapping")["id"]]
        return Response(204)

    def list_bindings(self, request):
        unknown = sorted(set(request.query) - set(BINDING_FILTERS))
        if unknown:
            raise self.fail(request, 400, "The 'role-binding' resource can't be filtered by '%s'" % unknown[0],
                            code="invalid_filter", pointer=unknown[0])
        crn_pattern = request.query.get("crn_pattern", [""])[0]
        if not crn_pattern:
            raise self.fail(request, 400, "The query parameter 'crn_pattern' is required", code="invalid_filter",
                            pointer="crn_pattern")
        size, after = self._page(request)
        principal = request.query.get("principal", [None])[0]
        role_name = request.query.get("role_name", [None])[0]
        matching = [record for record in self.bindings.values()
                    if self._in_scope(record["crn_pattern"], crn_pattern)
                    and (principal is None or record["principal"] == principal)
                    and (role_name is None or record["role_name"] == role_name)]
        remaining = [record for record in matching if record["seq"] > after]
        page = remaining[:size]
        filters = dict((name, request.query[name][0]) for name in ("principal", "role_name", "crn_pattern")
                       if name in request.query)
        first = dict(filters, **({"page_size": request.query["page_size"][0]} if "page_size" in request.query else {}))
        metadata = {"first": request.url(BINDINGS, first), "total_size": len(matching)}
        if len(remaining) > size:
            metadata["next"] = request.url(BINDINGS, dict(filters, page_size=size, page_token=self._token(page[-1]["seq"])))
        elif self.options["next_on_last_page"] == "null":
            metadata["next"] = None
        return Response(200, {"api_version": BINDINGS_API_VERSION, "kind": "RoleBindingList", "metadata": metadata,
                              "data": [self._render_binding(request, record) for record in page]})

    def _in_scope(self, binding_crn, asked):
        """The Confluent CLI's reading of crn_pattern: one scope, and with a trailing /* the scopes below it
        (``--inclusive``); CRNs compare decoded, as one may be sent or kept with ':' as %3A."""
        binding_crn, asked = unquote(binding_crn), unquote(asked)
        if asked.endswith("/*"):
            scope = asked[:-2]
            return binding_crn.startswith(scope + "/") or (self.options["inclusive_includes_scope"] and binding_crn == scope)
        return binding_crn == asked

    def create_binding(self, request):
        fields = self._binding_fields(request)
        for record in self.bindings.values():
            if all(unquote(record[name]) == unquote(fields[name]) for name in BINDING_FIELDS):
                location = request.url(BINDINGS + "/" + record["id"])
                raise Reply(self.error(request, 409, "resource_already_exists",
                                       "The role binding '%s' already exists" % record["id"],
                                       headers={"Location": location}))
        record = self._store_binding(fields)
        return Response(201, self._render_binding(request, record), {"Location": request.url(BINDINGS + "/" + record["id"])})

    def _find_binding(self, request):
        if request.params["id"] not in self.bindings and self.options["missing_binding_status"] == 403:
            # Not found, or not yours: the Terraform provider reads a 403 without "invalid API key" in its body
            # as "not found" (terraform-provider-confluent PR #1138, isNonKafkaRestApiResourceNotFound).
            raise self.fail(request, 403, "The principal is not allowed to access the role binding '%s'"
                            % request.params["id"])
        return self._find(request, self.bindings, "Role binding")

    def get_binding(self, request):
        return Response(200, self._render_binding(request, self._find_binding(request)))

    def delete_binding(self, request):
        # The spec answers 200 with the deleted binding.
        record = self.bindings.pop(self._find_binding(request)["id"])
        return Response(200, self._render_binding(request, record))

    # -- token exchange ---------------------------------------------------

    def exchange_token(self, request):
        """The identity provider's token for a Confluent token of one identity pool (every problem a 400,
        the only client error the spec lists; the codes are the emulator's choice)."""
        if request.media_type != "application/x-www-form-urlencoded":
            return self.error(request, 400, "invalid_request", "The token request must be a form body")
        form = dict(parse_qsl(request.text, keep_blank_values=True))
        for name in ("grant_type", "subject_token", "identity_pool_id", "subject_token_type", "requested_token_type"):
            if not form.get(name):
                return self.error(request, 400, "invalid_request", "The parameter '%s' is required" % name, pointer=name)
        for name, wanted in TOKEN_EXCHANGE.items():
            if form[name] != wanted:
                return self.error(request, 400, "invalid_request", "The parameter '%s' must be %s" % (name, wanted),
                                  pointer=name)
        lifetime = STS_MAX_LIFETIME
        if "expires_in" in form:
            if not re.fullmatch(r"[0-9]+", form["expires_in"]) or not 1 <= int(form["expires_in"]) <= STS_MAX_LIFETIME:
                return self.error(request, 400, "invalid_request", "expires_in must be from 1 to %d" % STS_MAX_LIFETIME,
                                  pointer="expires_in")
            lifetime = int(form["expires_in"])
        issuer = self.peers.get("idp")
        if issuer is None or issuer.token_info(form["subject_token"]) is None:
            return self.error(request, 400, "invalid_grant", "The subject token is not a valid token of a trusted issuer",
                              pointer="subject_token")
        if form["identity_pool_id"] not in self.options["identity_pools"]:
            return self.error(request, 400, "invalid_grant", "Identity pool '%s' was not found" % form["identity_pool_id"],
                              pointer="identity_pool_id")
        if self.options["sts_token_ttl"] is not None:
            lifetime = min(lifetime, self.options["sts_token_ttl"])
        token = "eyJ" + secrets.token_urlsafe(24)
        self.sts_tokens[token] = {"pool": form["identity_pool_id"], "expires_at": time.time() + lifetime}
        return Response(200, {"access_token": token, "issued_token_type": TOKEN_EXCHANGE["requested_token_type"],
                              "token_type": "Bearer", "expires_in": lifetime})

    # -- control ----------------------------------------------------------

    def seed(self, request, data):
        if not isinstance(data, dict) or set(data) - {"group_mappings", "role_bindings"}:
            raise ControlError("confluent seeds take group_mappings and role_bindings")
        created = []
        for item in data.get("group_mappings") or []:
            # Seeding is 'behind the collection's back': no validation beyond the shape,
            # so tests can plant objects the API would refuse (too long, duplicates).
            if not isinstance(item, dict) or "display_name" not in item or set(item) - {"id", "state", *FIELDS}:
                raise ControlError("a seeded group mapping needs display_name and takes id, state, %s" % ", ".join(FIELDS))
            if item.get("id") in self.mappings:
                raise ControlError("group mapping %s exists" % item["id"])
            created.append(self._render(request, self._store(item, item.get("id"), item.get("state", "ENABLED"))))
        bindings = []
        for item in data.get("role_bindings") or []:
            # Also unvalidated: duplicates, dangling principals and odd patterns are allowed.
            if not isinstance(item, dict) or set(BINDING_FIELDS) - set(item) or set(item) - {"id", *BINDING_FIELDS}:
                raise ControlError("a seeded role binding needs %s and takes id" % ", ".join(BINDING_FIELDS))
            if item.get("id") in self.bindings:
                raise ControlError("role binding %s exists" % item["id"])
            bindings.append(self._render_binding(request, self._store_binding(item, item.get("id"))))
        return {"group_mappings": created, "role_bindings": bindings}

    def dump(self, request):
        state = {"group_mappings": [self._render(request, record) for record in self.mappings.values()],
                 "role_bindings": [self._render_binding(request, record) for record in self.bindings.values()]}
        if self.sts_tokens:
            # Only once a token was exchanged, so tests that compare the whole state need not know of it.
            state["exchanged_tokens"] = sorted(self.sts_tokens)
        return state
