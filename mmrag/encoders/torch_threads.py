"""How many torch threads an encode call uses."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_THREADS_LOCK = threading.Lock()
#: Batches up to this size (a query or a few) run on one torch thread.
SMALL_BATCH = 4


@contextmanager
def threads_for_batch(n_texts: int) -> Iterator[None]:
    """A query is a tiny forward pass: extra intra-op threads only add synchronisation, and on a busy
    CPU they make it ~10x slower (measured 635 ms vs 43 ms per query under load). Larger batches keep
    torch's setting. Restores the setting."""
    if n_texts > SMALL_BATCH:
        yield
        return
    import torch

    with _THREADS_LOCK:
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(before)
