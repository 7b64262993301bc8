"""The bounded ledger of the files the file sources (email, web) loaded, kept in dlt state.

A file is known by its *content*: a file is read when its listing shows it may have been written since it was
loaded, and then loaded only if the SHA-256 of the bytes just read differs from the one recorded. See
:class:`FileLedger`.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
from datetime import datetime, timedelta
from typing import Any, Iterable, Iterator

import dlt
from dlt.common.storages.configuration import FilesystemConfiguration
from dlt.sources.filesystem import FileItemDict

#: A folder whose newest file is this much older than the newest file loaded is summarized (sealed).
SEAL_AFTER = timedelta(days=3)
#: Names kept one by one at most (beyond, the oldest folders are sealed even if recent).
MAX_OPEN_NAMES = 20_000

Batch = list[tuple[FileItemDict, bytes]]


def content_hash(data: bytes) -> str:
    """64 bits of the file's SHA-256 (hex): compared only with the same name's previous content, so a chance
    collision is 2^-64; SHA-256 runs at ~1.6 GB/s here (SHA extensions), 2x BLAKE2b."""
    return hashlib.sha256(data).hexdigest()[:16]


def _h64(*parts: str) -> int:
    return int.from_bytes(hashlib.blake2b("\0".join(parts).encode(), digest_size=8).digest(), "big")


def _stamp(item: FileItemDict) -> str:
    mtime = item.get("modification_date")
    return mtime.isoformat() if isinstance(mtime, datetime) else str(mtime)


def _version(item: FileItemDict) -> str:
    """A token that changes whenever the file is written (hex): modification time and size, and for a local file
    its inode change time and inode. ``os.utime``, ``cp -p`` and ``rsync -a`` can put an old modification time
    back, never the change time, so a file rewritten in place with the same size and mtime still shows.
    (An object store sets Last-Modified itself on every write.)"""
    parts = [_stamp(item), str(item.get("size_in_bytes"))]
    url = str(item.get("file_url", ""))
    if url.startswith("file:"):
        try:
            st = os.stat(FilesystemConfiguration.make_local_path(url))
            parts += [str(st.st_ctime_ns), str(st.st_ino), str(st.st_size)]
        except (OSError, ValueError):
            pass  # gone since the listing: reading it will say so
    return format(_h64(*parts), "016x")


def _folder(path: str) -> str:
    return posixpath.dirname(path)


def _name(item: FileItemDict) -> str:
    return posixpath.basename(item["relative_path"])


class FileLedger:
    """Which files were loaded, in a bounded amount of state (a JSON-able dict, kept in dlt state).

    * **Open folders** (recent ones): per loaded file ``[mtime, version, content hash]`` (:func:`_version`,
      :func:`content_hash`). A file listed with the same version is skipped unread. A file not listed yet or
      with another version (touched, re-delivered, rewritten in place even with the same mtime and size) is
      read; if its content hash is the one recorded, nothing is loaded (the new version is recorded), else it
      is loaded, and the merges on event ids make only its new events land.
    * **Sealed folders**: once a folder's newest file is :data:`SEAL_AFTER` older than the newest file loaded
      (or the open names exceed :data:`MAX_OPEN_NAMES`), its names are replaced by
      ``[count, version sum, newest mtime, content sum]``: the sums (mod 2^64) of a 64-bit hash of each
      ``(name, version)`` and ``(name, content hash)``, a few dozen bytes per folder/day whatever its number of
      files. A sealed folder whose listing gives the same count and version sum is skipped without reading.
      One file more whose hash is exactly the difference is the late file: only it is read. After any other
      change the folder's files are read and hashed: the same content sum means nothing was rewritten (files
      touched or copied again): the seal takes the new versions and nothing is loaded. Otherwise the folder is
      loaded again (which file changed cannot be told from a sum); the events' insert-only merge on their ids
      and the quarantine's merge on its fingerprints make that harmless, and the run report counts the rows
      that landed (``ingestion.pipelines.report_for``).

    Why not ``dlt.sources.incremental("modification_date")``: a file that lands late with an older
    modification time (``rsync -a``, ``cp -p``, a re-delivered export, clock skew between writers) would be
    skipped forever.

    Earlier states are read as they are: an open entry that is a plain mtime string, and a sealed entry of three
    fields (``(name, mtime)`` hashes), keep matching on the modification time until the folder changes.
    """

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state
        legacy = {k: v for k, v in state.items() if isinstance(v, str)}
        if legacy:  # the unbounded ledger of earlier versions: {relative path: modification time}
            for path, stamp in legacy.items():
                del state[path]
                state.setdefault("open", {}).setdefault(_folder(path), {})[posixpath.basename(path)] = stamp
        self.open: dict[str, dict[str, Any]] = state.setdefault("open", {})
        self.sealed: dict[str, list[Any]] = state.setdefault("sealed", {})
        self._versions: dict[str, str] = {}  # relative path -> version, as listed in this run
        self._digests: dict[str, str] = {}  # relative path -> content hash of the bytes read in this run
        self._recheck: dict[str, list[FileItemDict]] = {}  # changed sealed folders whose content sum is known

    def version(self, item: FileItemDict) -> str:
        path = item["relative_path"]
        if path not in self._versions:
            self._versions[path] = _version(item)
        return self._versions[path]

    def _key(self, item: FileItemDict, legacy: bool) -> int:
        return _h64(_name(item), _stamp(item) if legacy else self.version(item))

    def new(self, items: Iterable[FileItemDict]) -> Iterator[FileItemDict]:
        """Yields the files to read: not loaded yet, or possibly written since (see the class)."""
        by_folder: dict[str, list[FileItemDict]] = {}
        for item in items:
            by_folder.setdefault(_folder(item["relative_path"]), []).append(item)
        for folder, files in by_folder.items():
            seal = self.sealed.get(folder)
            if seal is None:
                names = self.open.get(folder, {})
                yield from (f for f in files if not self._same_version(names.get(_name(f)), f))
                continue
            legacy = len(seal) == 3
            count, total = seal[0], int(seal[1], 16)
            hashes = [self._key(f, legacy) for f in files]
            listed = sum(hashes) % 2**64
            if len(files) == count and listed == total:
                continue
            late = (listed - total) % 2**64
            if len(files) == count + 1 and late in hashes:
                yield files[hashes.index(late)]
                continue
            if not legacy and seal[3] is not None:
                self._recheck[folder] = files  # read and hashed first (:meth:`batches`)
                yield from files
                continue
            del self.sealed[folder]  # changed beyond one late file: read the folder again
            self.open.pop(folder, None)
            yield from files

    def _same_version(self, entry: Any, item: FileItemDict) -> bool:
        if entry is None:
            return False
        if isinstance(entry, str):  # an entry of earlier versions: the modification time only
            return entry == _stamp(item)
        return entry[1] == self.version(item)

    def batches(self, items: Iterable[FileItemDict], max_bytes: int) -> Iterator[Batch]:
        """The files whose content is new, with their bytes (read through the dlt filesystem item, so any bucket
        works), in batches of about ``max_bytes``: memory is bounded by the batch, not by the bucket. A file read
        whose content is the one already loaded is recorded (:meth:`mark`) and left out. Each file is read once,
        except the files of a changed sealed folder whose content did change (read to hash, then to load)."""
        batch: Batch = []
        size = 0
        for item, data in self._read(self.new(items), max_bytes):
            if self._known_content(item):
                self.mark(item)
                continue
            batch.append((item, data))
            size += len(data)
            if size >= max_bytes:
                yield batch
                batch, size = [], 0
        if batch:
            yield batch

    def _read(self, items: Iterable[FileItemDict], max_bytes: int) -> Iterator[tuple[FileItemDict, bytes]]:
        pending: dict[str, list[FileItemDict]] = {}
        for item in items:
            folder = _folder(item["relative_path"])
            if folder not in self._recheck:
                data = item.read_bytes()
                self._digests[item["relative_path"]] = content_hash(data)
                yield item, data
                continue
            pending.setdefault(folder, []).append(item)
            if len(pending[folder]) == len(self._recheck[folder]):
                yield from self._recheck_folder(folder, pending.pop(folder), max_bytes)

    def _recheck_folder(self, folder: str, files: list[FileItemDict], max_bytes: int) -> Iterator[tuple[FileItemDict, bytes]]:
        """A changed sealed folder: its files are hashed; the same content as sealed loads nothing."""
        kept: dict[str, bytes] = {}
        size = 0
        for item in files:
            data = item.read_bytes()
            self._digests[item["relative_path"]] = content_hash(data)
            size += len(data)
            if size <= max_bytes:  # small folders are not read twice
                kept[item["relative_path"]] = data
        del self._recheck[folder]
        seal = self.sealed[folder]
        content = sum(_h64(_name(f), self._digests[f["relative_path"]]) for f in files) % 2**64
        if len(files) == seal[0] and format(content, "x") == seal[3]:
            seal[1] = format(sum(self._key(f, False) for f in files) % 2**64, "x")
            seal[2] = max(_stamp(f) for f in files)
            return
        del self.sealed[folder]
        self.open.pop(folder, None)
        for item in files:
            path = item["relative_path"]
            yield item, kept[path] if path in kept else item.read_bytes()

    def _known_content(self, item: FileItemDict) -> bool:
        seal = self.sealed.get(_folder(item["relative_path"]))
        entry = None if seal is not None else self.open.get(_folder(item["relative_path"]), {}).get(_name(item))
        return isinstance(entry, list) and entry[2] is not None and entry[2] == self._digests.get(item["relative_path"])

    def mark(self, item: FileItemDict) -> None:
        """Records ``item`` as loaded (with the content hash of its bytes, when :meth:`batches` read them)."""
        folder, name, stamp = _folder(item["relative_path"]), _name(item), _stamp(item)
        digest = self._digests.get(item["relative_path"])
        seal = self.sealed.get(folder)
        if seal is not None:  # the one late file of a sealed folder
            legacy = len(seal) == 3
            seal[0] += 1
            seal[1] = format((int(seal[1], 16) + self._key(item, legacy)) % 2**64, "x")
            seal[2] = max(seal[2], stamp)
            if not legacy:
                seal[3] = None if seal[3] is None or digest is None else format(
                    (int(seal[3], 16) + _h64(name, digest)) % 2**64, "x")
        else:
            self.open.setdefault(folder, {})[name] = [stamp, self.version(item), digest]

    def compact(self) -> None:
        """Seals the folders old enough (see the class) and, beyond :data:`MAX_OPEN_NAMES`, the oldest others."""
        newest = {folder: max(_entry_stamp(e) for e in names.values()) for folder, names in self.open.items() if names}
        if not newest:
            return
        horizon = _shift(max([*newest.values(), *(s[2] for s in self.sealed.values())]), -SEAL_AFTER)
        order = sorted(newest, key=lambda folder: (newest[folder], folder))
        size = sum(len(names) for names in self.open.values())
        for folder in order:
            if newest[folder] >= horizon and size <= MAX_OPEN_NAMES:
                break
            names = self.open.pop(folder)
            size -= len(names)
            self.sealed[folder] = _seal(names, newest[folder])


def _entry_stamp(entry: Any) -> str:
    return entry if isinstance(entry, str) else entry[0]


def _seal(names: dict[str, Any], newest: str) -> list[Any]:
    """The summary of an open folder; of the earlier form (mtime hashes) if any entry is of the earlier form."""
    if any(isinstance(e, str) for e in names.values()):
        total = sum(_h64(name, _entry_stamp(e)) for name, e in names.items()) % 2**64
        return [len(names), format(total, "x"), newest]
    versions = sum(_h64(name, e[1]) for name, e in names.items()) % 2**64
    known = all(e[2] is not None for e in names.values())
    content = sum(_h64(name, e[2]) for name, e in names.items()) % 2**64 if known else None
    return [len(names), format(versions, "x"), newest, format(content, "x") if known else None]


def _shift(stamp: str, delta: timedelta) -> str:
    try:
        return (datetime.fromisoformat(stamp) + delta).isoformat()
    except ValueError:
        return stamp


class LoadedFiles(FileLedger):
    """The :class:`FileLedger` of a resource, in its source's dlt state (committed with the load, so a failed
    load forgets nothing)."""

    def __init__(self, resource: str) -> None:
        super().__init__(dlt.current.source_state().setdefault("loaded_files", {}).setdefault(resource, {}))
