"""Local table state is trusted only after a clean shutdown.

RocksDB applies a table write at once; its changelog record is sent later. After a crash the
local files can hold writes the changelog never received, and replayed events that find their
own position already stored are skipped, so the changelog would stay behind for good and the
next worker to recover from it would lose those writes. A marker file tells a crash from a clean
stop; after a crash the local tables are discarded and rebuilt from the changelogs, as a new
worker would (docs/architecture.md, "Write order and crashes").
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

MARKER_NAME = "worker-running"


@contextmanager
def local_state_guard(table_dir: Path, marker_dir: Path) -> Iterator[bool]:
    """Discard `table_dir` if the previous worker did not stop cleanly; yields whether it did.

    The marker exists while a worker runs and is removed only when the block exits without an
    exception (a clean stop). A SIGKILL, a crash or a failed stop leaves it in place.
    """
    marker_dir.mkdir(parents=True, exist_ok=True)
    marker = marker_dir / MARKER_NAME
    crashed = marker.exists()
    if crashed and table_dir.exists():
        log.warning("the previous worker did not stop cleanly: discarding local table state "
                    "in %s; it is recovered from the changelogs", table_dir)
        shutil.rmtree(table_dir)
    marker.write_text("a worker is running, or did not stop cleanly\n")
    yield not crashed
    marker.unlink(missing_ok=True)
