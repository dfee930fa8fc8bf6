"""`mmrag ingest`, `mmrag corpora`, `mmrag search`: fill the corpora's collections, list them, query one route."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.markup import escape
from rich.table import Table

from mmrag.cli.common import ConfigOption, SetOption, cli_config, console, err_console
from mmrag.errors import CorpusError, InputError


def _registry(cfg):
    from mmrag.registry import CorpusRegistry

    return CorpusRegistry.from_yaml(cfg.corpora_path)


def ingest(
    paths: Optional[list[Path]] = typer.Argument(None, help="Files or folders to ingest; default: the corpus's 'sources' from the registry. "
                                                 "Without --corpus, each file goes to the registry's corpora for its type."),
    corpus: Optional[str] = typer.Option(None, "--corpus", help="Corpus name from the registry (see `mmrag corpora`)."),
    all_: bool = typer.Option(False, "--all", help="Ingest every corpus of the registry from its sources."),
    strict: bool = typer.Option(False, "--strict", help="Exit non-zero when any input was skipped."),
    recreate: bool = typer.Option(False, "--recreate", help="Delete the corpus's collection first (needed after changing its encoders)."),
    prune: bool = typer.Option(True, "--prune/--no-prune", help="For folders: remove items of files deleted or changed since the last ingest."),
    config: Optional[Path] = ConfigOption,
    sets: Optional[list[str]] = SetOption,
) -> None:
    """Ingest files into the corpora's collections. Items already stored (same key and content) are not re-encoded.

    `mmrag ingest FOLDER` (no --corpus) sorts a mixed folder by file type: text and documents -> paragraph and
    document corpora, PDF/PPTX pages -> page, images -> image, videos -> clip and video, audio -> audio.
    """
    cfg = cli_config(config, sets)
    registry = _registry(cfg)
    if all_ and (corpus or paths):
        raise CorpusError("--all ingests every corpus from its registry sources: drop --corpus and the paths")
    if not all_ and not corpus and not paths:
        raise CorpusError(f"say what to ingest: PATH… (sorted into the corpora by type), --corpus NAME (one of {', '.join(registry.names)}) or --all")
    specs = list(registry) if (all_ or not corpus) else [registry.get(corpus)]
    for p in paths or []:
        if not p.exists():
            raise InputError(f"'{p}' does not exist: check the path (nothing was ingested)")
    if len(specs) == 1 and corpus:
        specs[0].ingest_paths(list(paths) if paths else None)
    # Imported after the checks above: the store client alone takes seconds to import.
    from mmrag.ingest import Ingestor
    from mmrag.ingest.plan import Skipped
    from mmrag.ingest.runner import IngestReport
    from mmrag.store.qdrant import open_store

    store = open_store(cfg)
    only: dict[str, set[Path]] | None = None
    if not corpus:
        only = _sort(registry, list(paths) if paths else None)
        # A corpus with no file left still runs when it has a collection: pruning removes its deleted files' items.
        specs = [s for s in specs if only.get(s.name) or (prune and store.exists(s.collection_name))]
        if not specs:
            raise CorpusError("no file of a type any corpus reads: check the paths, or add a corpus for these files to the registry")
    ingestor = Ingestor(cfg, store)
    reports = []
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True) as progress:
        for spec in specs:
            if recreate:
                store.drop(spec.collection_name)
            try:
                report = ingestor.ingest(spec, list(paths) if paths else None, progress=progress, prune=prune,
                                         only=only.get(spec.name) if only is not None else None)
            except CorpusError as e:
                if len(specs) == 1:
                    raise
                # Several corpora: one without sources must not stop the others.
                report = IngestReport(spec.name, spec.collection_name, skipped=[Skipped(spec.name, str(e))])
            for s in report.skipped:
                progress.console.print(f"[yellow]skipped[/] {s.path}: {s.reason}", highlight=False, soft_wrap=True)
            if report.ingested + report.unchanged == 0:
                progress.console.print(f"[bold yellow]corpus '{spec.name}' is empty:[/] no usable file in "
                                       f"{', '.join(str(p) for p in (paths or spec.source_paths()))}", highlight=False, soft_wrap=True)
            reports.append(report)
    table = Table(title="ingest summary")
    table.add_column("corpus", no_wrap=True)
    # "pruned" only when something was: the table stays within 80 columns otherwise.
    pruned = any(r.pruned for r in reports)
    for col in ("ingested", "unchanged", "replaced", *(["pruned"] if pruned else []), "skipped", "points", "s"):
        table.add_column(col, justify="right")
    for r in reports:
        table.add_row(r.corpus, str(r.ingested), str(r.unchanged), str(r.replaced), *([str(r.pruned)] if pruned else []),
                      str(len(r.skipped)), str(r.points), f"{r.seconds:.1f}")
    console.print(table)
    if all(r.ingested + r.unchanged == 0 for r in reports):
        raise CorpusError("nothing could be ingested: check the paths and the skipped lines above")
    if strict and any(r.failed for r in reports):
        err_console.print(f"[bold red]--strict:[/] {sum(len(r.skipped) for r in reports)} input(s) skipped")
        raise typer.Exit(2)


def _sort(registry, paths: list[Path] | None) -> dict[str, set[Path]]:
    """Files per corpus by type (paths given: every corpus; else each corpus's own sources); says where each went."""
    from mmrag.ingest.sorting import sort_files

    if paths is not None:
        result = sort_files(paths, registry)
        by_corpus, where, unknown, missing = result.by_corpus, result.where, result.unknown, result.missing
    else:
        by_corpus, where, unknown, missing = {}, {}, [], []
        for spec in registry:
            r = sort_files(spec.source_paths(), [spec])
            by_corpus[spec.name] = r.by_corpus[spec.name]
            for f, names in r.where.items():
                where.setdefault(f, []).extend(names)
            missing += [m for m in r.missing if m not in missing]
        unknown = [f for f in sort_files([p for s in registry for p in s.source_paths()], registry).unknown]
    for m in missing:
        err_console.print(f"[yellow]skipped[/] {m}: path does not exist: check the path or the corpus 'sources'", highlight=False, soft_wrap=True)
    for f in unknown:
        err_console.print(f"[yellow]skipped[/] {f}: no corpus in the registry reads '{f.suffix or f.name}' files: "
                          "add one (see `mmrag init`) or remove the file", highlight=False, soft_wrap=True)
    if paths is not None:
        if len(where) <= 40:
            for f, names in where.items():
                err_console.print(f"{f} → {', '.join(names)}", highlight=False, soft_wrap=True)
        else:
            for name, files in by_corpus.items():
                if files:
                    exts = sorted({f.suffix.lower() for f in files})
                    err_console.print(f"{name} ← {len(files)} files ({', '.join(exts)})", highlight=False, soft_wrap=True)
    return by_corpus


def corpora(config: Optional[Path] = ConfigOption, sets: Optional[list[str]] = SetOption) -> None:
    """List the registry's corpora: route, kind (modality/granularity), collection, stored items and points, encoders, storage."""
    from mmrag.store.qdrant import open_store

    cfg = cli_config(config, sets)
    registry = _registry(cfg)
    store = open_store(cfg)
    rows = []
    for spec in registry:
        coll = spec.collection_name
        if store.exists(coll):
            _, enc = store.describe(coll)
            items, points = store.count(coll, heads_only=True), store.count(coll)
            encoders = ", ".join(f"{k}={v}" for k, v in enc.items())
        else:
            items = points = 0
            encoders = "(not ingested)"
        rows.append([spec.name, spec.route, f"{spec.modality}/{spec.granularity}", coll, str(items), str(points), encoders])
    # Storage, and usually the encoders, are the same for every corpus: say them once, under the table,
    # so the table stays narrow; an encoders column appears only when corpora differ.
    ingested = {r[6] for r in rows if r[6] != "(not ingested)"}
    shared = len(ingested) <= 1
    caption = f"storage: {store.location}" + (f"\nencoders: {next(iter(ingested))}" if shared and ingested else "")
    table = Table(title=f"corpora ({cfg.corpora_path})", caption=caption)
    for col in ("corpus", "route", "kind", "collection", "items", "points"):
        table.add_column(col, justify="right" if col in ("items", "points") else "left", no_wrap=col != "collection", overflow="fold")
    if not shared:
        table.add_column("encoders", overflow="fold")
    for r in rows:
        table.add_row(*(r if not shared else r[:6]))
    console.print(table)


def search(
    query: str = typer.Argument(..., help="The query text."),
    route: str = typer.Option(..., "--route", "-r", help="Route whose collection to search (see `mmrag corpora`)."),
    n: int = typer.Option(5, "-n", help="Number of hits."),
    image: Optional[Path] = typer.Option(None, "--image", help="Query image (used on collections with an image vector)."),
    as_json: bool = typer.Option(False, "--json", help="Print hits as JSON lines."),
    config: Optional[Path] = ConfigOption,
    sets: Optional[list[str]] = SetOption,
) -> None:
    """Search one route's collection: rank, score, key, title/caption/snippet and time span of each hit."""
    from mmrag.retrieval import CollectionRetriever

    cfg = cli_config(config, sets)
    img = None
    if image is not None:
        from mmrag.media.images import load_image

        img = load_image(image)
    hits = CollectionRetriever(cfg).search(query, route, n=n, image=img).hits
    if as_json:
        for h in hits:
            console.print_json(json.dumps({"rank": h.rank, "score": h.score, "key": h.item.key, "route": h.route,
                                           "title": h.item.title, "span": h.item.span, "matched_chunk": h.matched_chunk,
                                           "item": h.item.model_dump(mode="json")}), indent=None)
        return
    table = Table(title=f"{route}: {query}")
    for col in ("rank", "score", "key", "title / snippet", "span"):
        table.add_column(col)
    for h in hits:
        snippet = h.matched_chunk or h.item.text_view or ""
        snippet = escape(" ".join(snippet.split()))
        title = escape(h.item.title or "")
        label = f"[bold]{title}[/]\n" if title and title not in snippet else ""
        table.add_row(str(h.rank), f"{h.score:.3f}", h.item.key, label + (snippet[:160] + ("…" if len(snippet) > 160 else "")),
                      h.item.span or "")
    console.print(table)
    if not hits:
        console.print("no hits")


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("corpora")(corpora)
    app.command("search")(search)
