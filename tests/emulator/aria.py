"""VMware Aria Suite Lifecycle (vRSLCM) authentication groups and their roles (/lcm/authzn).

Follows shared/specs/aria-suite-lifecycle-authzn-groups-reconstructed.yaml, an UNOFFICIAL
reconstruction: paths, operationIds, GroupRequestDTO / GroupDTO / RoleDTO shapes and the
GenericErrorResponseDTO error body. What the reconstruction leaves open (a create that answers
201 with the group or 200 with nothing, an update or delete that answers 200 with the group or
204, a look-up by name that finds nothing answering 404 or an empty array) is configurable, so
that clients can be tested against every variant.
"""

import base64
import binascii
import http
import uuid

from .server import ControlError, Provider, Reply, Response

ROOT = "/lcm/authzn/api"
GROUPS_V1 = ROOT + "/groups"
GROUPS = ROOT + "/v2/groups"
ROLES = ROOT + "/v2/roles/external"
REALM = 'Basic realm="VMware Aria Suite Lifecycle"'

# The default external roles: the names Aria Suite Lifecycle 8.x documents on its User Management
# page (LCM Cloud Admin, Content Developer, Content Release Manager, Certificate Administrator),
# plus LCM Admin and VCF Role, which VMware's PowerShell module (Add-vRSLCMGroup) assigns. The
# roleName holds that display name, as Add-vRSLCMGroup matches it; vmids and descriptions are ours.
DEFAULT_ROLES = (
    ("LCM Cloud Admin", "cbadd457-f8a8-4666-8905-783876ecad41", "Cloud administrator for Suite Lifecycle"),
    ("LCM Admin", "b5e27e25-f4c7-4996-8622-663dc205ef4f", "Suite Lifecycle administrator (converged into LCM Cloud Admin in 8.2)"),
    ("Content Release Manager", "9ea1033c-cf01-4fdd-9975-ce0b1e2763f7", "Releases content to endpoints"),
    ("Content Developer", "2e23702a-acbf-4970-af71-b58f3ac013ac", "Develops and captures content"),
    ("Certificate Administrator", "8e1e08eb-014f-43f6-b9ff-e66053b57bca", "Performs certificate operations"),
    ("VCF Role", "5b0e6f2a-3c1d-4e8f-9a7b-2d4c6e8f0a1b", "Role for VMware Cloud Foundation administrators"),
)
DEFAULT_USERS = {"admin@local": "emulator-password"}
# Authenticates, but lacks the administrator role: 403 on every write.
DEFAULT_READ_ONLY_USERS = {"auditor@local": "emulator-auditor-password"}

# GroupRequestDTO: field -> accepted JSON type(s).
REQUEST_FIELDS = {"displayName": str, "domain": str, "mappedRoles": list, "groupType": str, "isDisabled": bool,
                  "providerIdentifier": str, "groupMetadata": dict}
METADATA_FIELDS = {"distinguishedName": str, "externalId": str, "additionalMeta": list}

# errorCode and errorLabel per status, in the style of the portal's example (LCM_..._ERROR0000).
ERRORS = {
    400: ("LCM_AUTHZN_BAD_REQUEST_ERROR0400", "Bad Request!"),
    404: ("LCM_AUTHZN_NOT_FOUND_ERROR0404", "Not Found!"),
    405: ("LCM_AUTHZN_METHOD_NOT_ALLOWED_ERROR0405", "Method Not Allowed!"),
    409: ("LCM_AUTHZN_GROUP_EXISTS_ERROR0409", "Group Already Exists!"),
    415: ("LCM_AUTHZN_UNSUPPORTED_MEDIA_TYPE_ERROR0415", "Unsupported Media Type!"),
    429: ("LCM_AUTHZN_TOO_MANY_REQUESTS_ERROR0429", "Too Many Requests!"),
    500: ("LCM_AUTHZN_INTERNAL_ERROR0500", "Internal Server Error!"),
    502: ("LCM_AUTHZN_BAD_GATEWAY_ERROR0502", "Bad Gateway!"),
    503: ("LCM_AUTHZN_SERVICE_UNAVAILABLE_ERROR0503", "Service Unavailable!"),
}
RECOMMENDATIONS = {
    400: ["Check the request body against GroupRequestDTO.",
          "Take role vmids from GET /lcm/authzn/api/v2/roles/external."],
    404: ["Check the identifier; list the groups with GET /lcm/authzn/api/groups."],
    409: ["Update the existing group instead of adding it again."],
    429: ["Retry the request later."],
}
DEFAULT_RECOMMENDATION = ["Retry the operation; if the problem persists, check the Suite Lifecycle logs."]


class AriaProvider(Provider):
    name = "aria"
    prefixes = ("/lcm/",)
    default_options = {
        "create_answer": "201",     # "201": 201 with the GroupDTO; "200-empty": 200 without a body
        "update_answer": "200",     # "200": 200 with the GroupDTO; "204": no content (PATCH and PUT)
        "delete_answer": "200",     # "200": 200 with the deleted GroupDTO; "204": no content
        "missing_name": "404",      # look-up by name that finds nothing: "404" with the error body, or "empty" (200 [])
        "authzn_api": "served",     # "retired": the appliance of VCF 9.1 serves no /lcm/authzn (404 for every path)
        "display_name_format": "name",  # "name@domain": answers write a group's displayName as <name>@<domain>
        "name_lookup": "exact",     # the look-up by name matches the displayName as answers show it; "both": also
                                    # the other spelling (<name> for <name>@<domain> of the group's domain, and back)
    }
    CHOICES = {"create_answer": ("201", "200-empty"), "update_answer": ("200", "204"),
               "delete_answer": ("200", "204"), "missing_name": ("404", "empty"),
               "authzn_api": ("served", "retired"), "display_name_format": ("name", "name@domain"),
               "name_lookup": ("exact", "both")}

    def route_table(self):
        return [
            ("GET", ROLES, "getAllExternalRolesV2UsingGET", self.list_roles),
            ("GET", GROUPS_V1, "listAllGroupsV1", self.list_groups),
            ("GET", GROUPS + "/name/{displayName}", "getGroupsByDisplayNameV2UsingGET", self.groups_by_name),
            ("GET", GROUPS + "/providers/{providerVmid}", "listGroupsByProviderVmid", self.groups_by_provider),
            ("POST", GROUPS, "createGroupV2UsingPOST", self.create_group),
            ("PATCH", GROUPS + "/{vmid}", "updateGroupByIdV2UsingPATCH", self.update_group),
            ("PUT", GROUPS + "/{vmid}", "updateGroupByIdV2UsingPUT", self.update_group),
            ("DELETE", GROUPS + "/{vmid}", "deleteGroupByIdV2UsingDELETE", self.delete_group),
        ]

    def reset(self):
        super().reset()
        self.roles = [{"roleName": name, "roleDescription": description, "vmid": vmid}
                      for name, vmid, description in DEFAULT_ROLES]
        self.groups = {}  # vmid -> stored record, in creation order
        self.users = dict(DEFAULT_USERS)
        self.read_only_users = dict(DEFAULT_READ_ONLY_USERS)

    def configure(self, options):
        for name, choices in self.CHOICES.items():
            if name in options and options[name] not in choices:
                raise ControlError("aria.%s must be one of %s" % (name, ", ".join(choices)))
        super().configure(options)

    def set_credentials(self, credentials):
        if not isinstance(credentials, dict) or set(credentials) - {"users", "read_only_users"}:
            raise ControlError("aria credentials take users {name: password} and read_only_users {name: password}")
        # Each kind given replaces that kind entirely.
        if "users" in credentials:
            self.users = dict(credentials["users"] or {})
        if "read_only_users" in credentials:
            self.read_only_users = dict(credentials["read_only_users"] or {})

    # -- vendor conventions -----------------------------------------------

    def error(self, request, status, code=None, detail=None, pointer=None, headers=None, recommendations=None):
        if status in (401, 403):
            # The appliance answers these from its security filter: no body at all.
            headers = dict(headers or {})
            if status == 401:
                headers.setdefault("WWW-Authenticate", REALM)
            return Response(status, None, headers)
        default_code, label = ERRORS.get(status, ("LCM_AUTHZN_ERROR%04d" % status, http.HTTPStatus(status).phrase + "!"))
        body = {
            "errorCode": code or default_code,
            "errorLabel": label,
            "message": detail or http.HTTPStatus(status).phrase,
            "recommendations": list(recommendations or RECOMMENDATIONS.get(status, DEFAULT_RECOMMENDATION)),
        }
        return Response(status, body, headers)

    def fail(self, request, status, message, code=None, recommendations=None):
        return Reply(self.error(request, status, code, message, recommendations=recommendations))

    def dispatch(self, request, route):
        if self.options["authzn_api"] == "retired":
            # VCF 9.1 replaces the appliance and this API (Broadcom KB 424807): nothing answers these paths, so
            # no authentication and no error body of the API; what a retired address answers is our choice.
            return Response(404, None)
        return super().dispatch(request, route)

    def authenticate(self, request):
        scheme, sep, value = request.header("authorization", "").partition(" ")
        user = password = None
        if sep and scheme.lower() == "basic":
            try:
                user, colon, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                colon = ""
            if not colon:
                user = None
        if user is not None and self.users.get(user) == password and user in self.users:
            return None
        if user is not None and user in self.read_only_users and self.read_only_users[user] == password:
            if request.method in ("GET", "HEAD", "OPTIONS"):
                return None
            return self.error(request, 403)
        return self.error(request, 401)

    # -- objects ----------------------------------------------------------

    def _role(self, reference):
        """The RoleDTO with this vmid, or None."""
        for role in self.roles:
            if reference == role["vmid"]:
                return role
        return None

    def _shown_name(self, record):
        """The displayName an answer carries: as stored, or with "@<domain>" as VMware's PowerShell module shows it."""
        if self.options["display_name_format"] == "name@domain":
            return "%s@%s" % (record["displayName"], record["domain"])
        return record["displayName"]

    def _stored_name(self, display_name, domain):
        """With display_name_format name@domain the appliance holds the bare name: "<name>@<domain>" sent in
        that domain names the group <name>."""
        suffix = "@" + (domain or "")
        if (self.options["display_name_format"] == "name@domain" and isinstance(display_name, str)
                and len(display_name) > len(suffix) and display_name.lower().endswith(suffix.lower())):
            return display_name[:-len(suffix)]
        return display_name

    def _lookup_names(self, record):
        """The names the look-up by name finds a group by, in lower case: the displayName as answers show it, and
        with name_lookup both also the other spelling, <name> and <name>@<domain> alike."""
        shown = self._shown_name(record).lower()
        if self.options["name_lookup"] == "exact":
            return {shown}
        suffix = "@" + record["domain"].lower()
        bare = shown[:-len(suffix)] if len(shown) > len(suffix) and shown.endswith(suffix) else shown
        return {bare, bare + suffix}

    def _render(self, record):
        metadata = record.get("groupMetadata")
        if metadata is not None:
            metadata = {name: metadata.get(name) for name in METADATA_FIELDS}
        return {
            "vmid": record["vmid"],
            "displayName": self._shown_name(record),
            "domain": record["domain"],
            "groupType": record.get("groupType"),
            "isDisabled": bool(record.get("isDisabled", False)),
            "providerIdentifier": record.get("providerIdentifier"),
            "groupMetadata": metadata,
            "roleMappings": [dict(self._role(vmid)) for vmid in record["mappedRoles"]],
        }

    def _find(self, request):
        record = self.groups.get(request.params["vmid"])
        if record is None:
            raise self.fail(request, 404, "Group with vmid %s not found" % request.params["vmid"],
                            code="LCM_AUTHZN_GROUP_NOT_FOUND_ERROR0404")
        return record

    def _clash(self, display_name, domain, other_than=None):
        for record in self.groups.values():
            if (record["vmid"] != other_than and record["displayName"].lower() == display_name.lower()
                    and record["domain"].lower() == domain.lower()):
                return record
        return None

    def _fields(self, request, create):
        """The GroupRequestDTO of a body, checked like a strict service would check it."""
        body = request.body
        if request.body_error or not isinstance(body, dict):
            raise self.fail(request, 400, "The request body must be a GroupRequestDTO JSON object")
        for name, value in body.items():
            if name not in REQUEST_FIELDS:
                raise self.fail(request, 400, "Unrecognized field \"%s\" (known: %s)" % (name, ", ".join(REQUEST_FIELDS)))
            if value is not None and not isinstance(value, REQUEST_FIELDS[name]):
                raise self.fail(request, 400, "Field \"%s\" must be of type %s" % (name, REQUEST_FIELDS[name].__name__))
        for name in ("displayName", "domain"):
            if name in body and (body[name] is None or not body[name].strip()):
                raise self.fail(request, 400, "Field \"%s\" must not be empty" % name)
            if create and name not in body:
                raise self.fail(request, 400, "Field \"%s\" is required" % name)
        metadata = body.get("groupMetadata")
        if metadata is not None:
            for name, value in metadata.items():
                if name not in METADATA_FIELDS:
                    raise self.fail(request, 400, "Unrecognized field \"groupMetadata.%s\"" % name)
                if value is not None and not isinstance(value, METADATA_FIELDS[name]):
                    raise self.fail(request, 400, "Field \"groupMetadata.%s\" must be of type %s"
                                    % (name, METADATA_FIELDS[name].__name__))
        roles = body.get("mappedRoles")
        if roles is not None:
            for role in roles:
                if not isinstance(role, str) or self._role(role) is None:
                    raise self.fail(request, 400, "Role %r in mappedRoles does not exist" % (role,),
                                    code="LCM_AUTHZN_INVALID_ROLE_ERROR0400",
                                    recommendations=["mappedRoles takes role vmids from "
                                                     "GET /lcm/authzn/api/v2/roles/external, not role names."])
        return body

    def _store(self, fields, vmid=None):
        record = {"vmid": vmid or str(uuid.uuid4()), "displayName": fields["displayName"], "domain": fields["domain"],
                  "mappedRoles": []}
        self._apply(record, fields)
        self.groups[record["vmid"]] = record
        return record

    def _apply(self, record, fields):
        for name, value in fields.items():
            if name == "displayName":
                record[name] = self._stored_name(value, fields.get("domain", record["domain"]))
            elif name == "mappedRoles":
                # The given list replaces the role set; duplicates collapse, order is kept.
                record["mappedRoles"] = list(dict.fromkeys(value or []))
            elif name == "groupMetadata":
                record["groupMetadata"] = dict(value) if value is not None else None
            else:
                record[name] = value

    # -- handlers ---------------------------------------------------------

    def list_roles(self, request):
        return Response(200, [dict(role) for role in self.roles])

    def list_groups(self, request):
        return Response(200, [self._render(record) for record in self.groups.values()])

    def groups_by_name(self, request):
        wanted = request.params["displayName"].lower()
        found = [self._render(r) for r in self.groups.values() if wanted in self._lookup_names(r)]
        if not found and self.options["missing_name"] == "404":
            raise self.fail(request, 404, "No group with display name %s" % request.params["displayName"],
                            code="LCM_AUTHZN_GROUP_NOT_FOUND_ERROR0404")
        return Response(200, found)

    def groups_by_provider(self, request):
        wanted = request.params["providerVmid"]
        return Response(200, [self._render(r) for r in self.groups.values() if r.get("providerIdentifier") == wanted])

    def create_group(self, request):
        fields = self._fields(request, create=True)
        clash = self._clash(self._stored_name(fields["displayName"], fields["domain"]), fields["domain"])
        if clash is not None:
            raise self.fail(request, 409, "Group %s@%s already exists (vmid %s)"
                            % (clash["displayName"], clash["domain"], clash["vmid"]))
        record = self._store(fields)
        if self.options["create_answer"] == "200-empty":
            return Response(200)
        return Response(201, self._render(record))

    def update_group(self, request):
        record = self._find(request)
        fields = self._fields(request, create=False)
        domain = fields.get("domain", record["domain"])
        clash = self._clash(self._stored_name(fields.get("displayName", record["displayName"]), domain), domain,
                            other_than=record["vmid"])
        if clash is not None:
            raise self.fail(request, 409, "Group %s@%s already exists (vmid %s)"
                            % (clash["displayName"], clash["domain"], clash["vmid"]))
        self._apply(record, fields)
        if self.options["update_answer"] == "204":
            return Response(204)
        return Response(200, self._render(record))

    def delete_group(self, request):
        record = self.groups.pop(self._find(request)["vmid"])
        if self.options["delete_answer"] == "204":
            return Response(204)
        return Response(200, self._render(record))

    # -- control ----------------------------------------------------------

    def seed(self, request, data):
        if not isinstance(data, dict) or set(data) - {"groups"}:
            raise ControlError("aria seeds take groups")
        created = []
        for item in data.get("groups") or []:
            # No validation beyond the shape, so tests can plant what the API would refuse
            # (e.g. two groups with one name and domain); roles may be given by name or vmid.
            if (not isinstance(item, dict) or not item.get("displayName") or not item.get("domain")
                    or set(item) - set(REQUEST_FIELDS) - {"vmid"}):
                raise ControlError("a seeded group needs displayName and domain and takes vmid, %s"
                                   % ", ".join(REQUEST_FIELDS))
            if item.get("vmid") in self.groups:
                raise ControlError("group %s exists" % item["vmid"])
            fields = dict(item)
            fields.pop("vmid", None)
            vmids = []
            for reference in fields.get("mappedRoles") or []:
                role = self._role(reference) or next((r for r in self.roles if r["roleName"] == reference), None)
                if role is None:
                    raise ControlError("unknown role %r (known: %s)" % (reference, ", ".join(r["roleName"] for r in self.roles)))
                vmids.append(role["vmid"])
            fields["mappedRoles"] = vmids
            created.append(self._render(self._store(fields, item.get("vmid"))))
        return {"groups": created}

    def dump(self, request):
        return {"groups": [self._render(record) for record in self.groups.values()],
                "roles": [dict(role) for role in self.roles]}
