"""HTTP with http.client: JSON requests, streamed uploads (chunks of a body of known length) and streamed
downloads. Every non-2xx answer becomes an ApiError carrying the server's code and message. Proxies come from the
environment as urllib reads them (HTTPS_PROXY / HTTP_PROXY / NO_PROXY): https through a CONNECT tunnel, http by
sending the absolute URL to the proxy. Certificates are checked against the system's CAs (SSL_CERT_FILE to add your
own)."""

import base64
import http.client
import json
import ssl
import urllib.request
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple
from urllib.parse import SplitResult, unquote, urlencode, urlsplit

from .errors import ApiError

USER_AGENT = "modelyard-python/0.1.0"
# Reading an error body: enough for any message the server writes, bounded against a misbehaving proxy.
MAX_ERROR_BODY = 64 * 1024


def error_from_response(status: int, body: bytes) -> ApiError:
    try:
        parsed = json.loads(body.decode("utf-8"))
        error = parsed["error"]
        details = {k: v for k, v in error.items() if k not in ("code", "message")}
        if isinstance(error.get("details"), dict):
            details = dict(error["details"])
        return ApiError(status, str(error["code"]), str(error["message"]), details)
    except (ValueError, KeyError, TypeError, AttributeError):
        text = body.decode("utf-8", "replace").strip()[:200]
        return ApiError(status, "http_error", text or http.client.responses.get(status, "HTTP error"))


def proxy_for(scheme: str, host: str) -> Optional[SplitResult]:
    """The proxy urllib would use for this server, or None (none set, or the host is in NO_PROXY)."""
    proxy = urllib.request.getproxies().get(scheme)
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    return urlsplit(proxy if "://" in proxy else f"http://{proxy}")


def _proxy_authorization(proxy: SplitResult) -> Dict[str, str]:
    if proxy.username is None:
        return {}
    credentials = f"{unquote(proxy.username)}:{unquote(proxy.password or '')}".encode("utf-8")
    return {"Proxy-Authorization": "Basic " + base64.b64encode(credentials).decode("ascii")}


class Transport:
    def __init__(self, url: str, api_key: str, timeout: float):
        parts = urlsplit(url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.port = parts.port
        self.netloc = parts.netloc.rpartition("@")[2]
        self.base_path = parts.path.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.proxy = proxy_for(parts.scheme, self.host)

    def _connection(self) -> http.client.HTTPConnection:
        proxy = self.proxy
        if self.https:
            context = ssl.create_default_context()
            if proxy is None:
                return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=context)
            # The proxy sees only the CONNECT; the TLS session (and the API key) goes end to end through it.
            connection = http.client.HTTPSConnection(proxy.hostname, proxy.port or 80, timeout=self.timeout, context=context)
            connection.set_tunnel(self.host, self.port, headers=_proxy_authorization(proxy))
            return connection
        if proxy is None:
            return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return http.client.HTTPConnection(proxy.hostname, proxy.port or 80, timeout=self.timeout)

    def _headers(self, extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
        headers = {"Authorization": f"Bearer {self.api_key}", "User-Agent": USER_AGENT, "Accept": "application/json"}
        if self.proxy is not None and not self.https:
            headers.update(_proxy_authorization(self.proxy))
        headers.update(extra or {})
        return headers

    def url_for(self, path: str, query: Optional[Mapping[str, Any]] = None) -> str:
        target = self.base_path + path
        if self.proxy is not None and not self.https:
            target = f"http://{self.netloc}{target}"  # a plain-http proxy is sent the absolute URL
        if query:
            present = {k: v for k, v in query.items() if v is not None}
            if present:
                target += "?" + urlencode(present)
        return target

    def json(self, method: str, path: str, body: Any = None, query: Optional[Mapping[str, Any]] = None) -> Tuple[int, Any]:
        """Sends a JSON request; returns (status, parsed body or None for an empty one) or raises ApiError."""
        payload = None if body is None else json.dumps(body).encode("utf-8")
        headers = self._headers({"Content-Type": "application/json"} if payload is not None else None)
        connection = self._connection()
        try:
            connection.request(method, self.url_for(path, query), body=payload, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        if not 200 <= response.status < 300:
            raise error_from_response(response.status, data)
        return response.status, (json.loads(data.decode("utf-8")) if data else None)

    def upload(self, path: str, content_type: str, length: int, chunks: Iterable[bytes], on_sent=None) -> Tuple[int, Any]:
        """POSTs a body of known length chunk by chunk. If the server answers early (an error mid-upload), its answer
        is what is raised, not the broken pipe that follows it."""
        connection = self._connection()
        try:
            connection.putrequest("POST", self.url_for(path), skip_accept_encoding=True)
            for name, value in self._headers({"Content-Type": content_type, "Content-Length": str(length)}).items():
                connection.putheader(name, value)
            connection.endheaders()
            try:
                for chunk in chunks:
                    connection.send(chunk)
                    if on_sent is not None:
                        on_sent(len(chunk))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server stopped reading: its response says why
            try:
                response = connection.getresponse()
            except (http.client.HTTPException, OSError) as error:
                raise ConnectionError(f"the upload was interrupted before the server answered: {error}") from error
            data = response.read()
        finally:
            connection.close()
        if not 200 <= response.status < 300:
            raise error_from_response(response.status, data)
        return response.status, json.loads(data.decode("utf-8"))

    def download(self, path: str):
        """Opens a GET for streaming; returns (connection, response) — the caller reads and closes both."""
        connection = self._connection()
        try:
            connection.request("GET", self.url_for(path), headers=self._headers({"Accept": "application/octet-stream"}))
            response = connection.getresponse()
        except BaseException:
            connection.close()
            raise
        if not 200 <= response.status < 300:
            data = response.read(MAX_ERROR_BODY)
            connection.close()
            raise error_from_response(response.status, data)
        return connection, response
