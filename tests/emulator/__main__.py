"""Command line: python -m emulator --port 0 --https-port 0 --idp-port 0 --tls-dir DIR --ready-file FILE."""

import argparse
import json
import os
import signal
import sys
import tempfile
import threading

from . import tls
from .providers import PROVIDERS
from .server import Emulator


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m emulator", description="Emulator of the vendor APIs used by sso.mappings.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="plain HTTP port; 0 picks a free one")
    parser.add_argument("--https-port", type=int, default=None, help="also serve HTTPS on this port; 0 picks a free one")
    parser.add_argument("--idp-port", type=int, default=None,
                        help="also serve the stand-in identity provider on this port (HTTPS with --https-port); 0 picks a free one")
    parser.add_argument("--tls-dir", help="where ca.pem, server.pem and server-key.pem are written (default: a temporary dir)")
    parser.add_argument("--ready-file", help="write the endpoints as JSON here once serving")
    parser.add_argument("--log-file", help="append one JSON line per API request here")
    return parser.parse_args(argv)


def write_ready(path, info):
    # Written to a temporary name and renamed, so a watcher never reads half a file.
    partial = path + ".partial"
    with open(partial, "w", encoding="utf-8") as handle:
        json.dump(info, handle)
    os.replace(partial, path)


def main(argv=None):
    args = parse_args(argv)
    emulator = Emulator([provider() for provider in PROVIDERS], log_file=args.log_file)
    servers = [emulator.make_server(args.host, args.port)]
    info = {"http": "http://%s:%d" % (args.host, servers[0].server_address[1])}
    context = None
    if args.https_port is not None:
        paths = tls.generate(args.tls_dir or tempfile.mkdtemp(prefix="emulator-tls-"))
        context = tls.server_context(paths)
        servers.append(emulator.make_server(args.host, args.https_port, context))
        # The certificate names localhost and 127.0.0.1; localhost reads better in URLs.
        info["https"] = "https://localhost:%d" % servers[1].server_address[1]
        info["ca_file"] = paths["ca.pem"]
    if args.idp_port is not None:
        # Another origin, as a company's identity provider is; HTTPS with the same CA when there is one.
        idp = emulator.make_server(args.host, args.idp_port, context, providers=["idp"])
        servers.append(idp)
        info["idp"] = "%s://localhost:%d" % ("https" if context else "http", idp.server_address[1])

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    signal.signal(signal.SIGINT, lambda signum, frame: stop.set())
    threads = [threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True) for server in servers]
    for thread in threads:
        thread.start()

    if args.ready_file:
        write_ready(args.ready_file, info)
    print(json.dumps(info), flush=True)
    while not stop.is_set():
        stop.wait(0.5)  # short waits so that signals are handled promptly
    for server in servers:
        server.shutdown()
        server.server_close()
    emulator.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
