"""Through proxies from the environment, as urllib users expect: plain http via absolute URLs, https through a
CONNECT tunnel with the certificate checked end to end, NO_PROXY respected."""

import os
import tempfile
import unittest
from unittest import mock

from support import Forwarder, client, require_server, self_signed_certificate, unique

PROXY_VARIABLES = ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "all_proxy", "ALL_PROXY")


def environment(**values: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
    return {**clean, **values}


class ProxyTest(unittest.TestCase):
    def setUp(self) -> None:
        self.proxy = Forwarder()
        self.addCleanup(self.proxy.close)
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.weights = os.path.join(self.tmp.name, "weights.bin")
        with open(self.weights, "wb") as handle:
            handle.write(os.urandom(200_000))

    def round_trip(self, **overrides) -> str:
        my = client(**overrides)
        av = my.log_artifact(unique("proxied") + "/net", type="model", paths=[self.weights])
        target = my.download(av.ref, to=os.path.join(self.tmp.name, unique("back")))
        with open(os.path.join(target, "weights.bin"), "rb") as got, open(self.weights, "rb") as sent:
            self.assertEqual(got.read(), sent.read())
        return av.ref

    def test_plain_http_goes_through_http_proxy_with_its_credentials(self):
        url, _, _ = require_server()
        proxy = f"http://us%40er:pa%3Ass@127.0.0.1:{self.proxy.port}"
        with mock.patch.dict(os.environ, environment(HTTP_PROXY=proxy), clear=True):
            self.round_trip()
        methods = {method for method, _, _ in self.proxy.seen}
        self.assertTrue({"POST", "GET"} <= methods, self.proxy.seen)
        for _, target, headers in self.proxy.seen:
            self.assertTrue(target.startswith(url + "/api/v1/"), target)
            self.assertEqual(headers["proxy-authorization"], "Basic dXNAZXI6cGE6c3M=")  # us@er:pa:ss

    def test_no_proxy_reaches_the_server_directly(self):
        with mock.patch.dict(os.environ, environment(HTTP_PROXY=f"http://127.0.0.1:{self.proxy.port}", NO_PROXY="127.0.0.1"), clear=True):
            self.round_trip()
        self.assertEqual(self.proxy.seen, [])

    def test_https_goes_through_a_connect_tunnel_and_the_certificate_is_checked(self):
        url, _, _ = require_server()
        cert, key = self_signed_certificate(self.tmp.name)
        front = Forwarder(upstream=url, tls=(cert, key))
        self.addCleanup(front.close)
        https_url = f"https://127.0.0.1:{front.port}"
        proxy = f"http://127.0.0.1:{self.proxy.port}"
        with mock.patch.dict(os.environ, environment(HTTPS_PROXY=proxy, SSL_CERT_FILE=cert), clear=True):
            self.round_trip(url=https_url)
        self.assertTrue(self.proxy.seen)
        self.assertEqual({(method, target) for method, target, _ in self.proxy.seen}, {("CONNECT", f"127.0.0.1:{front.port}")})
        self.assertTrue(any(method == "POST" for method, _, _ in front.seen))
        # The same server without its certificate trusted: refused, nothing sent in the clear.
        with mock.patch.dict(os.environ, environment(HTTPS_PROXY=proxy), clear=True):
            with self.assertRaises(OSError):
                client(url=https_url).model(unique("any"))


if __name__ == "__main__":
    unittest.main()
