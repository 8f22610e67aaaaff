"""Check logged HTTP requests against the vendors' OpenAPI 3.0 documents.

A logged request is the emulator's request-log entry (see tests/emulator/README.md):
method, path, query, headers (Authorization reduced to its scheme), content_type, body,
status and the operation the emulator routed it to.
"""

import re
from urllib.parse import parse_qs, unquote, urlsplit

import jsonschema
import yaml

# provider -> spec file (under the specs folder), Authorization schemes accepted beyond the
# spec's securitySchemes, and optionally the only paths to take from it. One line per spec; a
# provider may have several.
SPEC_TABLE = (
    # The snapshot is the Preview document; GA adds an OAuth bearer scheme (specs/SOURCES.md).
    ("confluent", "confluent-cloud-iam-v2-sso-openapi.yaml", ("Bearer",)),
    ("confluent", "confluent-cloud-iam-v2-role-bindings-openapi.yaml", ("Bearer",)),
    ("confluent", "confluent-cloud-sts-v1-openapi.yaml", ()),
    # Also yields the OAuth token endpoint, which securitySchemes describe (see token_operations).
    ("atlas", "atlas-admin-api-v2-role-mappings-subset.yaml", ()),
    # Project names for people to read (atlas_role_mapping_info project_names): one path of the whole spec.
    ("atlas", "atlas-admin-api-v2.yaml", (), ("/api/atlas/v2/groups/{groupId}",)),
    ("aria", "aria-suite-lifecycle-authzn-groups-reconstructed.yaml", ()),
)

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Keys of an OpenAPI schema that mean nothing to JSON Schema draft 4.
OPENAPI_ONLY = ("nullable", "readOnly", "writeOnly", "discriminator", "example", "examples", "xml", "externalDocs",
                "deprecated")


def load_spec(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def resolve(document, node, seen=()):
    """`node` with every local $ref inlined; a reference cycle is cut off as {}."""
    if isinstance(node, dict):
        if "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                return {}
            return resolve(document, lookup(document, ref), seen + (ref,))
        return {key: resolve(document, value, seen) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(document, value, seen) for value in node]
    return node


def lookup(document, ref):
    if not ref.startswith("#/"):
        raise ValueError("only local references are supported, not %r" % ref)
    node = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def is_read_only(schema):
    return isinstance(schema, dict) and bool(schema.get("readOnly") or any(is_read_only(s) for s in schema.get("allOf", [])))


def merged_properties(schema):
    """Property name -> list of its schemas, across allOf members."""
    merged = {}
    if not isinstance(schema, dict):
        return merged
    for name, prop in (schema.get("properties") or {}).items():
        merged.setdefault(name, []).append(prop)
    for member in schema.get("allOf", []):
        for name, props in merged_properties(member).items():
            merged.setdefault(name, []).extend(props)
    return merged


def read_only_problems(schema, value, where=""):
    """Read-only properties present in a request body, as JSON pointers."""
    problems = []
    if isinstance(value, dict):
        properties = merged_properties(schema)
        for name, item in value.items():
            schemas = properties.get(name, [])
            if any(is_read_only(prop) for prop in schemas):
                problems.append("body property %s/%s is read-only and must not be sent" % (where, name))
            elif schemas:
                problems.extend(read_only_problems({"allOf": schemas}, item, "%s/%s" % (where, name)))
    elif isinstance(value, list) and isinstance(schema, dict):
        items = schema.get("items") or {"allOf": [m.get("items", {}) for m in schema.get("allOf", []) if isinstance(m, dict)]}
        for index, item in enumerate(value):
            problems.extend(read_only_problems(items, item, "%s/%d" % (where, index)))
    return problems


def to_json_schema(schema, drop_required=frozenset()):
    """A resolved OpenAPI 3.0 schema as JSON Schema draft 4, for validating a request.

    nullable becomes a type list; read-only properties are left out (read_only_problems
    reports them) and so is their `required`; patterns Python cannot compile (e.g. \\p{L}) are dropped.
    """
    if not isinstance(schema, dict):
        return schema
    read_only = frozenset(name for name, props in merged_properties(schema).items() if any(map(is_read_only, props)))
    drop_required = drop_required | read_only
    converted = {}
    for key, value in schema.items():
        if key in OPENAPI_ONLY or key.startswith("x-"):
            continue
        if key == "properties":
            converted[key] = {name: to_json_schema(prop) for name, prop in value.items() if not is_read_only(prop)}
        elif key in ("allOf", "anyOf", "oneOf"):
            converted[key] = [to_json_schema(member, drop_required) for member in value]
        elif key in ("items", "additionalProperties", "not"):
            converted[key] = to_json_schema(value)
        elif key == "required":
            converted[key] = [name for name in value if name not in drop_required]
        elif key == "pattern":
            try:
                re.compile(value)
            except re.error:
                continue
            converted[key] = value
        else:
            converted[key] = value
    if converted.get("required") == []:
        del converted["required"]  # draft 4 wants a non-empty list
    if schema.get("nullable"):
        if "type" in converted:
            converted["type"] = [converted["type"], "null"]
        if "enum" in converted:
            converted["enum"] = list(converted["enum"]) + [None]
    return converted


def schema_problems(schema, value, what):
    validator = jsonschema.Draft4Validator(to_json_schema(schema))
    problems = []
    for error in validator.iter_errors(value):
        where = "".join("/%s" % part for part in error.absolute_path)
        # jsonschema quotes the whole value; a long one would bury the point.
        message = error.message if len(error.message) <= 160 else "violates %s %r" % (error.validator, error.validator_value)
        problems.append("%s%s: %s" % (what, " " + where if where else "", message))
    return sorted(problems)


def coerce(value, schema):
    """A query or path string as the type its schema declares; ValueError when it is not one."""
    kind = schema.get("type")
    if kind == "integer":
        if not re.fullmatch(r"-?[0-9]+", value):
            raise ValueError("%r is not an integer" % value)
        return int(value)
    if kind == "number":
        return float(value)
    if kind == "boolean":
        if value not in ("true", "false"):
            raise ValueError("%r is not a boolean (true/false)" % value)
        return value == "true"
    return value


def form_values(schema, fields):
    """A form body's fields as the types the schema declares (a form carries only text)."""
    properties = merged_properties(schema)
    values = {}
    for name, given in fields.items():
        value = given[-1]
        for prop in properties.get(name, []):
            try:
                value = coerce(value, prop)
            except ValueError:
                pass  # left as text: the schema check reports it
        values[name] = value
    return values


def media_type(value):
    return (value or "").split(";")[0].strip().lower()


class Operation:
    """One (method, path template) of a spec, with what a request to it must satisfy."""

    def __init__(self, method, template, operation_id, parameters, request_body, security, accept):
        self.method = method.upper()
        self.template = template
        self.operation_id = operation_id
        self.parameters = parameters        # resolved parameter objects
        self.request_body = request_body    # resolved requestBody or None
        self.security = security            # allowed Authorization schemes (None: no auth needed)
        self.accept = accept                # vendor media types of 2xx answers, to be asked for in Accept
        parts = []
        for segment in template.strip("/").split("/"):
            name = re.fullmatch(r"\{(\w+)\}", segment)
            parts.append("(?P<%s>[^/]+)" % name.group(1) if name else re.escape(segment))
        self.pattern = re.compile("^/" + "/".join(parts) + "$")
        # Literal segments first, so /groups/name/{x} wins over /groups/{a}/{b}.
        self.specificity = sum(1 for segment in template.split("/") if segment and not segment.startswith("{"))


def security_schemes(document, requirements, extra):
    """The Authorization schemes allowed by a list of security requirements (None: no auth)."""
    if not requirements or any(not requirement for requirement in requirements):
        return None
    declared = (document.get("components") or {}).get("securitySchemes") or {}
    schemes = set(extra)
    for requirement in requirements:
        for name in requirement:
            scheme = declared.get(name, {})
            if scheme.get("type") == "http":
                schemes.add(scheme.get("scheme", "").capitalize())
            elif scheme.get("type") in ("oauth2", "openIdConnect"):
                schemes.add("Bearer")
            elif scheme.get("type") == "apiKey" and scheme.get("in") == "header":
                schemes.add("header:" + scheme["name"].lower())
    return schemes


def token_operations(document):
    """OAuth2 client-credentials token endpoints named in securitySchemes, as operations.

    They are not paths of the spec. The request follows RFC 6749 section 4.4: a form body with
    grant_type=client_credentials, the client authenticated with HTTP Basic. The operation name an
    emulator must log for it is 'oauth2:<scheme name>'.
    """
    operations = []
    declared = (document.get("components") or {}).get("securitySchemes") or {}
    for name, scheme in declared.items():
        flow = (scheme.get("flows") or {}).get("clientCredentials") if scheme.get("type") == "oauth2" else None
        if not flow or not flow.get("tokenUrl"):
            continue
        body = {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
            "type": "object", "required": ["grant_type"],
            "properties": {"grant_type": {"type": "string", "enum": ["client_credentials"]}, "scope": {"type": "string"}}}}}}
        operations.append(Operation("post", urlsplit(flow["tokenUrl"]).path, "oauth2:" + name, [], body, {"Basic"}, set()))
    return operations


class SpecIndex:
    """Every operation of one provider's specs; check(entry) lists what a logged request gets wrong."""

    def __init__(self, documents):
        """documents: (parsed OpenAPI document, extra Authorization schemes, paths or None for all) triples."""
        self.operations = []
        for document, extra, paths in documents:
            self._add(document, set(extra), paths)
        self.operations.sort(key=lambda op: -op.specificity)

    def _add(self, document, extra, paths=None):
        for template, item in (document.get("paths") or {}).items():
            if paths is not None and template not in paths:
                continue
            shared = item.get("parameters", [])
            for method in METHODS:
                if method not in item:
                    continue
                spec_op = item[method]
                parameters = {}
                for parameter in resolve(document, shared + spec_op.get("parameters", [])):
                    parameters[(parameter["in"], parameter["name"])] = parameter  # operation-level wins
                requirements = spec_op.get("security", document.get("security"))
                accept = set()
                for status, response in resolve(document, spec_op.get("responses", {})).items():
                    types = set((response.get("content") or {}).keys())
                    if str(status).startswith("2") and types and not types & {"application/json", "*/*"}:
                        accept |= types
                self.operations.append(Operation(
                    method, template, spec_op.get("operationId"), list(parameters.values()),
                    resolve(document, spec_op["requestBody"]) if "requestBody" in spec_op else None,
                    security_schemes(document, requirements, extra), accept))
        if paths is None:
            self.operations.extend(token_operations(document))

    def match(self, method, path):
        """(operation, path params) or (None, methods the path allows)."""
        allowed = []
        for operation in self.operations:
            found = operation.pattern.match(path)
            if found and operation.method == method:
                return operation, {name: unquote(value) for name, value in found.groupdict().items()}
            if found:
                allowed.append(operation.method)
        return None, allowed

    def check(self, entry):
        """Problems of one logged request, each a short sentence."""
        method = entry["method"].upper()
        operation, found = self.match(method, entry["path"])
        if operation is None:
            if found:
                return ["the spec has no %s on this path (it has %s)" % (method, ", ".join(sorted(set(found))))]
            return ["no operation in the spec matches this path"]
        problems = []
        if entry.get("operation") != operation.operation_id:
            problems.append("logged as operation %r but the spec's operationId is %r" % (entry.get("operation"), operation.operation_id))
        problems += self._parameter_problems(operation, entry, found)
        problems += self._body_problems(operation, entry)
        problems += self._auth_problems(operation, entry)
        if operation.accept:
            accepted = {media_type(part) for part in (entry.get("headers") or {}).get("accept", "").split(",")}
            if not accepted & operation.accept:
                problems.append("Accept %r asks for none of %s" % ((entry.get("headers") or {}).get("accept"), sorted(operation.accept)))
        return problems

    @staticmethod
    def _parameter_problems(operation, entry, path_params):
        problems = []
        query = dict(entry.get("query") or {})
        headers = entry.get("headers") or {}
        for parameter in operation.parameters:
            name, where, schema = parameter["name"], parameter["in"], parameter.get("schema") or {}
            if where == "query":
                values = query.pop(name, None)
            elif where == "path":
                values = [path_params[name]] if name in path_params else None
            elif where == "header":
                values = [headers[name.lower()]] if name.lower() in headers else None
            else:
                continue
            if values is None:
                if parameter.get("required"):
                    problems.append("required %s parameter %r is missing" % (where, name))
                continue
            try:
                if schema.get("type") == "array":
                    value = [coerce(item, schema.get("items") or {}) for item in values]
                elif len(values) > 1:
                    problems.append("%s parameter %r is given %d times" % (where, name, len(values)))
                    continue
                else:
                    value = coerce(values[0], schema)
            except ValueError as exc:
                problems.append("%s parameter %r: %s" % (where, name, exc))
                continue
            problems += schema_problems(schema, value, "%s parameter %r" % (where, name))
        problems += ["query parameter %r is not declared for this operation" % name for name in sorted(query)]
        return problems

    @staticmethod
    def _body_problems(operation, entry):
        body = entry.get("body")
        declared = (operation.request_body or {}).get("content") or {}
        if body is None:
            if (operation.request_body or {}).get("required"):
                return ["the request body is required but none was sent"]
            return []
        if operation.request_body is None:
            return ["a body was sent but the operation takes none"]
        media = media_type(entry.get("content_type"))
        types = {media_type(name): content for name, content in declared.items()}
        if media not in types:
            return ["Content-Type %r is not one the spec declares (%s)" % (entry.get("content_type"), ", ".join(sorted(types)))]
        schema = types[media].get("schema") or {}
        if media == "application/x-www-form-urlencoded" and isinstance(body, str):
            body = form_values(schema, parse_qs(body, keep_blank_values=True))
        elif isinstance(body, str) and (media == "application/json" or media.endswith("+json")):
            return ["the body is not valid JSON"]
        return read_only_problems(schema, body) + schema_problems(schema, body, "body")

    @staticmethod
    def _auth_problems(operation, entry):
        schemes = operation.security
        if schemes is None:
            return []
        headers = entry.get("headers") or {}
        if any(scheme.startswith("header:") and scheme[7:] in headers for scheme in schemes):
            return []
        allowed = sorted(scheme for scheme in schemes if not scheme.startswith("header:"))
        sent = headers.get("authorization")
        if sent is None:
            # HTTP Digest starts with an unauthenticated request that draws the 401 challenge.
            if "Digest" in schemes and entry.get("status") == 401:
                return []
            return ["no Authorization header; the spec allows %s" % ", ".join(allowed)]
        if sent.split(" ")[0].lower() not in {scheme.lower() for scheme in allowed}:
            return ["Authorization scheme %r is not one the spec allows (%s)" % (sent.split(" ")[0], ", ".join(allowed))]
        return []


def load_index(specs_dir, provider):
    """The SpecIndex of every spec SPEC_TABLE lists for `provider`."""
    documents = [(load_spec(specs_dir / row[1]), row[2], row[3] if len(row) > 3 else None) for row in SPEC_TABLE
                 if row[0] == provider]
    return SpecIndex(documents)
