"""`mmrag init FOLDER`: write a starting corpus registry for a folder of mixed files."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
import yaml

from mmrag.cli.common import console
from mmrag.errors import InputError


def init(
    folder: Path = typer.Argument(..., help="Folder of files (text, documents, images, videos, audio)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Registry file to write; default: FOLDER/../<folder name>.yaml."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing registry file."),
) -> None:
    """Write a corpus registry with one corpus per kind of file found in FOLDER (then: mmrag ingest --all)."""
    from mmrag.ingest.init_registry import registry_for_folder

    if not folder.is_dir():
        raise InputError(f"'{folder}' is not a folder: give the folder that holds your files")
    out = out or folder.resolve().parent / f"{folder.resolve().name}.yaml"
    if out.exists() and not force:
        raise InputError(f"'{out}' exists: pass --force to overwrite it, or --out another file")
    data, counts = registry_for_folder(folder, out)
    if not counts:
        raise InputError(f"'{folder}' has no file mmrag reads (text, documents, images, videos, audio): check the folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    header = ("# Corpus registry written by `mmrag init`: one corpus = one Qdrant collection = one route.\n"
              "# Edit descriptions (the router reads them), then: mmrag ingest --all --set corpora=THIS_FILE\n")
    out.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=200), encoding="utf-8")
    for c in data["corpora"]:
        console.print(f"{c['name']}: route {c['route']} ({c['modality']}/{c['granularity']}), {counts[c['route']]} file(s)", highlight=False)
    console.print(f"wrote {out}: ingest with `mmrag ingest --all --set corpora={out}`", highlight=False, soft_wrap=True)


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    app.command("init")(init)
