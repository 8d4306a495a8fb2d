"""Verifying a delivery from Modelyard on the receiving side: the X-Wandb-Signature header (base64 HMAC-SHA256 of
the exact body bytes, keyed by the secret's text) or the Standard Webhooks headers (webhook-id, webhook-timestamp,
webhook-signature; a ``whsec_`` secret is base64 key bytes, any other secret its UTF-8 text), with a timestamp no further than five minutes from now
so a captured request cannot be replayed later."""

import base64
import binascii
import hashlib
import hmac
import re
import time
from typing import Any, List, Mapping, Optional, Union

# Standard Webhooks' recommended tolerance for the sender's and receiver's clocks and the time on the wire.
TIMESTAMP_TOLERANCE_S = 5 * 60
_SECONDS = re.compile(r"[0-9]{1,12}")


def _header(headers: Any, name: str) -> Optional[str]:
    """Headers from a dict (any case), http.server's / email's Message, or a list of pairs."""
    if hasattr(headers, "get") and not isinstance(headers, Mapping):
        value = headers.get(name)
        return value if isinstance(value, str) else None
    items = headers.items() if isinstance(headers, Mapping) else headers
    for key, value in items:
        if key.lower() == name:
            return value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return None


def _hmac_b64(key: bytes, message: bytes) -> bytes:
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest())


def _standard_keys(secret: str) -> List[bytes]:
    """A ``whsec_<base64>`` secret is key bytes (the Standard Webhooks convention). Modelyard keys with a team
    secret's UTF-8 text, whatever it looks like, so a team secret that happens to start with ``whsec_`` is tried
    that way too."""
    keys = [secret.encode("utf-8")]
    if secret.startswith("whsec_"):
        try:
            keys.insert(0, base64.b64decode(secret[len("whsec_"):], validate=True))
        except (binascii.Error, ValueError):
            pass
    return keys


def verify_signature(
    body: Union[bytes, bytearray, memoryview],
    headers: Any,
    secret: str,
    *,
    now: Optional[float] = None,
    tolerance: float = TIMESTAMP_TOLERANCE_S,
) -> bool:
    """True when the delivery was signed with ``secret``. ``body`` is the raw request body — not re-encoded JSON;
    ``headers`` a dict, ``http.server``'s ``self.headers`` or a list of pairs. Standard Webhooks headers are checked
    when present (any ``v1,`` signature may match, for secret rotation); else X-Wandb-Signature."""
    if isinstance(body, str):
        raise TypeError("pass the raw body bytes as received, not a decoded string")
    body = bytes(body)
    message_id = _header(headers, "webhook-id")
    timestamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    if message_id is not None and timestamp is not None and signatures is not None:
        # Whole seconds as digits only (int() would also take "+5", "-5" and "1_000"), as the TypeScript kit does.
        if not _SECONDS.fullmatch(timestamp.strip()):
            return False
        sent_at = int(timestamp.strip())
        current = time.time() if now is None else now
        if abs(current - sent_at) > tolerance:
            return False
        signed = f"{message_id.strip()}.{sent_at}.".encode("utf-8") + body
        expected = [_hmac_b64(key, signed) for key in _standard_keys(secret)]
        matched = False
        for candidate in signatures.split():
            version, _, value = candidate.partition(",")
            if version != "v1":
                continue
            # Every candidate against every key, so the time taken does not say which one matched.
            for digest in expected:
                if hmac.compare_digest(value.encode("latin-1", "replace"), digest):
                    matched = True
        return matched
    wandb = _header(headers, "x-wandb-signature")
    if wandb is None:
        return False
    expected = _hmac_b64(secret.encode("utf-8"), body)
    return hmac.compare_digest(wandb.strip().encode("latin-1", "replace"), expected)
