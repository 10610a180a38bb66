"""A durable, append-only spool of NDJSON segment files, one folder per raw table.

The collector writes each request's accepted records as one segment: written to a temporary name,
fsync'd, renamed into place and the folder fsync'd, all before it answers 202. The loader reads
ready segments and removes them only after dlt has committed the load that contains them, so a
crash at any point leaves the segment to be loaded again (and merge on the key makes that harmless).
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

SUFFIX = ".ndjson"
TMP_PREFIX = ".tmp-"
# Folders of the spool that are not a table's: segments the warehouse refused (kept for a replay).
QUARANTINE = "_quarantine"


@dataclass(frozen=True, order=True)
class Segment:
    table: str
    path: Path

    def read(self) -> bytes:
        return self.path.read_bytes()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Spool:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _table_dir(self, table: str) -> Path:
        folder = self.root / table
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def append(self, table: str, ndjson: bytes) -> Segment | None:
        """Durably write one segment; returns it, or None when there is nothing to write."""
        if not ndjson:
            return None
        folder = self._table_dir(table)
        # Names sort by arrival time, so the loader takes the oldest first.
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:12]}{SUFFIX}"
        tmp = folder / (TMP_PREFIX + name)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(ndjson if ndjson.endswith(b"\n") else ndjson + b"\n")
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        final = folder / name
        os.rename(tmp, final)
        _fsync_dir(folder)
        return Segment(table, final)

    def tables(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("_"))

    def ready(self, table: str, limit: int | None = None) -> list[Segment]:
        folder = self.root / table
        if not folder.is_dir():
            return []
        names = sorted(p.name for p in folder.iterdir() if p.name.endswith(SUFFIX) and not p.name.startswith(TMP_PREFIX))
        if limit is not None:
            names = names[:limit]
        return [Segment(table, folder / name) for name in names]

    def pending_count(self) -> int:
        return sum(len(self.ready(table)) for table in self.tables())

    def oldest_age_s(self) -> float:
        """Seconds since the oldest segment still waiting was written (0 when none waits): the
        loader's lag. Names start with their write time in nanoseconds."""
        oldest = min((int(s.path.name.split("-", 1)[0]) for t in self.tables() for s in self.ready(t, limit=1)),
                     default=None)
        return 0.0 if oldest is None else max(0.0, (time.time_ns() - oldest) / 1e9)

    def quarantine(self, segment: Segment) -> Path:
        """Set a segment aside: the loader no longer takes it, its file stays for a replay."""
        folder = self.root / QUARANTINE / segment.table
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / segment.path.name
        os.rename(segment.path, target)
        _fsync_dir(folder)
        _fsync_dir(segment.path.parent)
        return target

    def quarantined(self) -> list[Segment]:
        folder = self.root / QUARANTINE
        if not folder.is_dir():
            return []
        return [Segment(t.name, path) for t in sorted(folder.iterdir()) for path in sorted(t.glob("*" + SUFFIX))]

    def retire(self, segments: list[Segment]) -> None:
        """Forget segments whose records are committed in the warehouse."""
        folders = set()
        for segment in segments:
            segment.path.unlink(missing_ok=True)
            folders.add(segment.path.parent)
        for folder in folders:
            _fsync_dir(folder)

    def sweep_temporaries(self, older_than_s: float = 3600) -> int:
        """Remove half-written files of a crashed writer; they were never acknowledged."""
        removed = 0
        cutoff = time.time() - older_than_s
        for table in self.tables():
            for path in (self.root / table).glob(TMP_PREFIX + "*"):
                if path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed
