"""User-facing errors.

Every error a user can cause (bad input, missing file, unreachable server) is an ``MMRAGError``
whose message is one line naming the thing and what to do. The CLI prints it without a traceback
and exits non-zero; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class MMRAGError(Exception):
    """A user-facing error with a one-line, actionable message."""


class ConfigError(MMRAGError):
    """Invalid or inconsistent configuration."""


class MissingDependencyError(ConfigError):
    """An optional package a feature needs is not installed (the message names the extra to install)."""


class InputError(MMRAGError):
    """An input file, query or record that cannot be used."""


class CorpusError(MMRAGError):
    """A corpus that is missing, empty or inconsistent with the registry."""


class ServerError(MMRAGError):
    """A model server that is unreachable or answered with an error."""


class ModelError(MMRAGError):
    """A model that cannot be found or loaded."""
