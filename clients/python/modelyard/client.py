"""The Modelyard client: log artifact versions, register models, link versions, move aliases, download files and
list automation runs. One instance talks to one server as one API key, in one team."""

import hashlib
import json
import os
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple
from urllib.parse import quote

from .config import resolve_settings
from .errors import ApiError, ConfigurationError
from .multipart import MultipartBody, PathLike, check_artifact_path, collect_files
from .progress import Progress
from .transport import Transport
from .types import ArtifactVersion, ModelVersion, RegisteredModel, Run

DEFAULT_TIMEOUT_S = 60.0
DOWNLOAD_CHUNK = 1024 * 1024
# Items per page when iterating a list to its end: few round trips, bounded answers (the server allows 500).
PAGE_LIMIT = 100


def _segment(name: str) -> str:
    return quote(name, safe="")


def _split_artifact_ref(ref: str) -> Tuple[str, str, str]:
    """``project/artifact[:version or alias]`` (``latest`` when no version is given)."""
    path, _, version = ref.partition(":")
    project, slash, artifact = path.partition("/")
    if not slash or not project or not artifact or "/" in artifact:
        raise ValueError(f'{ref!r} is not an artifact reference like "training/classifier:v0"')
    return project, artifact, version or "latest"


class Modelyard:
    """``Modelyard()`` reads MODELYARD_URL / MODELYARD_API_KEY / MODELYARD_TEAM, else the login saved by
    ``modelyard login``; arguments override either."""

    def __init__(
        self,
        url: Optional[str] = None,
        api_key: Optional[str] = None,
        team: Optional[str] = None,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        progress: bool = True,
    ):
        settings = resolve_settings(url, api_key, team)
        if not settings.team:
            raise ConfigurationError("no team: pass team=, set MODELYARD_TEAM, or run `modelyard login --team …`")
        self.url = settings.url
        self.team = settings.team
        self.progress = progress
        self.page_size = PAGE_LIMIT
        self._http = Transport(settings.url, settings.api_key, timeout)

    def __repr__(self) -> str:  # never the key
        return f"Modelyard(url={self.url!r}, team={self.team!r})"

    @property
    def _team_path(self) -> str:
        return f"/api/v1/teams/{_segment(self.team)}"

    def _pages(self, path: str, query: Optional[Mapping[str, Any]] = None) -> Iterator[Dict[str, Any]]:
        cursor = None
        while True:
            _, page = self._http.json("GET", path, query={**(query or {}), "limit": self.page_size, "cursor": cursor})
            yield from page["items"]
            cursor = page.get("nextCursor")
            if not cursor:
                return

    # --- artifacts ---------------------------------------------------------------------------------------------

    def create_project(self, name: str, description: str = "", exist_ok: bool = True) -> None:
        try:
            self._http.json("POST", f"{self._team_path}/projects", {"name": name, "description": description})
        except ApiError as error:
            if not (exist_ok and error.status == 409):
                raise

    def log_artifact(
        self,
        ref: str,
        *,
        type: str,
        paths: Iterable[PathLike],
        metadata: Optional[Mapping[str, Any]] = None,
        description: str = "",
        aliases: Iterable[str] = (),
        progress: Optional[bool] = None,
    ) -> ArtifactVersion:
        """Logs a new version of ``project/artifact`` from files and directories (a directory's files keep their
        path under the directory's name). The project is created if it does not exist. Files are streamed from
        disk. Content identical to the latest version returns that version (``created`` is False)."""
        project, slash, artifact = ref.partition("/")
        if not slash or not project or not artifact or "/" in artifact or ":" in ref:
            raise ValueError(f'{ref!r} must name a project and an artifact, like "training/classifier"')
        if isinstance(paths, (str, bytes, os.PathLike)):
            paths = [paths]  # one path given on its own, not its characters
        files = collect_files(paths)
        fields = [("type", type), ("description", description), ("metadata", json.dumps(dict(metadata or {})))]
        alias_list = list(aliases)
        if alias_list:
            fields.append(("aliases", json.dumps(alias_list)))
        body = MultipartBody(fields, files)
        self.create_project(project)
        shown = Progress(f"uploading {ref}", body.length, self.progress if progress is None else progress)
        path = f"{self._team_path}/projects/{_segment(project)}/artifacts/{_segment(artifact)}/versions"
        try:
            status, answer = self._http.upload(path, body.content_type, body.length, body.chunks(), shown.advance)
        finally:
            shown.finish()  # ends the line, so an error starts on a line of its own
        return ArtifactVersion.from_api(answer, created=status == 201)

    def artifact_version(self, ref: str) -> ArtifactVersion:
        project, artifact, version = _split_artifact_ref(ref)
        _, body = self._http.json("GET", self._artifact_version_path(project, artifact, version))
        return ArtifactVersion.from_api(body)

    def _artifact_version_path(self, project: str, artifact: str, version: str) -> str:
        return f"{self._team_path}/projects/{_segment(project)}/artifacts/{_segment(artifact)}/versions/{_segment(version)}"

    # --- the model registry ------------------------------------------------------------------------------------

    def create_model(self, name: str, description: str = "", exist_ok: bool = False) -> RegisteredModel:
        """Registers a model; with ``exist_ok`` an existing model of that name is returned instead of a conflict."""
        try:
            _, body = self._http.json("POST", f"{self._team_path}/registry/models", {"name": name, "description": description})
        except ApiError as error:
            if not (exist_ok and error.status == 409):
                raise
            return self.model(name)
        return RegisteredModel.from_api(body)

    def model(self, name: str) -> RegisteredModel:
        _, body = self._http.json("GET", f"{self._team_path}/registry/models/{_segment(name)}")
        return RegisteredModel.from_api(body)

    def link(self, ref: str, *, model: str, aliases: Iterable[str] = ()) -> ModelVersion:
        """Links an artifact version ("training/classifier:v0", or an alias of it) to a registered model as its next
        version; linking an already linked source returns its existing version."""
        _, body = self._http.json(
            "POST", f"{self._team_path}/registry/models/{_segment(model)}/versions", {"source": ref, "aliases": list(aliases)}
        )
        return ModelVersion.from_api(model, body)

    def model_version(self, model: str, version: str) -> ModelVersion:
        _, body = self._http.json("GET", f"{self._team_path}/registry/models/{_segment(model)}/versions/{_segment(version)}")
        return ModelVersion.from_api(model, body)

    def set_alias(self, model: str, alias: str, version: str) -> ModelVersion:
        """Puts ``alias`` on ``version`` ("v2" or another alias), moving it from the version that held it."""
        _, body = self._http.json(
            "PUT", f"{self._team_path}/registry/models/{_segment(model)}/aliases/{_segment(alias)}", {"version": version}
        )
        return ModelVersion.from_api(model, body)

    def remove_alias(self, model: str, alias: str) -> None:
        self._http.json("DELETE", f"{self._team_path}/registry/models/{_segment(model)}/aliases/{_segment(alias)}")

    # --- downloads ---------------------------------------------------------------------------------------------

    def download(self, ref: str, to: Optional[PathLike] = None, *, progress: Optional[bool] = None) -> str:
        """Downloads every file of a model version ("classifier:production") or an artifact version
        ("training/classifier:v0") into ``to`` (default ``./artifacts/<artifact>-<version>``), each under its path
        in the artifact, checking sizes and sha256. Returns the directory."""
        if "/" in ref:
            project, artifact, version = _split_artifact_ref(ref)
        else:
            model, _, version = ref.partition(":")
            if not model:
                raise ValueError(f'{ref!r} is neither a model reference ("classifier:production") nor an artifact reference')
            source = self.model_version(model, version or "latest").source
            project, artifact, version = _split_artifact_ref(source)
        _, body = self._http.json("GET", self._artifact_version_path(project, artifact, version))
        resolved = ArtifactVersion.from_api(body)
        target = os.fspath(to) if to is not None else os.path.join("artifacts", f"{resolved.artifact}-{resolved.version}")
        os.makedirs(target, exist_ok=True)
        root = os.path.realpath(target)
        shown = Progress(f"downloading {resolved.ref}", resolved.size, self.progress if progress is None else progress)
        # Every name is checked before the first byte is written: a bad one leaves nothing half-downloaded.
        destinations = [self._local_path_for(root, item.path) for item in resolved.files]
        try:
            for item, destination in zip(resolved.files, destinations):
                url = self._artifact_version_path(project, artifact, resolved.version) + "/files/" + "/".join(
                    _segment(part) for part in item.path.split("/")
                )
                self._download_file(url, destination, item.size, item.sha256, shown)
        finally:
            shown.finish()
        return target

    @staticmethod
    def _local_path_for(root: str, name: str) -> str:
        """Where a file of the artifact goes: inside ``root`` and nowhere else, whatever name the server sent."""
        try:
            check_artifact_path(name)
        except ValueError as error:
            raise ValueError(f"refusing to write a file the server named {name!r}: {error}") from None
        destination = os.path.realpath(os.path.join(root, *name.split("/")))
        if os.path.commonpath([root, destination]) != root or destination == root:
            raise ValueError(f"refusing to write {name!r} outside {root}")
        return destination

    def _download_file(self, url: str, destination: str, size: int, sha256: str, shown: Progress) -> None:
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        partial = f"{destination}.{os.getpid()}.part"
        digest = hashlib.sha256()
        received = 0
        connection, response = self._http.download(url)
        try:
            with open(partial, "wb") as handle:
                while True:
                    chunk = response.read(DOWNLOAD_CHUNK)
                    if not chunk:
                        break
                    handle.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    shown.advance(len(chunk))
            if received != size or digest.hexdigest() != sha256:
                raise IOError(f"{destination}: the download was incomplete or damaged ({received} of {size} bytes, sha256 mismatch)")
            os.replace(partial, destination)
        finally:
            connection.close()
            if os.path.exists(partial):
                os.remove(partial)

    # --- automation runs ---------------------------------------------------------------------------------------

    def runs(self, model: Optional[str] = None, state: Optional[str] = None) -> Iterator[Run]:
        """Every action run of the team's automations, newest first, across all pages; ``model`` keeps the runs of
        that registered model's events, ``state`` is "pending", "succeeded", "failed", "skipped" (rate limit or
        cooldown) or "superseded" (replaced by a newer run of the same subject)."""
        event_ids = None
        if model is not None:
            self.model(model)  # an unknown model is a 404, not an empty list
            event_ids = {event["id"] for event in self._pages(f"{self._team_path}/events", {"model": model})}
            if not event_ids:
                return
        for item in self._pages(f"{self._team_path}/runs", {"state": state}):
            if event_ids is None or item["eventId"] in event_ids:
                yield Run.from_api(item)
