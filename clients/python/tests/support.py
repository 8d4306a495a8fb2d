"""The real Modelyard server the tests run against: test/clients/python.test.ts starts it and passes
MODELYARD_URL, MODELYARD_API_KEY (a team admin's key) and MODELYARD_TEAM. Without them the tests fail, they do not
skip: `npm test` runs them through that wrapper."""

import http.server
import os
import threading
import uuid
from typing import Dict, List, Tuple

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
