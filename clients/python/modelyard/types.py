"""What the API returns, as dataclasses with Python names (the server's camelCase fields, snake_cased)."""

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional


@dataclass(frozen=True)
class ArtifactFile:
    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class ArtifactVersion:
    """One immutable version of an artifact; ``ref`` ("training/classifier:v0") is what ``link`` and ``download``
    take."""

    id: str
    project: str
    artifact: str
    version: str
    index: int
    type: str
    description: str
    digest: str
    size: int
    aliases: List[str]
    metadata: Dict[str, Any]
    files: List[ArtifactFile]
    created_by: str
    created_at: str
    created: bool = False  # False when the content matched the latest version, which was returned instead

    @property
    def ref(self) -> str:
        return f"{self.project}/{self.artifact}:{self.version}"

    @classmethod
    def from_api(cls, body: Dict[str, Any], created: bool = False) -> "ArtifactVersion":
        return cls(
            id=body["id"],
            project=body["project"],
            artifact=body["artifact"],
            version=body["version"],
            index=body["index"],
            type=body["type"],
            description=body.get("description", ""),
            digest=body.get("digest", ""),
            size=body.get("size", 0),
            aliases=list(body.get("aliases", [])),
            metadata=dict(body.get("metadata", {})),
            files=[ArtifactFile(f["path"], f["size"], f["sha256"]) for f in body.get("files", [])],
            created_by=body.get("createdBy", ""),
            created_at=body.get("createdAt", ""),
            created=created,
        )


@dataclass(frozen=True)
class RegisteredModel:
    id: str
    name: str
    description: str
    version_count: int
    latest_version: Optional[str]
    created_by: str
    created_at: str
    updated_at: str

    @classmethod
    def from_api(cls, body: Dict[str, Any]) -> "RegisteredModel":
        return cls(
            id=body["id"],
            name=body["name"],
            description=body.get("description", ""),
            version_count=body.get("versionCount", 0),
            latest_version=body.get("latestVersion"),
            created_by=body.get("createdBy", ""),
            created_at=body.get("createdAt", ""),
            updated_at=body.get("updatedAt", ""),
        )


@dataclass(frozen=True)
class ModelVersion:
    """A version of a registered model: a link to an artifact version (``source``, e.g. "training/classifier:v0")."""

    id: str
    model: str
    version: str
    index: int
    aliases: List[str]
    source: str
    artifact_version_id: str
    metadata: Dict[str, Any]
    created_by: str
    created_at: str
    #: What ``set_alias`` did: "added", "moved", or "unchanged" (the alias was there already: no event, no automation
    #: ran). None for versions read or linked.
    change: Optional[str] = None

    @property
    def ref(self) -> str:
        return f"{self.model}:{self.version}"

    @classmethod
    def from_api(cls, model: str, body: Dict[str, Any]) -> "ModelVersion":
        source = body["source"]
        return cls(
            id=body["id"],
            model=model,
            version=body["version"],
            index=body["index"],
            aliases=list(body.get("aliases", [])),
            source=f"{source['project']}/{source['artifact']}:{source['version']}",
            artifact_version_id=body.get("artifactVersionId", ""),
            metadata=dict(body.get("metadata", {})),
            created_by=body.get("createdBy", ""),
            created_at=body.get("createdAt", ""),
            change=body.get("change"),
        )


@dataclass(frozen=True)
class Run:
    """One action run of an automation: a webhook delivery or a queued job, with the state of its last attempt."""

    id: str
    automation_id: str
    automation_name: str
    event_id: str
    event_type: str
    action_type: str
    state: str  # pending | succeeded | failed | skipped | superseded
    status: Optional[int]
    error: Optional[str]
    attempts: int
    next_attempt_at: Optional[str]
    created_at: str
    finished_at: Optional[str]
    webhook_name: Optional[str]
    queue_name: Optional[str]
    job_id: Optional[str]

    @classmethod
    def from_api(cls, body: Dict[str, Any]) -> "Run":
        return cls(
            id=body["id"],
            automation_id=body["automationId"],
            automation_name=body["automationName"],
            event_id=body["eventId"],
            event_type=body["eventType"],
            action_type=body["actionType"],
            state=body["state"],
            status=body.get("status"),
            error=body.get("error"),
            attempts=body.get("attempts", 0),
            next_attempt_at=body.get("nextAttemptAt"),
            created_at=body.get("createdAt", ""),
            finished_at=body.get("finishedAt"),
            webhook_name=body.get("webhookName"),
            queue_name=body.get("queueName"),
            job_id=body.get("jobId"),
        )


@dataclass(frozen=True)
class Job:
    """The queue job this process runs for ``modelyard agent``: its payload (the automation's rendered template,
    or what was enqueued by hand) and where it came from."""

    id: str
    attempt: int
    queue: Optional[str]
    team: Optional[str]
    payload: Dict[str, Any] = field(default_factory=dict)

    @property
    def event_type(self) -> Optional[str]:
        """The event behind the job (``LINK_ARTIFACT``, ``ADD_ARTIFACT_ALIAS``, …) when the payload carries it."""
        value = self.payload.get("event_type")
        return value if isinstance(value, str) else None
