"""Errors the SDK raises: the server's own, parsed from its ``{"error": {"code", "message", "details"?}}`` body."""

from typing import Any, Dict, Optional


class ApiError(Exception):
    """The server refused a request. ``status`` is the HTTP status, ``code`` and ``message`` what the server said
    (``code`` is e.g. ``not_found``, ``invalid_request``, ``conflict``), ``details`` its extra fields such as the
    offending ``field``."""

    def __init__(self, status: int, code: str, message: str, details: Optional[Dict[str, Any]] = None):
        super().__init__(f"{message} (HTTP {status}, {code})")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


class ConfigurationError(Exception):
    """No server URL, API key or team could be found in the arguments, the environment or the saved login."""
