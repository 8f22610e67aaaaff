"""Talk to a running emulator's control interface, or start one (standard library only)."""

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent.parent
READ_METHODS = ("GET", "HEAD", "OPTIONS")


class EmulatorClient:
    """The control interface under /_emulator/ of the emulator at `url`."""

    def __init__(self, url, timeout=10):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.url + "/_emulator/" + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise RuntimeError("emulator control %s %s failed: %s %s" % (method, path, exc.code, exc.read().decode())) from exc

    def reset(self):
        """Empty state, no faults, default config and credentials, empty request log."""
        self._call("POST", "reset")

    def requests(self, since=None):
        """Logged API requests (oldest first), optionally only those with seq > since."""
        query = "" if since is None else "?since=%d" % since
        return self._call("GET", "requests" + query)["requests"]

    def writes(self, since=None):
        """Logged requests that could change state (everything but GET/HEAD/OPTIONS)."""
        return [entry for entry in self.requests(since) if entry["method"] not in READ_METHODS]

    def clear_requests(self):
        self._call("DELETE", "requests")

    def config(self, **options):
        """Merge options (latency_ms, rate_limit, seed, <provider>={...}); returns the whole config."""
        if not options:
            return self._call("GET", "config")
        return self._call("POST", "config", options)

    def fault(self, action, match=None, count=None, probability=None):
        """Add a fault rule; count None fires for ever. Returns the rule id."""
        rule = {"match": match or {}, "action": action, "count": count}
        if probability is not None:
            rule["probability"] = probability
        return self._call("POST", "faults", rule)["id"]

    def faults(self):
        """The rules with their remaining count and how often each fired."""
        return self._call("GET", "faults")["faults"]

    def clear_faults(self):
        self._call("DELETE", "faults")

    def credentials(self, provider, **credentials):
        """Replace the given kinds of accepted credentials, e.g. api_keys={...}."""
        self._call("POST", "credentials", {provider: credentials})

    def seed(self, provider, **collections):
        """Create objects directly, e.g. seed("confluent", group_mappings=[...]); returns them in API shape."""
        return self._call("POST", "seed/" + provider, collections)

    def state(self, provider):
        """Everything the provider holds, in API shape."""
        return self._call("GET", "state/" + provider)


class RunningEmulator:
    """Endpoints of an emulator started by start_emulator()."""

    def __init__(self, info, process):
        self.http = info["http"]
        self.https = info.get("https")
        self.ca_file = info.get("ca_file")
        self.idp = info.get("idp")  # the stand-in identity provider, another origin
        self.process = process
        self.client = EmulatorClient(self.http)


@contextlib.contextmanager
def start_emulator(tmp_dir, log_file=None, timeout=20):
    """Run `python -m emulator` on free ports (HTTP, HTTPS and the identity provider's) for the duration of the block."""
    tmp_dir = Path(tmp_dir)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    ready = tmp_dir / "emulator-ready.json"
    if ready.exists():
        ready.unlink()
    command = [sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", "0", "--https-port", "0",
               "--idp-port", "0", "--tls-dir", str(tmp_dir / "tls"), "--ready-file", str(ready)]
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        command += ["--log-file", str(log_file)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS_DIR), env.get("PYTHONPATH")]))
    # Output goes to a file: a pipe nobody reads could fill up and stall the server.
    with open(tmp_dir / "emulator-output.txt", "w", encoding="utf-8") as output:
        with subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT) as process:
            try:
                deadline = time.monotonic() + timeout
                while not ready.exists():
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("emulator did not start: %s" % (tmp_dir / "emulator-output.txt").read_text())
                    time.sleep(0.02)
                yield RunningEmulator(json.loads(ready.read_text(encoding="utf-8")), process)
            finally:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
