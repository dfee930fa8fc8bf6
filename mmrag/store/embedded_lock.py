"""Whether another process holds the embedded store, answered without importing qdrant-client (seconds).

Qdrant's local mode takes an exclusive ``flock`` on ``<store>/.lock`` while a client has the folder open;
trying the same lock, non-blocking, tells at once whether an ``mmrag ask`` would fail to open the store.
"""

from __future__ import annotations

from pathlib import Path

from mmrag.errors import CorpusError

#: Store folders this process has open (a second flock from this process would conflict with its own).
HELD: set[str] = set()


def store_in_use(path: Path) -> CorpusError:
    return CorpusError(
        f"the embedded Qdrant store '{path}' is in use by another process: stop that process "
        "(another mmrag command), or set store.url to a Qdrant server for concurrent access"
    )


def check_store_free(path: Path) -> None:
    """Raises ``store_in_use`` when another process has the embedded store at ``path`` open."""
    lock = Path(path) / ".lock"
    if str(Path(path)) in HELD or not lock.is_file():
        return
    try:
        import fcntl
    except ImportError:  # not POSIX: opening the store will tell
        return
    with open(lock, "r+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise store_in_use(path) from None
        fcntl.flock(f, fcntl.LOCK_UN)
