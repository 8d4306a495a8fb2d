"""verify_signature against the Standard Webhooks test vector and the X-Wandb-Signature recipe (no server)."""

import base64
import email.message
import hashlib
import hmac
import unittest

from modelyard import verify_signature

# From the Standard Webhooks specification's test suite (standardwebhooks packages).
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def vector_headers(signature: str = VECTOR_SIGNATURE, timestamp: int = VECTOR_TIMESTAMP) -> dict:
    return {"webhook-id": VECTOR_ID, "webhook-timestamp": str(timestamp), "webhook-signature": signature}


class StandardWebhooksTest(unittest.TestCase):
    def test_accepts_the_specification_test_vector(self):
        self.assertTrue(verify_signature(VECTOR_BODY, vector_headers(), VECTOR_SECRET, now=VECTOR_TIMESTAMP))

    def test_accepts_headers_in_any_case_and_as_an_http_server_message(self):
        upper = {k.upper(): v for k, v in vector_headers().items()}
        self.assertTrue(verify_signature(VECTOR_BODY, upper, VECTOR_SECRET, now=VECTOR_TIMESTAMP))
        message = email.message.Message()
        for name, value in vector_headers().items():
            message[name.title()] = value
        self.assertTrue(verify_signature(VECTOR_BODY, message, VECTOR_SECRET, now=VECTOR_TIMESTAMP))
        self.assertTrue(verify_signature(VECTOR_BODY, list(vector_headers().items()), VECTOR_SECRET, now=VECTOR_TIMESTAMP))

    def test_accepts_any_of_several_signatures_and_ignores_other_versions(self):
        several = f"v1a,abc v1,bm90IHRoaXMgb25l {VECTOR_SIGNATURE}"
        self.assertTrue(verify_signature(VECTOR_BODY, vector_headers(several), VECTOR_SECRET, now=VECTOR_TIMESTAMP))
        self.assertFalse(
            verify_signature(VECTOR_BODY, vector_headers("v2," + VECTOR_SIGNATURE[3:]), VECTOR_SECRET, now=VECTOR_TIMESTAMP)
        )

    def test_refuses_a_changed_body_a_wrong_secret_or_a_changed_id(self):
        self.assertFalse(verify_signature(b'{"test": 2432232315}', vector_headers(), VECTOR_SECRET, now=VECTOR_TIMESTAMP))
        self.assertFalse(verify_signature(VECTOR_BODY, vector_headers(), "whsec_" + base64.b64encode(b"other").decode(), now=VECTOR_TIMESTAMP))
        changed = dict(vector_headers(), **{"webhook-id": "msg_other"})
        self.assertFalse(verify_signature(VECTOR_BODY, changed, VECTOR_SECRET, now=VECTOR_TIMESTAMP))

    def test_refuses_timestamps_more_than_five_minutes_away(self):
        self.assertTrue(verify_signature(VECTOR_BODY, vector_headers(), VECTOR_SECRET, now=VECTOR_TIMESTAMP + 300))
        self.assertFalse(verify_signature(VECTOR_BODY, vector_headers(), VECTOR_SECRET, now=VECTOR_TIMESTAMP + 301))
        self.assertFalse(verify_signature(VECTOR_BODY, vector_headers(), VECTOR_SECRET, now=VECTOR_TIMESTAMP - 301))
        self.assertFalse(verify_signature(VECTOR_BODY, vector_headers(timestamp="soon"), VECTOR_SECRET, now=VECTOR_TIMESTAMP))  # type: ignore[arg-type]
        # Only whole seconds in digits, as the TypeScript receiver kit (src/receiver/verify.ts) accepts.
        for text in ("+1614265330", "1_614_265_330", "1614265330.0", ""):
            self.assertFalse(verify_signature(VECTOR_BODY, vector_headers(timestamp=text), VECTOR_SECRET, now=VECTOR_TIMESTAMP), text)  # type: ignore[arg-type]
        self.assertTrue(verify_signature(VECTOR_BODY, vector_headers(timestamp=f" {VECTOR_TIMESTAMP} "), VECTOR_SECRET, now=VECTOR_TIMESTAMP))  # type: ignore[arg-type]

    def test_checks_against_the_current_clock_by_default(self):
        # The vector is from 2021: far outside the tolerance today.
        self.assertFalse(verify_signature(VECTOR_BODY, vector_headers(), VECTOR_SECRET))

    def test_keys_a_plain_secret_with_its_utf8_text_as_modelyard_does(self):
        secret = "s3cr3t-ünïcode"
        signed = hmac.new(secret.encode("utf-8"), f"{VECTOR_ID}.{VECTOR_TIMESTAMP}.".encode() + VECTOR_BODY, hashlib.sha256)
        signature = "v1," + base64.b64encode(signed.digest()).decode()
        self.assertTrue(verify_signature(VECTOR_BODY, vector_headers(signature), secret, now=VECTOR_TIMESTAMP))


class WandbSignatureTest(unittest.TestCase):
    # echo -n '{"a":1}' | openssl dgst -sha256 -hmac "s3cr3t" -binary | base64
    BODY = b'{"a":1}'
    SIGNATURE = base64.b64encode(hmac.new(b"s3cr3t", b'{"a":1}', hashlib.sha256).digest()).decode()

    def test_accepts_the_hmac_of_the_exact_body(self):
        self.assertTrue(verify_signature(self.BODY, {"X-Wandb-Signature": self.SIGNATURE}, "s3cr3t"))

    def test_refuses_other_bodies_secrets_and_missing_headers(self):
        self.assertFalse(verify_signature(b'{"a": 1}', {"X-Wandb-Signature": self.SIGNATURE}, "s3cr3t"))
        self.assertFalse(verify_signature(self.BODY, {"X-Wandb-Signature": self.SIGNATURE}, "other"))
        self.assertFalse(verify_signature(self.BODY, {"X-Wandb-Signature": "not base64 at all"}, "s3cr3t"))
        self.assertFalse(verify_signature(self.BODY, {}, "s3cr3t"))

    def test_insists_on_the_raw_bytes(self):
        with self.assertRaises(TypeError):
            verify_signature(self.BODY.decode(), {"X-Wandb-Signature": self.SIGNATURE}, "s3cr3t")  # type: ignore[arg-type]


if __name__ == "__main__":
    unittest.main()
