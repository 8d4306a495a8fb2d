#!/usr/bin/env python3
"""A deploy service for Modelyard webhooks in Python, standard library only (plus the Modelyard Python SDK's
verify_signature, itself standard library only: pip install ./clients/python, or PYTHONPATH=clients/python).

Checks each delivery's signature on the raw body bytes, downloads the files of the model version the delivery names
through the API (each checked against the manifest's sha256) and puts them in DEPLOY_DIR/<model>/<version>/, all at
once (a temporary folder renamed into place). A delivery handled already (the same webhook-id) is answered 200 again
without deploying twice.

    MODELYARD_URL, MODELYARD_API_KEY   the server and a key that can read the team's registry
    MODELYARD_WEBHOOK_SECRET           the value of the webhook's signing secret
    DEPLOY_DIR                         where versions are deployed (default ./deployed)
    PORT                               default 3000 (0: any free port)
"""

import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from modelyard import verify_signature

SERVER = os.environ.get("MODELYARD_URL", "").rstrip("/")
API_KEY = os.environ.get("MODELYARD_API_KEY", "")
SECRET = os.environ.get("MODELYARD_WEBHOOK_SECRET", "")
DEPLOY_DIR = os.path.abspath(os.environ.get("DEPLOY_DIR", "deployed"))
MAX_BODY = 1024 * 1024
VERSION_STRING = re.compile(r"^([^/]+)/model-registry/([^:]+):(.+)$")

handled = set()
handled_lock = threading.Lock()


def api(team: str, path: str) -> bytes:
    request = urllib.request.Request(
        f"{SERVER}/api/v1/teams/{urllib.parse.quote(team, safe='')}{path}",
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def inside(folder: str, relative: str) -> str:
    target = os.path.abspath(os.path.join(folder, relative))
    if not target.startswith(folder + os.sep):
        raise ValueError(f"refusing file path {relative}")
    return target


def deploy(version_string: str) -> dict:
    match = VERSION_STRING.match(version_string)
    if not match:
        raise ValueError(f"not a model version: {version_string}")
    team, model, ref = match.groups()
    quote = lambda text: urllib.parse.quote(text, safe="")
    version = json.loads(api(team, f"/registry/models/{quote(model)}/versions/{quote(ref)}"))
    source = version["source"]
    base = f"/projects/{quote(source['project'])}/artifacts/{quote(source['artifact'])}/versions/{source['version']}"
    manifest = json.loads(api(team, base))
    target = os.path.join(DEPLOY_DIR, model, version["version"])
    os.makedirs(os.path.dirname(target), exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{version['version']}-", dir=os.path.dirname(target))
    try:
        for entry in manifest["files"]:
            quoted = "/".join(quote(part) for part in entry["path"].split("/"))
            content = api(team, f"{base}/files/{quoted}")
            if hashlib.sha256(content).hexdigest() != entry["sha256"]:
                raise ValueError(f"{entry['path']}: sha256 does not match the manifest")
            destination = inside(staging, entry["path"])
            os.makedirs(os.path.dirname(destination), exist_ok=True)
            with open(destination, "wb") as handle:
                handle.write(content)
        shutil.rmtree(target, ignore_errors=True)
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {"model": model, "version": version["version"], "files": len(manifest["files"]), "folder": target}


class Handler(BaseHTTPRequestHandler):
    def answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return self.answer(413, {"error": "body too large"})
        body = self.rfile.read(length)
        # The exact bytes received: re-encoded JSON would not verify.
        if not verify_signature(body, self.headers, SECRET):
            return self.answer(401, {"error": "signature check failed"})
        delivery_id = self.headers.get("webhook-id")
        with handled_lock:
            if delivery_id is not None and delivery_id in handled:
                return self.answer(200, {"duplicate": delivery_id})
        try:
            version_string = json.loads(body)["version"]
        except (ValueError, KeyError, TypeError):
            return self.answer(400, {"error": 'the payload has no "version"'})
        try:
            deployed = deploy(version_string)
        except Exception as error:  # a 5xx makes Modelyard retry the delivery later
            print(f"deploying {version_string} failed: {error}", file=sys.stderr, flush=True)
            return self.answer(503, {"error": str(error)})
        with handled_lock:
            if delivery_id is not None:
                handled.add(delivery_id)
        print(f"deployed {deployed['model']} {deployed['version']} ({deployed['files']} files) to {deployed['folder']}", flush=True)
        self.answer(200, deployed)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (http.server's signature)
        pass


def main() -> None:
    if not (SERVER and API_KEY and SECRET):
        sys.exit("set MODELYARD_URL, MODELYARD_API_KEY and MODELYARD_WEBHOOK_SECRET")
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT", "3000"))), Handler)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}/hook", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
