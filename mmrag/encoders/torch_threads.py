"""How many threads torch uses in a process that answers questions: set once, never flipped per call."""

from __future__ import annotations

import sys


def set_torch_threads(n: int | None) -> None:
    """Set torch's intra-op thread count for this process, once, when a pipeline has loaded (None: leave it).

    The setting is process-wide, so it is never flipped per call (threads encoding at the same time would race
    on it). A query is a tiny forward pass: on a busy CPU, extra intra-op threads only add synchronisation
    (measured on this 2-core machine under load: 375 ms per query embedding with 2 threads, 29 ms with 1).
    Nothing to do when no stage imported torch (the ONNX text encoder has its own one-thread query session).
    """
    torch = sys.modules.get("torch")
    if n is None or torch is None:
        return
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
