"""The provider-neutral part of the emulator.

Routing, JSON helpers, the request log, latency, the rate limit, fault injection, the
control interface under /_emulator/ and TLS serving. Everything vendor-specific (paths,
auth, error bodies, headers, state) lives in one Provider subclass per API.
"""

import copy
import datetime
import http
import itertools
import json
import math
import random
import re
import socketserver
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, parse_qsl, unquote, urlencode, urlsplit

CONTROL_PREFIX = "/_emulator"
READ_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))
# With no rate limit configured, headers still describe a generous bucket: 10000 a minute.
UNLIMITED = {"per_second": 10000 / 60.0, "burst": 10000}
FAULT_ACTIONS = ("status", "drop", "drop_after_apply", "delay")
FAULT_MATCH_KEYS = ("provider", "method", "path", "operation", "body_contains", "writes_only")
# Request-body fields never written to the log, even though credentials normally travel in headers
# (OAuth token requests carry them in the form body: client secrets and the token to exchange).
SECRET_FIELD = re.compile(r"secret|password|^subject_token$|^access_token$", re.IGNORECASE)


def utc_now():
    """RFC 3339 timestamp in UTC, the way the vendor APIs print them."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ControlError(Exception):
    """A bad control request or seed item; answered with 400 and the message."""


class Reply(Exception):
    """Raised by a provider handler to answer at once with a prepared (error) response."""

    def __init__(self, response):
        super().__init__(response.status)
        self.response = response


class Response:
    """An answer: status, body (dict/list -> JSON, str, bytes or None) and extra headers."""

    def __init__(self, status, body=None, headers=None, content_type="application/json"):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.content_type = content_type

    def payload(self):
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body).encode("utf-8")


class Request:
    """One API request as a provider sees it."""

    def __init__(self, method, path, query, headers, raw_body, base_url):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.raw_body = raw_body
        self.base_url = base_url
        self.request_id = str(uuid.uuid4())
        self.params = {}
        self.text = raw_body.decode("utf-8", errors="replace")
        self.body = None
        self.body_error = False
        if self.text.strip():
            try:
                self.body = json.loads(self.text)
            except ValueError:
                self.body_error = True

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    @property
    def media_type(self):
        """The Content-Type without parameters, lower-case ('' when absent)."""
        return self.header("content-type", "").split(";")[0].strip().lower()

    def url(self, path, query=None):
        """An absolute URL on the host the client used."""
        return self.base_url + path + ("?" + urlencode(query) if query else "")


class Route:
    """(method, path template, operationId, handler); '{name}' segments become request.params."""

    def __init__(self, method, template, operation, handler):
        self.method = method.upper()
        self.template = template
        self.operation = operation
        self.handler = handler
        parts = []
        for segment in template.strip("/").split("/"):
            name = re.fullmatch(r"\{(\w+)\}", segment)
            parts.append("(?P<%s>[^/]+)" % name.group(1) if name else re.escape(segment))
        self.pattern = re.compile("^/" + "/".join(parts) + "$")


class RateState:
    """What the token bucket said about one request."""

    def __init__(self, allowed, limit, remaining, reset, retry_after):
        self.allowed = allowed
        self.limit = limit
        self.remaining = remaining
        self.reset = reset
        self.retry_after = retry_after


class TokenBucket:
    """A token bucket shared by all API requests; 'enforce' off only reports."""

    def __init__(self, per_second, burst, enforce):
        self.rate = float(per_second)
        self.capacity = float(burst)
        self.tokens = self.capacity
        self.stamp = time.monotonic()
        self.enforce = enforce
        self.lock = threading.Lock()

    def take(self):
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            allowed = self.tokens >= 1 or not self.enforce
            if allowed:
                self.tokens = max(0.0, self.tokens - 1)
            retry_after = max(1, math.ceil((1 - self.tokens) / self.rate))
            reset = math.ceil((self.capacity - self.tokens) / self.rate)
            return RateState(allowed, int(self.capacity), int(self.tokens), reset, retry_after)


class Provider:
    """Base class of one emulated API.

    A subclass sets `name`, `prefixes` (paths it owns, for 404/405 answers),
    `default_options`, returns its routes from route_table(), and implements
    reset(), error(), and where it makes sense authenticate(), set_credentials(),
    seed(), dump() and decorate(). Handlers run under the provider's lock.
    """

    name = None
    prefixes = ()
    default_options = {}
    # True: served on a port of its own (another origin, as an identity provider is), not on the API ports.
    own_port = False

    def __init__(self):
        self.peers = {}  # every provider by name, set by the Emulator: a token exchange asks the issuer
        self.lock = threading.RLock()
        self.routes = [Route(*row) for row in self.route_table()]
        self.options = {}
        self.reset()

    def route_table(self):
        """Rows of (method, path template, operationId, handler)."""
        return []

    def reset(self):
        """Back to empty state, default options and default credentials."""
        self.options = copy.deepcopy(self.default_options)

    def configure(self, options):
        if not isinstance(options, dict):
            raise ControlError("%s options must be an object" % self.name)
        unknown = sorted(set(options) - set(self.default_options))
        if unknown:
            raise ControlError("unknown %s options: %s (known: %s)" % (self.name, unknown, sorted(self.default_options)))
        self.options.update(options)

    def set_credentials(self, credentials):
        raise ControlError("%s has no configurable credentials" % self.name)

    def seed(self, request, data):
        raise ControlError("%s cannot be seeded" % self.name)

    def dump(self, request):
        return {}

    def owns(self, path):
        return any(path.startswith(prefix) for prefix in self.prefixes)

    def error(self, request, status, code=None, detail=None, pointer=None, headers=None):
        """The vendor's error response; subclasses produce their own body shape."""
        body = {"status": status, "code": code, "detail": detail or http.HTTPStatus(status).phrase}
        return Response(status, body, headers)

    def authenticate(self, request):
        """None when the credentials are accepted, else the error response."""
        return None

    def check_media_type(self, request):
        """415 unless a request body is JSON; a provider with vendor media types overrides this."""
        if request.raw_body and request.media_type != "application/json":
            return self.error(request, 415, detail="Content-Type must be application/json, not %r" % request.header("content-type"))
        return None

    def dispatch(self, request, route):
        denied = self.authenticate(request) or self.check_media_type(request)
        if denied is not None:
            return denied
        try:
            with self.lock:
                return route.handler(request)
        except Reply as reply:
            return reply.response

    def decorate(self, request, response, rate):
        """Add the vendor's per-response headers (request id, rate-limit headers)."""


class Emulator:
    """Holds the providers, configuration, faults and request log; serves requests."""

    def __init__(self, providers, log_file=None):
        self.providers = {provider.name: provider for provider in providers}
        for provider in providers:
            provider.peers = self.providers
        self.lock = threading.Lock()
        self.seq = 0
        self.fault_ids = itertools.count(1)
        self.log_file = open(log_file, "a", encoding="utf-8") if log_file else None  # pylint: disable=consider-using-with
        self.reset()

    # -- state ------------------------------------------------------------

    def reset(self):
        with self.lock:
            self.config = {"latency_ms": 0, "rate_limit": None, "seed": None}
            self.rng = random.Random()
            self.bucket = TokenBucket(UNLIMITED["per_second"], UNLIMITED["burst"], enforce=False)
            self.faults = []
            self.log = []
        for provider in self.providers.values():
            with provider.lock:
                provider.reset()

    def configure(self, body):
        if not isinstance(body, dict):
            raise ControlError("config must be an object")
        for key, value in body.items():
            if key == "latency_ms":
                if not isinstance(value, (int, float)) or value < 0:
                    raise ControlError("latency_ms must be a number >= 0")
                self.config[key] = value
            elif key == "rate_limit":
                self.bucket = self._bucket(value)
                self.config[key] = value
            elif key == "seed":
                # Makes probabilistic faults reproducible.
                self.rng = random.Random(value)
                self.config[key] = value
            elif key in self.providers:
                provider = self.providers[key]
                with provider.lock:
                    provider.configure(value)
            else:
                raise ControlError("unknown config key %r" % key)
        return self.get_config()

    @staticmethod
    def _bucket(value):
        if value is None:
            return TokenBucket(UNLIMITED["per_second"], UNLIMITED["burst"], enforce=False)
        if not isinstance(value, dict) or not isinstance(value.get("per_second"), (int, float)) or value["per_second"] <= 0:
            raise ControlError("rate_limit must be null or {per_second: > 0, burst: >= 1}")
        burst = value.get("burst", value["per_second"])
        if not isinstance(burst, (int, float)) or burst < 1:
            raise ControlError("rate_limit.burst must be >= 1")
        return TokenBucket(value["per_second"], burst, enforce=True)

    def get_config(self):
        config = dict(self.config)
        for name, provider in self.providers.items():
            config[name] = copy.deepcopy(provider.options)
        return config

    def add_fault(self, body):
        if not isinstance(body, dict):
            raise ControlError("a fault must be an object")
        match = body.get("match") or {}
        action = body.get("action")
        count = body.get("count")
        probability = body.get("probability")
        if not isinstance(match, dict) or set(match) - set(FAULT_MATCH_KEYS):
            raise ControlError("match keys must be among %s" % (FAULT_MATCH_KEYS,))
        if "path" in match:
            try:
                re.compile(match["path"])
            except re.error as exc:
                raise ControlError("bad path regex: %s" % exc) from exc
        if not isinstance(action, dict) or action.get("type") not in FAULT_ACTIONS:
            raise ControlError("action.type must be one of %s" % (FAULT_ACTIONS,))
        if action["type"] == "status" and not isinstance(action.get("status"), int):
            raise ControlError("a status action needs an integer status")
        if action["type"] == "delay" and not isinstance(action.get("seconds"), (int, float)):
            raise ControlError("a delay action needs seconds")
        if count is not None and (not isinstance(count, int) or count < 1):
            raise ControlError("count must be null or an integer >= 1")
        if probability is not None and not (isinstance(probability, (int, float)) and 0 <= probability <= 1):
            raise ControlError("probability must be between 0 and 1")
        rule = {"id": next(self.fault_ids), "match": match, "action": action, "count": count,
                "probability": probability, "fired": 0}
        with self.lock:
            self.faults.append(rule)
        return rule

    def take_fault(self, request, provider, route):
        """The first rule that matches and fires; its count is consumed."""
        with self.lock:
            for rule in self.faults:
                if rule["count"] == 0 or not self._matches(rule["match"], request, provider, route):
                    continue
                if rule["probability"] is not None and self.rng.random() >= rule["probability"]:
                    continue
                if rule["count"] is not None:
                    rule["count"] -= 1
                rule["fired"] += 1
                return rule["action"]
        return None

    @staticmethod
    def _matches(match, request, provider, route):
        if "provider" in match and (provider is None or provider.name != match["provider"]):
            return False
        if "method" in match and request.method != match["method"].upper():
            return False
        if "path" in match and not re.search(match["path"], request.path):
            return False
        if "operation" in match and (route is None or route.operation != match["operation"]):
            return False
        if "body_contains" in match and match["body_contains"] not in request.text:
            return False
        if match.get("writes_only") and request.method in READ_METHODS:
            return False
        return True

    def record(self, entry):
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.log.append(entry)
            if self.log_file:
                self.log_file.write(json.dumps(entry, sort_keys=True) + "\n")
                self.log_file.flush()

    def close(self):
        if self.log_file:
            self.log_file.close()

    # -- API requests -----------------------------------------------------

    def resolve(self, method, path, served=None):
        """(provider, route, path params, methods allowed on the path), among the ``served`` providers."""
        owner, allowed = None, []
        for provider in self.providers.values():
            if served is not None and provider.name not in served:
                continue
            for route in provider.routes:
                found = route.pattern.match(path)
                if not found:
                    continue
                if route.method == method:
                    return provider, route, {k: unquote(v) for k, v in found.groupdict().items()}, []
                owner = owner or provider
                allowed.append(route.method)
            if owner is None and provider.owns(path):
                owner = provider
        return owner, None, {}, allowed

    def serve(self, handler):
        split = urlsplit(handler.path)
        raw = handler.read_body()
        if split.path == CONTROL_PREFIX or split.path.startswith(CONTROL_PREFIX + "/"):
            handler.respond(self.control(handler, split, raw))
            return
        headers = {name.lower(): value for name, value in handler.headers.items()}
        request = Request(handler.command, split.path, parse_qs(split.query, keep_blank_values=True),
                          headers, raw, handler.base_url())
        provider, route, request.params, allowed = self.resolve(request.method, request.path, handler.server.providers)

        if self.config["latency_ms"]:
            time.sleep(self.config["latency_ms"] / 1000.0)
        rate = self.bucket.take()
        action = None
        if not rate.allowed:
            response = self._error(request, provider, 429, detail="Rate limit exceeded; retry later")
            response.headers["Retry-After"] = str(rate.retry_after)
            rate.reset = rate.retry_after
        else:
            action = self.take_fault(request, provider, route)
            response = self._answer(request, provider, route, allowed, action, rate)
        if response is not None and provider is not None:
            provider.decorate(request, response, rate)

        fault = None
        if action:
            fault = "status:%s" % action["status"] if action["type"] == "status" else action["type"]
        self.record(self._entry(request, provider, route, response, fault))
        if response is None:
            handler.drop()
        else:
            handler.respond(response)

    def _answer(self, request, provider, route, allowed, action, rate):
        kind = action["type"] if action else None
        if kind == "drop":
            return None
        if kind == "status":
            response = self._error(request, provider, action["status"], action.get("code"), action.get("message"))
            if action.get("retry_after") is not None:
                response.headers["Retry-After"] = str(action["retry_after"])
                rate.remaining, rate.reset = 0, action["retry_after"]
            return response
        if kind == "delay":
            time.sleep(action["seconds"])
        response = self._handle(request, provider, route, allowed)
        # drop_after_apply: the state change happened, the answer is lost.
        return None if kind == "drop_after_apply" else response

    def _handle(self, request, provider, route, allowed):
        if provider is None:
            return Response(404, {"error": "no emulated API serves %s" % request.path})
        if route is None:
            if allowed:
                return provider.error(request, 405, detail="Method %s is not allowed on %s" % (request.method, request.path),
                                      headers={"Allow": ", ".join(sorted(set(allowed)))})
            return provider.error(request, 404, detail="No resource at %s" % request.path)
        try:
            return provider.dispatch(request, route)
        except Exception:  # a bug in the emulator must still answer, visibly
            traceback.print_exc(file=sys.stderr)
            return provider.error(request, 500, detail="emulator error: %s" % traceback.format_exc(limit=1).strip())

    @staticmethod
    def _error(request, provider, status, code=None, detail=None):
        if provider is None:
            return Response(status, {"error": detail or http.HTTPStatus(status).phrase})
        return provider.error(request, status, code, detail)

    @staticmethod
    def _entry(request, provider, route, response, fault):
        headers = dict(request.headers)
        if "authorization" in headers:
            # Only the scheme: the log is kept on disk and must never hold credentials.
            headers["authorization"] = headers["authorization"].split(" ")[0]
        return {
            "seq": None,
            "time": utc_now(),
            "provider": provider.name if provider else None,
            "operation": route.operation if route else None,
            "method": request.method,
            "path": request.path,
            "query": request.query,
            "headers": headers,
            "content_type": request.header("content-type"),
            "body": _loggable_body(request),
            "status": response.status if response is not None else None,
            "request_id": request.request_id,
            "fault": fault,
        }

    # -- control interface ------------------------------------------------

    def control(self, handler, split, raw):
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return Response(400, {"error": "control requests take a JSON body"})
        parts = split.path[len(CONTROL_PREFIX):].strip("/").split("/")
        request = Request(handler.command, split.path, {}, {}, b"", handler.base_url())
        try:
            return self._control(handler.command, parts, parse_qs(split.query), body, request)
        except ControlError as exc:
            return Response(400, {"error": str(exc)})

    def _control(self, method, parts, query, body, request):
        target = (method, parts[0])
        if target == ("GET", "health"):
            return Response(200, {"providers": sorted(self.providers)})
        if target == ("POST", "reset"):
            self.reset()
            return Response(200, {"reset": True})
        if target == ("GET", "requests"):
            try:
                since = int(query.get("since", ["0"])[0] or 0)
            except ValueError:
                raise ControlError("since must be an integer") from None
            with self.lock:
                return Response(200, {"requests": [entry for entry in self.log if entry["seq"] > since]})
        if target == ("DELETE", "requests"):
            with self.lock:
                self.log = []
            return Response(200, {"requests": []})
        if target == ("GET", "config"):
            return Response(200, self.get_config())
        if target == ("POST", "config"):
            return Response(200, self.configure(body))
        if target == ("GET", "faults"):
            with self.lock:
                return Response(200, {"faults": copy.deepcopy(self.faults)})
        if target == ("POST", "faults"):
            return Response(200, self.add_fault(body))
        if target == ("DELETE", "faults"):
            with self.lock:
                self.faults = []
            return Response(200, {"faults": []})
        if target == ("POST", "credentials"):
            for name, credentials in body.items():
                provider = self._provider(name)
                with provider.lock:
                    provider.set_credentials(credentials)
            return Response(200, {"credentials": sorted(body)})
        if target in (("POST", "seed"), ("GET", "state")) and len(parts) == 2:
            provider = self._provider(parts[1])
            with provider.lock:
                if method == "POST":
                    return Response(200, provider.seed(request, body))
                return Response(200, provider.dump(request))
        return Response(404, {"error": "unknown control request %s %s" % (method, "/".join(parts))})

    def _provider(self, name):
        if name not in self.providers:
            raise ControlError("unknown provider %r (known: %s)" % (name, sorted(self.providers)))
        return self.providers[name]

    # -- serving ----------------------------------------------------------

    def make_server(self, host, port, ssl_context=None, providers=None):
        """A server on one port; ``providers`` are the names it serves (default: every API not on a port of its own)."""
        if providers is None:
            providers = [name for name, provider in self.providers.items() if not provider.own_port]
        return _Server((host, port), self, ssl_context, frozenset(providers))


def _loggable_body(request):
    """Parsed JSON or raw text, with secret-looking fields masked."""
    if request.body is not None:
        return _mask(request.body)
    if not request.text:
        return None
    if request.media_type == "application/x-www-form-urlencoded":
        pairs = parse_qsl(request.text, keep_blank_values=True)
        return urlencode([(k, "***" if SECRET_FIELD.search(k) else v) for k, v in pairs])
    return request.text


def _mask(value):
    if isinstance(value, dict):
        return {k: "***" if SECRET_FIELD.search(str(k)) else _mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(item) for item in value]
    return value


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as clients with sessions expect
    # Headers and body leave as separate writes: without this, delayed ACKs add ~40 ms to each answer.
    disable_nagle_algorithm = True
    server_version = "sso-mappings-emulator"
    timeout = 120  # idle keep-alive connections do not hold a thread for ever

    def do_GET(self):
        self.server.emulator.serve(self)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def base_url(self):
        host = self.headers.get("Host") or "%s:%s" % self.server.server_address[:2]
        return "%s://%s" % (self.server.scheme, host)

    def read_body(self):
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return self.rfile.read(length) if length > 0 else b""

    def respond(self, response):
        payload = response.payload()
        try:
            self.send_response(response.status)
            if response.status not in (204, 304):
                if payload:
                    self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, str(value))
            self.end_headers()
            if response.status not in (204, 304):
                self.wfile.write(payload)
        except OSError:
            # The client gave up (e.g. its timeout was shorter than a delay fault).
            self.close_connection = True

    def drop(self):
        """Close the connection without a single byte of response."""
        self.close_connection = True

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Quiet: the request log is the record."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, emulator, ssl_context=None, providers=None):
        self.emulator = emulator
        self.providers = providers
        self.scheme = "https" if ssl_context else "http"
        super().__init__(address, _Handler)
        if ssl_context:
            # The handshake then runs in the request thread, not in the accept loop.
            self.socket = ssl_context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def server_bind(self):
        # HTTPServer.server_bind does a reverse DNS lookup; skipping it keeps start-up fast.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address):
        # Broken connections and failed TLS handshakes are the client's business.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)
