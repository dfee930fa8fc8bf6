"""Reading YAML files that must hold a mapping, with one-line errors naming the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from mmrag.errors import ConfigError


def load_yaml_mapping(path: str | Path, what: str, missing_hint: str) -> dict[str, Any]:
    """The mapping in ``path``; ``what`` names the file in errors ("config file", "corpus registry")."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{what} '{p}' not found: {missing_hint}")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{what} '{p}' is not valid YAML: {str(e).splitlines()[0]}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{what} '{p}' is not UTF-8 text: save it as UTF-8") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{what} '{p}' must hold a mapping at the top level")
    return data
