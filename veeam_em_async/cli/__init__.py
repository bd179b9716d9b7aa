"""``veeam-em``: start Veeam Backup Enterprise Manager jobs and watch them finish.

Needs the ``cli`` extra (``pip install 'veeam_em_async[cli]'``: click and
rich). ``main()`` is the console script; the command tree is in `.app`,
the JSON contract in `.output`, the exit statuses in `.exits`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from .exits import EXIT_CODES, INTERRUPTED, USAGE

__all__ = ["EXIT_CODES", "main"]


def main(
    argv: Sequence[str] | None = None,
    stream: TextIO | None = None,
    *,
    client_options: Mapping[str, Any] | None = None,
) -> int:
    """Run ``veeam-em`` with ``argv`` (default: ``sys.argv[1:]``); return its exit
    status. ``stream`` receives the command's output instead of stdout, and
    ``client_options`` go to every ``EnterpriseManager`` the command makes
    (``clock=``, ``poll_policy=``…): the seam that lets tests, or a program that
    embeds the CLI, run it on their own clock and pace."""
    try:
        import click

        from .app import cli
    except ImportError as exc:  # pragma: no cover - the cli extra is missing
        print(
            f"veeam-em needs the cli extra: pip install 'veeam_em_async[cli]' ({exc})",
            file=sys.stderr,
        )
        return USAGE
    try:
        result = cli.main(
            args=list(sys.argv[1:] if argv is None else argv), prog_name="veeam-em",
            standalone_mode=False, obj={"stream": stream, "client_options": client_options},
        )  # fmt: skip
    except click.exceptions.Abort:
        print("interrupted", file=sys.stderr)
        return INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        return USAGE if isinstance(exc, click.UsageError) else exc.exit_code
    return result if isinstance(result, int) else 0
