"""What ``veeam-em`` prints: one JSON document per command, or tables.

The JSON output is a contract (``docs/cli.md``): every command prints exactly
one object on stdout, failures included::

    {"command": "jobs start", "ok": false, "exit_code": 5, "interrupted": false,
     "error": null, ...the command's own keys: "items", "item", "results", "totals"}

Errors also go to stderr as one line, and the exit status tells. Jobs are
always ``{"id", "name", "type"}``, whatever the user typed. Tables use
``rich`` when it is installed, plain text otherwise.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, Literal, TextIO

Mode = Literal["table", "wide", "json"]


class Output:
    """Where a command's results go: the JSON document, or tables and lines.

    ``doc`` holds the command's JSON keys as they become known (a bulk
    action's accepted tasks, before their outcome), so that an error or a
    Ctrl-C still prints what EM already accepted.
    """

    def __init__(
        self, stream: TextIO, *, mode: Mode = "table", err: TextIO | None = None,
        color: bool | None = None,
    ) -> None:  # fmt: skip
        self.stream = stream
        self.err = err if err is not None else sys.stderr
        self.mode: Mode = mode
        self.command = ""
        self.doc: dict[str, Any] = {}
        #: What a command cancelled by Ctrl-C still records (its totals).
        self.on_interrupt: list[Callable[[], object]] = []
        self.is_terminal = stream.isatty()
        self.console: Any = None
        #: stderr's console: notes, "accepted:" lines and the progress bars, as gh and
        #: kubectl keep progress off stdout; a note printed while a bar is live goes
        #: above it instead of through it.
        self.err_console: Any = None
        try:
            from rich.console import Console
        except ImportError:
            pass
        else:
            if mode != "json":
                width = None if self.is_terminal else 160
                self.console = Console(file=stream, force_terminal=color, width=width)
                # rich would raise SystemExit from inside whatever callback wrote;
                # a BrokenPipeError takes the same quiet way out as plain output.
                self.console.on_broken_pipe = _raise_broken_pipe
            self.err_console = Console(file=self.err, force_terminal=color, soft_wrap=True)

    @property
    def json_mode(self) -> bool:
        return self.mode == "json"

    @property
    def wide(self) -> bool:
        return self.mode == "wide"

    def line(self, text: str = "", flush: bool = False) -> None:
        if self.json_mode:
            return
        if self.console is not None:
            self.console.print(text, highlight=False, markup=False)
        else:
            print(text, file=self.stream)
        if flush:
            self.stream.flush()

    def note(self, text: str) -> None:
        """A line for the person at the terminal: stderr, in every mode."""
        if self.err_console is not None:
            self.err_console.print(text, highlight=False, markup=False)
            self.err.flush()
        else:
            print(text, file=self.err, flush=True)

    def json_line(self, data: Any) -> None:
        """One compact JSON object on one line (a stream of events, JSON Lines)."""
        print(json.dumps(data), file=self.stream, flush=True)

    def finish(
        self, exit_code: int, error: dict[str, Any] | None = None, interrupted: bool = False
    ) -> None:
        """Print the JSON document (JSON mode only): the envelope and ``doc``."""
        streamed = self.doc.pop("streamed", False)
        if not self.json_mode or (streamed and error is None and not interrupted):
            return
        document = {
            "command": self.command,
            "ok": exit_code == 0,
            "exit_code": exit_code,
            "interrupted": interrupted,
            "error": error,
            **self.doc,
        }
        # A stream of JSON Lines ends with its envelope on one line too.
        print(json.dumps(document, indent=None if streamed else 2), file=self.stream, flush=True)

    def table(
        self,
        title: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        compact: bool = False,
    ) -> None:
        """A table (rich's, else plain text). ``-o wide`` never cuts a cell: long ones
        fold onto more lines. ``compact`` draws no box (fewer lines: the demo)."""
        if self.json_mode:
            return
        cells = [["" if c is None else str(c) for c in row] for row in rows]
        if self.console is not None:
            from rich import box
            from rich.table import Table

            table = Table(title=title, box=box.SIMPLE_HEAD if compact else box.HEAVY_HEAD)
            for column in columns:
                table.add_column(column, overflow="fold" if self.wide else "ellipsis")
            for row in cells:
                table.add_row(*row)
            self.console.print(table)
            return
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
        print(title, file=self.stream)
        print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)), file=self.stream)
        print("  ".join("-" * w for w in widths), file=self.stream)
        for row in cells:
            print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)), file=self.stream)

    def progress(self, *labels: str, total: int) -> Bars:
        """One bar per label (at least one), each out of ``total``."""
        return Bars(self, labels, total)


def _raise_broken_pipe() -> None:
    raise BrokenPipeError("the reader of standard output went away")


class Bars:
    """Live bars on stderr when it is a terminal (with rich); otherwise a line on
    stderr at each quarter of each bar; nothing in JSON mode. ``progress(done,
    total)`` moves the first bar (a bulk call's ``progress`` callback);
    ``progress.move(label, done)`` any of them."""

    def __init__(self, out: Output, labels: Sequence[str], total: int) -> None:
        self.out, self.labels, self.total = out, tuple(labels), total
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}
        self._next_quarter = dict.fromkeys(self.labels, 1)

    def __enter__(self) -> Bars:
        console = self.out.err_console
        if console is not None and console.is_terminal and not self.out.json_mode:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

            self._bar = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
            )
            self._bar.__enter__()
            for label in self.labels:
                self._tasks[label] = self._bar.add_task(label, total=self.total)
        return self

    def __call__(self, done: int, total: int) -> None:
        self.move(self.labels[0], done, total)

    def move(self, label: str, done: int, total: int | None = None) -> None:
        total = self.total if total is None else total
        if self._bar is not None:
            self._bar.update(self._tasks[label], completed=done, total=total)
        elif not self.out.json_mode and total and done * 4 >= self._next_quarter[label] * total:
            self._next_quarter[label] = done * 4 // total + 1
            self.out.note(f"{label}: {done}/{total}")

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
