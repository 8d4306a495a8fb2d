"""A multipart/form-data body generated chunk by chunk from files on disk, with its length known in advance: an
upload of any size holds one chunk in memory, never a whole file."""

import os
import uuid
from dataclasses import dataclass
from typing import Iterable, Iterator, List, Sequence, Tuple, Union

CHUNK_SIZE = 1024 * 1024

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class LocalFile:
    """A file to upload: where it is on disk, its path in the artifact, and its size when the upload was planned."""

    local_path: str
    name: str
    size: int


def check_artifact_path(name: str) -> str:
    """The rules the server applies to a file's path in an artifact, checked before any byte is sent."""
    if name == "":
        raise ValueError("a file needs a name (its path in the artifact)")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name) or "\\" in name:
        raise ValueError(f"{name!r}: artifact paths may not contain control characters or backslashes")
    if name.startswith("/") or any(segment in ("", ".", "..") for segment in name.split("/")):
        raise ValueError(f"{name!r}: artifact paths are relative, without empty, '.' or '..' segments")
    return name


def collect_files(paths: Iterable[PathLike]) -> List[LocalFile]:
    """Files and directories as the artifact will hold them: a file under its own name, a directory's files under
    the directory's name and their path inside it (``config/`` → ``config/train.yaml``, ``config/data/a.json``)."""
    files: List[LocalFile] = []
    for entry in paths:
        local = os.fspath(entry)
        if os.path.isdir(local):
            root = os.path.abspath(local)
            prefix = os.path.basename(root)
            for directory, subdirectories, names in os.walk(root):
                subdirectories.sort()
                for file_name in sorted(names):
                    full = os.path.join(directory, file_name)
                    if not os.path.isfile(full):
                        continue  # sockets, fifos, broken links: nothing to upload
                    relative = os.path.relpath(full, root).replace(os.sep, "/")
                    files.append(LocalFile(full, f"{prefix}/{relative}", os.path.getsize(full)))
        elif os.path.isfile(local):
            files.append(LocalFile(os.path.abspath(local), os.path.basename(os.path.abspath(local)), os.path.getsize(local)))
        else:
            raise FileNotFoundError(f"{local}: no such file or directory")
    seen = set()
    for item in files:
        check_artifact_path(item.name)
        if item.name in seen:
            raise ValueError(f"{item.name!r} would appear twice in the artifact; upload one of them under another directory")
        seen.add(item.name)
    if not files:
        raise ValueError("no files to upload (the directories given are empty)")
    return files


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


class MultipartBody:
    """Text fields first, then one ``file`` part per file, its filename being its path in the artifact."""

    def __init__(self, fields: Sequence[Tuple[str, str]], files: Sequence[LocalFile], chunk_size: int = CHUNK_SIZE):
        self.boundary = f"modelyard-{uuid.uuid4().hex}"
        self.content_type = f"multipart/form-data; boundary={self.boundary}"
        self.files = list(files)
        self.chunk_size = chunk_size
        self._field_bytes = b"".join(self._field(name, value) for name, value in fields)
        self._closing = f"--{self.boundary}--\r\n".encode()
        self.length = (
            len(self._field_bytes)
            + sum(len(self._file_header(f)) + f.size + 2 for f in self.files)
            + len(self._closing)
        )

    def _field(self, name: str, value: str) -> bytes:
        head = f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        return head.encode() + value.encode("utf-8") + b"\r\n"

    def _file_header(self, item: LocalFile) -> bytes:
        return (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{_quote(item.name)}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode("utf-8")

    def chunks(self) -> Iterator[bytes]:
        yield self._field_bytes
        for item in self.files:
            yield self._file_header(item)
            sent = 0
            with open(item.local_path, "rb") as handle:
                while True:
                    chunk = handle.read(min(self.chunk_size, item.size - sent))
                    if not chunk:
                        break
                    sent += len(chunk)
                    yield chunk
                    if sent == item.size:
                        break
                grew = sent == item.size and handle.read(1) != b""
            # The announced Content-Length is a promise: a file that changed size while uploading breaks it.
            if sent != item.size or grew:
                raise IOError(f"{item.local_path} changed size during the upload ({item.size} bytes planned, {sent} read)")
            yield b"\r\n"
        yield self._closing
