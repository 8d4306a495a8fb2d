"""Modelyard's Python SDK: ``Modelyard`` for the registry, ``verify_signature`` for webhook receivers,
``current_job`` inside a job run by ``modelyard agent``. Standard library only."""

from .client import Modelyard
from .errors import ApiError, ConfigurationError
from .jobs import current_job
from .types import ArtifactFile, ArtifactVersion, Job, ModelVersion, RegisteredModel, Run
from .webhooks import verify_signature

__all__ = [
    "ApiError",
    "ArtifactFile",
    "ArtifactVersion",
    "ConfigurationError",
    "Job",
    "ModelVersion",
    "Modelyard",
    "RegisteredModel",
    "Run",
    "current_job",
    "verify_signature",
]
__version__ = "0.1.0"
