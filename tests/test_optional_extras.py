"""A missing optional dependency is a one-line error naming the extra that installs it."""

from __future__ import annotations

import sys

import pytest

from mmrag.errors import ConfigError
from mmrag.optional import LazyModule, require


@pytest.mark.parametrize("module,extra,package", [
    ("ranx", "eval", "ranx"), ("matplotlib", "eval", "matplotlib"), ("prompt_toolkit", "chat", "prompt-toolkit"),
    ("faster_whisper", "media", "faster-whisper"), ("fastapi", "serve", "fastapi"),
])
def test_require_names_the_extra(monkeypatch, module, extra, package):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    with pytest.raises(ConfigError, match=rf"needs the '{package}' package.*pip install 'mmrag\[{extra}\]'"):
        require(module, extra=extra, purpose="this", package=package)


def test_reading_a_video_without_av_says_which_extra(monkeypatch, tmp_path):
    import mmrag.media.video as video

    monkeypatch.setitem(sys.modules, "av", None)
    monkeypatch.setattr(video, "av", LazyModule("av", extra="media", purpose="reading videos"))
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00" * 64)
    with pytest.raises(ConfigError, match=r"reading videos needs the 'av' package.*mmrag\[media\]"):
        video.probe(clip)


def test_the_langchain_adapters_without_langchain(monkeypatch):
    monkeypatch.setitem(sys.modules, "langchain_core", None)
    monkeypatch.delitem(sys.modules, "mmrag.integrations.langchain", raising=False)
    with pytest.raises(ConfigError, match=r"mmrag\[langchain\]"):
        import mmrag.integrations.langchain  # noqa: F401
