"""A stand-in for a company's identity provider (Okta, Microsoft Entra ID, ...): OAuth 2.0 client credentials.

Served on a port of its own (another origin than the vendor APIs), as a real identity provider is.
It issues JWT-shaped access tokens that Confluent's token exchange (tests/emulator/confluent.py)
accepts as subject tokens. RFC 6749 section 4.4 (client credentials grant) and 5.2 (error
responses); client authentication by client_secret_post (the credentials in the form body, as
Confluent's Terraform provider sends them) or client_secret_basic.
"""

import base64
import binascii
import json
import secrets
import time
from urllib.parse import parse_qsl

from .server import ControlError, Provider, Response

TOKEN_PATH = "/oauth2/v1/token"
TOKEN_OPERATION = "oauth2:clientCredentials"  # RFC 6749 section 4.4; no vendor spec describes it
DEFAULT_CLIENTS = {"emulator-idp-client": "emulator-idp-secret"}


def _b64(data):
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


class IdentityProvider(Provider):
    name = "idp"
    prefixes = ("/oauth2/",)
    own_port = True
    default_options = {
        "token_ttl": 3600,        # seconds an issued token lives (expires_in)
        "required_scope": None,   # a scope every request must ask for (as Entra ID's api://<id>/.default), or null
    }

    def route_table(self):
        return [("POST", TOKEN_PATH, TOKEN_OPERATION, self.issue_token)]

    def reset(self):
        super().reset()
        self.clients = dict(DEFAULT_CLIENTS)
        self.tokens = {}  # token -> {"client_id", "scope", "expires_at"}

    def configure(self, options):
        if "token_ttl" in options and not (isinstance(options["token_ttl"], (int, float)) and options["token_ttl"] > 0):
            raise ControlError("idp.token_ttl must be a positive number of seconds")
        super().configure(options)

    def set_credentials(self, credentials):
        if not isinstance(credentials, dict) or set(credentials) - {"clients"}:
            raise ControlError("idp credentials take clients {client_id: secret}")
        self.clients = dict(credentials.get("clients") or {})

    def dump(self, request):
        # The tokens too: tests check that none of them shows up in a module's output.
        return {"clients": sorted(self.clients), "tokens": sorted(self.tokens)}

    def error(self, request, status, code=None, detail=None, pointer=None, headers=None):
        # RFC 6749 section 5.2.
        return Response(status, {"error": code or "invalid_request", "error_description": detail or ""}, headers)

    def check_media_type(self, request):
        if request.media_type != "application/x-www-form-urlencoded":
            return self.error(request, 400, "invalid_request", "the token request must be a form body")
        return None

    def issue_token(self, request):
        form = dict(parse_qsl(request.text, keep_blank_values=True))
        if form.get("grant_type") != "client_credentials":
            return self.error(request, 400, "unsupported_grant_type", "only client_credentials is supported")
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = request.header("authorization", "")
        if basic.startswith("Basic "):
            try:
                client_id, _sep, secret = base64.b64decode(basic[6:]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                client_id = secret = None
        if not client_id or self.clients.get(client_id) != secret:
            return self.error(request, 401, "invalid_client", "Client authentication failed",
                              headers={"WWW-Authenticate": 'Basic realm="identity provider"'})
        scope = form.get("scope")
        if self.options["required_scope"] and scope != self.options["required_scope"]:
            return self.error(request, 400, "invalid_scope", "the scope %r is not allowed for this client; ask for %r"
                              % (scope, self.options["required_scope"]))
        now = time.time()
        ttl = self.options["token_ttl"]
        claims = {"iss": request.base_url, "sub": client_id, "aud": "confluent", "iat": int(now), "exp": int(now + ttl),
                  "jti": secrets.token_hex(8)}
        if scope:
            claims["scp"] = scope
        token = "%s.%s.%s" % (_b64({"alg": "RS256", "typ": "JWT"}), _b64(claims), secrets.token_urlsafe(16))
        self.tokens[token] = {"client_id": client_id, "scope": scope, "expires_at": now + ttl}
        return Response(200, {"access_token": token, "token_type": "Bearer", "expires_in": ttl})

    def token_info(self, token):
        """What the issuer knows of a token it issued and that is still valid, else None."""
        with self.lock:
            info = self.tokens.get(token)
            if info is None or info["expires_at"] <= time.time():
                return None
            return dict(info)
