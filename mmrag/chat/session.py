"""``ChatSession``: one conversation with a pipeline — history, follow-up rewriting, slash commands.

It reads one input line at a time and writes to a rich ``Console``; the terminal loop (prompt-toolkit)
lives in the CLI, so tests drive the session through ``handle`` with a console writing to a buffer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image
from rich.console import Console
from rich.markup import escape

from mmrag.chat.rewrite import QueryRewriter, Rewrite
from mmrag.render import print_answer, routes_table, sources_table, trace_json
from mmrag.errors import InputError, MMRAGError
from mmrag.types import Answer

HELP = """\
[bold]Ask a question[/], or use a command:
  /sources          the last answer's kept items with their RS
  /route            the last routing decision (every route's probability)
  /trace            the last answer's whole trace (JSON)
  /k N              keep at most N items (now: {k})
  /tau X            keep items with RS ≥ X, 0 ≤ X ≤ 1 (now: {tau})
  /routes auto|R,…  let the router choose, or fix the routes, e.g. /routes paragraph,image (now: {routes})
  /image PATH       attach an image to the next question
  /reset            forget the conversation (history, attached image)
  /help             this help
  /quit             leave"""


@dataclass
class Turn:
    question: str
    standalone: str
    answer: Answer
    rewrite: Rewrite | None = None


class ChatSession:
    """A multi-turn conversation; ``handle(line)`` returns False when the user quits."""

    def __init__(self, pipeline: Any, console: Console, *, rewrite: bool = True, stream: bool = True,
                 rewriter: QueryRewriter | None = None):
        self.pipeline = pipeline
        self.console = console
        self.stream = stream
        self._rewrite = rewrite
        self._rewriter = rewriter
        self.history: list[Turn] = []
        self.k: int | None = None
        self.tau: float | None = None
        self.routes: list[str] | None = None
        self.image: Image.Image | None = None
        self.image_path: str | None = None
        self._commands: dict[str, Callable[[str], bool]] = {
            "sources": self._sources, "route": self._route, "trace": self._trace, "k": self._set_k,
            "tau": self._set_tau, "routes": self._set_routes, "image": self._attach, "reset": self._reset,
            "help": self._help, "quit": self._quit, "exit": self._quit,
        }

    @property
    def last(self) -> Answer | None:
        return self.history[-1].answer if self.history else None

    @property
    def rewriter(self) -> QueryRewriter:
        if self._rewriter is None:
            self._rewriter = QueryRewriter(self.pipeline.generator)
        return self._rewriter

    # -- input ---------------------------------------------------------------------------------
    def handle(self, line: str) -> bool:
        """One line of input: a question or a /command. User mistakes print one line; the session goes on."""
        line = line.strip()
        if not line:
            return True
        try:
            if line.startswith("/"):
                name, _, arg = line[1:].partition(" ")
                cmd = self._commands.get(name.lower())
                if cmd is None:
                    raise InputError(f"unknown command '/{name}': type /help for the commands")
                return cmd(arg.strip())
            self.ask(line)
        except MMRAGError as e:
            self._error(str(e))
        return True

    def ask(self, question: str) -> Answer:
        """Rewrite a follow-up into a standalone query, then route, retrieve, rerank and answer it."""
        standalone = question
        rewrite: Rewrite | None = None
        if self._rewrite and self.history:
            pairs = [(t.standalone, t.answer.text) for t in self.history]
            rewrite = self.rewriter.rewrite_checked(pairs, question)
            standalone = rewrite.standalone
            if not rewrite.accepted:
                # Say why the model's rewrite was not used: the user sees what is searched instead.
                self.console.print(f"[dim]rewrite {escape(repr(rewrite.proposed))} not used: {escape(rewrite.reason or '')}; "
                                   "asking with the previous question[/]", highlight=False)
            if standalone != question:
                self.console.print(f"[dim]→ {escape(standalone)}[/]", highlight=False)
        kwargs = {"routes": self.routes, "k": self.k, "tau": self.tau}
        image, self.image, self.image_path = self.image, None, None  # an image goes with one question
        if self.stream:
            answer = None
            for part in self.pipeline.stream(standalone, image, **kwargs):
                if isinstance(part, Answer):
                    answer = part
                else:
                    self.console.print(part, end="", markup=False, highlight=False, soft_wrap=True)
            self.console.print()
            assert answer is not None, "the generator's stream ended without an Answer"
            print_answer(self.console, answer, show_text=False)
        else:
            answer = self.pipeline.ask(standalone, image, **kwargs)
            print_answer(self.console, answer)
        answer.trace.question = question
        if rewrite is not None:
            answer.trace.rewrite = rewrite.model_dump()
        self.history.append(Turn(question=question, standalone=standalone, answer=answer, rewrite=rewrite))
        return answer

    # -- commands ------------------------------------------------------------------------------
    def _need_answer(self) -> Answer:
        if self.last is None:
            raise InputError("no answer yet: ask a question first")
        return self.last

    def _sources(self, arg: str) -> bool:
        answer = self._need_answer()
        if answer.trace.kept:
            self.console.print(sources_table(answer))
        else:
            self.console.print("no sources were kept for the last answer")
        dropped = answer.trace.dropped
        if dropped:
            self.console.print(f"[dim]{len(dropped)} candidates dropped; best: "
                               f"{escape(dropped[0].key)} (RS {dropped[0].rs:.2f})[/]", highlight=False)
        return True

    def _route(self, arg: str) -> bool:
        self.console.print(routes_table(self._need_answer()))
        return True

    def _trace(self, arg: str) -> bool:
        self.console.print(trace_json(self._need_answer()), markup=False, highlight=False, soft_wrap=True)
        return True

    def _set_k(self, arg: str) -> bool:
        try:
            k = int(arg)
        except ValueError:
            raise InputError(f"/k needs a whole number ≥ 0, e.g. /k 3 (got '{arg}')") from None
        self.pipeline.check_options(k=k, store=False)  # the selector's own rule (one error for one mistake)
        self.k = k
        self.console.print(f"k = {k}")
        return True

    def _set_tau(self, arg: str) -> bool:
        try:
            tau = float(arg)
        except ValueError:
            raise InputError(f"/tau needs a number in [0, 1], e.g. /tau 0.6 (got '{arg}')") from None
        self.pipeline.check_options(tau=tau, store=False)
        self.tau = tau
        self.console.print(f"tau = {tau:g}")
        return True

    def _set_routes(self, arg: str) -> bool:
        if not arg or arg == "auto":
            self.routes = None
            self.console.print("routes: auto (the router chooses)")
            return True
        routes = [r.strip() for r in arg.split(",") if r.strip()]
        known = self.pipeline.registry.all_routes
        unknown = [r for r in routes if r not in known]
        if unknown:
            raise InputError(f"unknown route {', '.join(unknown)}: use auto or some of {', '.join(known)}")
        self.routes = routes
        self.console.print(f"routes: {', '.join(routes)}")
        return True

    def _attach(self, arg: str) -> bool:
        if not arg:
            raise InputError("/image needs a path, e.g. /image photo.jpg")
        from mmrag.media.images import load_image

        path = Path(arg).expanduser()
        self.image = load_image(path)  # read now, so a bad file is reported before the question
        self.image_path = str(path)
        self.console.print(f"image attached to the next question: {escape(str(path))}", highlight=False)
        return True

    def _reset(self, arg: str) -> bool:
        self.history.clear()
        self.image, self.image_path = None, None
        self.console.print("conversation reset")
        return True

    def _help(self, arg: str) -> bool:
        self.console.print(HELP.format(k=self.k if self.k is not None else "config",
                                       tau=self.tau if self.tau is not None else "config",
                                       routes=",".join(self.routes) if self.routes else "auto"))
        return True

    def _quit(self, arg: str) -> bool:
        return False

    def _error(self, message: str) -> None:
        self.console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
