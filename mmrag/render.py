"""Rich rendering of answers, sources and routing decisions (shared by `ask` and `chat`)."""

from __future__ import annotations

import json
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mmrag.types import Answer, KeptTrace


def _where(k: KeptTrace) -> str:
    """What a reader needs to find the source: the clip's time span, else the caption or title."""
    return k.locator or k.span or k.caption or k.title or ""


#: Marks in the sources table: the model cited the source, or it was attributed to the answer afterwards.
MARKS = {"cited": "*", "attributed": "~"}


def sources_table(answer: Answer, *, title: str = "Sources") -> Table:
    """Kept items, best first; '*' marks the ones the answer cites, '~' the ones attributed to it afterwards."""
    table = Table(title=title, title_justify="left")
    for col in ("#", "route", "source", "RS", "span / caption"):
        table.add_column(col, overflow="fold")
    marks = {c.key: MARKS[c.kind] for c in answer.citations}
    for i, k in enumerate(answer.trace.kept, 1):
        table.add_row(f"{i}{marks.get(k.key, '')}", k.route, k.key, f"{k.rs:.2f}", _where(k))
    return table


def grounding_line(answer: Answer) -> str | None:
    """How the answer is grounded, in one line (None when it had no sources: that has its own line)."""
    if answer.no_context or answer.grounding == "no_context":
        return None
    def nums(kind: str) -> str:
        return ", ".join(f"[{c.number}]" + (f" ({c.score:.2f})" if c.score is not None else "")
                         for c in answer.citations if c.kind == kind)

    if answer.grounding == "cited":
        extra = f"; attributed afterwards: {nums('attributed')} (~)" if nums("attributed") else ""
        return f"[bold]grounding:[/] cited by the model: {nums('cited')} (*){extra}"
    if answer.grounding == "attributed":
        return f"[bold]grounding:[/] [yellow]no citation written; attributed to {nums('attributed')} (~)[/]"
    cites = f"cites {nums('cited')} but " if nums("cited") else "cites no source and "
    return f"[bold]grounding:[/] [bold yellow]unsupported: the answer {cites}matches no source[/]"


def routes_line(answer: Answer) -> str:
    d = answer.trace.decision
    if d is None:
        return "[bold]routes:[/] none"
    chosen = ", ".join(f"{x} ({d.probabilities.get(x, 0):.2f})" for x in d.routes)
    extra = f"  [dim]fallback: {d.fallback}[/]" if d.fallback else ""
    return f"[bold]routes:[/] {chosen or 'none'}  [dim]router: {d.router}[/]{extra}"


def routes_table(answer: Answer) -> Table:
    """Every route's probability, chosen ones marked."""
    d = answer.trace.decision
    chosen = set(d.routes if d else [])
    table = Table(title=f"Routing ({d.router if d else ''})", title_justify="left")
    for col in ("route", "p", "chosen"):
        table.add_column(col)
    for route, p in sorted((d.probabilities if d else {}).items(), key=lambda kv: -kv[1]):
        table.add_row(route, f"{p:.3f}", "✓" if route in chosen else "")
    return table


def escape_numbers(markup: str) -> str:
    """Rich markup with "[1]"-style numbers shown literally (rich would read them as tags)."""
    import re

    return re.sub(r"\[(\d+)\]", r"\\[\1]", markup)


def timings_line(answer: Answer) -> str:
    t = answer.trace.timings
    return "  ".join(f"{k} {v * 1000:.0f} ms" for k, v in t.items())


def trace_json(answer: Answer) -> str:
    return json.dumps(answer.trace.model_dump(mode="json", exclude_none=True), indent=2, ensure_ascii=False)


def print_answer(console: Console, answer: Answer, *, show_text: bool = True) -> None:
    if show_text:
        console.print(answer.text, highlight=False, markup=False)
    console.print(routes_line(answer), highlight=False)
    if answer.no_context:
        console.print("[yellow]answered without sources (from the model's own knowledge)[/]")
    elif line := grounding_line(answer):
        console.print(escape_numbers(line), highlight=False)
    if answer.trace.kept:
        console.print(sources_table(answer))
    for note in answer.trace.notes:
        console.print(f"[dim]note: {escape(note)}[/]", highlight=False)
    if answer.trace.timings:
        console.print(f"[dim]{timings_line(answer)}[/]", highlight=False)
