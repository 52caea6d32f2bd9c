"""Where the files every host reads are kept: the extract snapshots and their reject lists. A
folder (var/ of the workspace by default, or a shared one) or object storage, addressed by URL
and reached through pyarrow's filesystems, so that a second web or scheduler host, and the
workers of a compute cluster, read the same files as the host that wrote them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs

from outbound.errors import UserError


@dataclass(frozen=True)
class Storage:
    """The store at URL: keys are relative paths with '/' ("snapshots/2026-10/...")."""

    url: str
    fs: pafs.FileSystem = field(compare=False)
    root: str

    def path(self, key: str) -> str:
        return f"{self.root.rstrip('/')}/{key}"

    def local_path(self, key: str) -> Path | None:
        """KEY as a path of this host's filesystem, when the store is a folder."""
        if isinstance(self.fs, pafs.LocalFileSystem):
            return Path(self.path(key))
        return None

    def exists(self, key: str) -> bool:
        return self.fs.get_file_info(self.path(key)).type != pafs.FileType.NotFound

    def write(self, key: str, data: bytes) -> None:
        """Write DATA at KEY whole or not at all: readers never see half a file."""
        with self.writing(key) as stream:
            stream.write(data)

    @contextmanager
    def writing(self, key: str) -> Iterator[pa.NativeFile]:
        """A stream that becomes the file at KEY when the block ends, and nothing if it fails."""
        target = self.path(key)
        folder, name = target.rsplit("/", 1)
        self.fs.create_dir(folder, recursive=True)
        if not isinstance(self.fs, pafs.LocalFileSystem):
            # An object store shows an object once its upload completes; one that a failure
            # cut short is never recorded in the database, and the next try writes it again.
            with self.fs.open_output_stream(target) as stream:
                yield stream
            return
        # A local write goes to a hidden name first (leftovers.sweep removes the ones a killed
        # process left) and is renamed into place when whole.
        temporary = f"{folder}/.{name}.{os.getpid()}.tmp"
        try:
            with self.fs.open_output_stream(temporary) as stream:
                yield stream
            self.fs.move(temporary, target)
        finally:
            if self.fs.get_file_info(temporary).type != pafs.FileType.NotFound:
                self.fs.delete_file(temporary)


def open_storage(url: str, workspace: Path) -> Storage:
    """The store at URL: a URI pyarrow knows (file://, s3://, gs://, hdfs://...), or a folder,
    relative to WORKSPACE unless absolute."""
    if "://" not in url:
        folder = Path(url) if Path(url).is_absolute() else workspace / url
        return Storage(url, pafs.LocalFileSystem(), str(folder.resolve()))
    try:
        fs, root = pafs.FileSystem.from_uri(url)
    except (OSError, ValueError) as e:  # pyarrow's ArrowInvalid is a ValueError
        raise UserError(
            f"config.toml [storage] url = {url!r}: {e}. Use a folder, or a URL such as "
            "s3://bucket/outbound?region=cn-north-1 (credentials from the environment)",
            "bad_storage_url",
        ) from None
    return Storage(url, fs, root)
