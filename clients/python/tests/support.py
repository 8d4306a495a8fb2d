"""The real Modelyard server the tests run against: test/clients/python.test.ts starts it and passes
MODELYARD_URL, MODELYARD_API_KEY (a team admin's key) and MODELYARD_TEAM. Without them the tests fail, they do not
skip: `npm test` runs them through that wrapper."""

import http.client
import http.server
import os
import socket
import ssl
import subprocess
import threading
import uuid
from typing import Dict, List, Tuple
from urllib.parse import urlsplit

from modelyard import Modelyard


def require_server() -> Tuple[str, str, str]:
    missing = [name for name in ("MODELYARD_URL", "MODELYARD_API_KEY", "MODELYARD_TEAM") if not os.environ.get(name)]
    if missing:
        raise RuntimeError(
            f"{', '.join(missing)} not set: run these tests through `npx vitest run test/clients/python.test.ts`, "
            "which starts a server, or point them at one"
        )
    return os.environ["MODELYARD_URL"], os.environ["MODELYARD_API_KEY"], os.environ["MODELYARD_TEAM"]


def client(**overrides) -> Modelyard:
    url, key, team = require_server()
    return Modelyard(url=overrides.pop("url", url), api_key=overrides.pop("api_key", key), team=overrides.pop("team", team), progress=False, **overrides)


def unique(prefix: str) -> str:
    """Each test owns its names, so tests share the team without seeing each other's data."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class Receiver:
    """A webhook receiver on 127.0.0.1:0 that records every request's raw body and headers and answers with the
    status its path names (/ok → 200, /fail → 500)."""

    def __init__(self) -> None:
        self.requests: List[Tuple[str, bytes, Dict[str, str]]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.requests.append((self.path, body, {k.lower(): v for k, v in self.headers.items()}))
                self.send_response(200 if self.path == "/ok" else 500)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


class Forwarder:
    """A real HTTP proxy on 127.0.0.1:0 (absolute-form requests forwarded, CONNECT tunnelled byte for byte) that
    records what it was asked; or, given ``upstream`` and ``tls`` (cert, key), a TLS front that forwards every
    request to ``upstream`` — an https server for the SDK to reach through the proxy."""

    def __init__(self, upstream: str = "", tls: Tuple[str, str] = ("", "")) -> None:
        self.seen: List[Tuple[str, str, Dict[str, str]]] = []
        forwarder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_CONNECT(self) -> None:  # noqa: N802
                forwarder.seen.append(("CONNECT", self.path, {k.lower(): v for k, v in self.headers.items()}))
                host, _, port = self.path.rpartition(":")
                upstream_socket = socket.create_connection((host, int(port)))
                self.send_response(200, "Connection established")
                self.end_headers()
                self.wfile.flush()
                pipe = threading.Thread(target=_pipe, args=(upstream_socket, self.connection), daemon=True)
                pipe.start()
                _pipe(self.connection, upstream_socket)
                pipe.join()
                upstream_socket.close()
                self.close_connection = True

            def forward(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                forwarder.seen.append((self.command, self.path, headers))
                target = urlsplit(upstream + self.path if upstream else self.path)
                connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                path = target.path + (f"?{target.query}" if target.query else "")
                connection.putrequest(self.command, path, skip_host=True, skip_accept_encoding=True)
                for name, value in self.headers.items():
                    if name.lower() not in ("proxy-authorization", "proxy-connection", "connection"):
                        connection.putheader(name, value)
                connection.endheaders()
                remaining = int(self.headers.get("Content-Length", "0"))
                while remaining > 0:
                    chunk = self.rfile.read(min(remaining, 65536))
                    if not chunk:
                        break
                    connection.send(chunk)
                    remaining -= len(chunk)
                response = connection.getresponse()
                body = response.read()
                connection.close()
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls[0]:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def _pipe(source: socket.socket, destination: socket.socket) -> None:
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            destination.sendall(data)
    except OSError:
        pass
    finally:
        try:
            destination.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def self_signed_certificate(directory: str) -> Tuple[str, str]:
    """A certificate for 127.0.0.1 made with the openssl command, for an https server the tests trust."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return cert, key
