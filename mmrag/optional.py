"""Optional dependencies: imported on first use, with a one-line install hint naming the extra when missing.

    av = LazyModule("av", extra="media", purpose="reading videos")
    av.open(path)          # imports av here; without it: MissingDependencyError "... pip install 'mmrag[media]'"
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from mmrag.errors import MissingDependencyError


def require(module: str, *, extra: str, purpose: str, package: str | None = None) -> ModuleType:
    """``module`` imported, or a MissingDependencyError saying which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        missing = e.name or module
        raise MissingDependencyError(
            f"{purpose} needs the '{package or missing}' package, which is not installed: pip install 'mmrag[{extra}]'"
        ) from None


class LazyModule:
    """A module proxy that imports on first attribute access (so importing mmrag never needs the extra)."""

    def __init__(self, module: str, *, extra: str, purpose: str, package: str | None = None):
        self._spec = (module, extra, purpose, package)
        self._module: ModuleType | None = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if self._module is None:
            module, extra, purpose, package = self._spec
            self._module = require(module, extra=extra, purpose=purpose, package=package)
        return getattr(self._module, name)
