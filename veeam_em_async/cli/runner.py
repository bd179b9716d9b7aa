"""Running one command to its exit status: connecting (the password from the
environment, the keyring or a prompt), Ctrl-C, one JSON document in JSON mode, and
every error as one line on stderr with a hint when one helps."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Coroutine, Mapping
from typing import Any
from urllib.parse import urlsplit

import click

from ..client import EnterpriseManager
from ..errors import VeeamEMError
from . import config
from .exits import INTERRUPTED, JobNotFoundError, UsageError, exit_code, hint, message
from .interrupt import Interrupt, UserInterruptError, interruptible
from .options import Settings, settings
from .output import Output


def password_for(s: Settings, out: Output) -> str:
    """VEEAM_EM_PASSWORD, else the keyring's, else a prompt on a terminal."""
    assert s.url is not None and s.user is not None
    password = config.stored_password(s.url, s.user)
    if password is None:
        if not sys.stdin.isatty():
            raise UsageError(
                "no password: set VEEAM_EM_PASSWORD, store one with "
                "`veeam-em profile set-password`, or run on a terminal to be asked"
            )
        password = click.prompt(f"Password for {s.user}", hide_input=True, err=True)
    return password


def connect(
    s: Settings, out: Output, client_options: Mapping[str, Any] | None = None
) -> EnterpriseManager:
    if not s.url:
        raise UsageError("no EM URL: pass --url, set VEEAM_EM_URL, or use a --profile")
    if urlsplit(s.url).scheme not in ("http", "https") or "://" not in s.url:
        raise UsageError(
            f"the URL needs https:// (or http://), e.g. https://{s.url.split('://')[-1]}"
        )
    if not s.user:
        raise UsageError("no user: pass --user, set VEEAM_EM_USER, or use a --profile")
    verify: Any = True
    if s.insecure:
        out.note("warning: TLS certificate verification is disabled (--insecure)")
        verify = False
    elif s.ca_file:
        verify = s.ca_file
    return EnterpriseManager(
        s.url, s.user, password_for(s, out), verify_ssl=verify,
        max_connections=s.max_connections, timeout=s.timeout, **(client_options or {}),
    )  # fmt: skip


#: What an error no command expects (a bug) says, instead of a traceback.
_BUG_HINT = "this is a bug in veeam-em; VEEAM_EM_DEBUG=1 shows its traceback"


def execute(
    ctx: click.Context,
    command: str,
    body: Callable[[Settings, Output], Coroutine[Any, Any, int]],
    use_profile: bool = True,
) -> int:
    """Run one command: its exit status, one JSON document in JSON mode, and
    every error as one line on stderr (with a hint when one helps)."""
    stream = ctx.obj.get("stream") if ctx.obj else None
    try:
        s = settings(ctx, use_profile=use_profile)
    except UsageError as exc:
        click.echo(f"error: {exc}", err=True)
        return exit_code(exc)
    out = Output(stream or sys.stdout, mode=s.output)
    out.command = command
    interrupt = Interrupt()
    if ctx.obj is not None:
        ctx.obj["interrupt"] = interrupt
    try:
        code = asyncio.run(interruptible(body(s, out), interrupt))
    except (UserInterruptError, KeyboardInterrupt):
        return _interrupted(out, cancelled=True)
    except BrokenPipeError:
        # The reader went away (`veeam-em … | head -1`): stop quietly, as Unix tools
        # do. Every job action in flight was cancelled with the call that wrote.
        _silence_stdout()
        return 1
    except Exception as exc:
        if interrupt.requested:  # what winding down refused (a query cut short)
            return _interrupted(out, cancelled=True)
        expected = isinstance(
            exc, (UsageError, JobNotFoundError, VeeamEMError, ValueError, OSError)
        )
        if not expected and os.environ.get("VEEAM_EM_DEBUG"):
            raise
        text = message(exc) if expected else f"{type(exc).__name__}: {exc}"
        help_text = hint(exc, s.url) if expected else _BUG_HINT
        out.note(f"error: {text}")
        if help_text:
            out.note(f"hint: {help_text}")
        code = exit_code(exc)
        out.finish(code, error={"type": type(exc).__name__, "message": text, "hint": help_text})
        return code
    if interrupt.requested:
        return _interrupted(out, cancelled=False)
    out.finish(code)
    return code


def _interrupted(out: Output, *, cancelled: bool) -> int:
    """A command ended by Ctrl-C: say so (and, if it sent actions, that EM goes on
    with what it accepted), and print the document it has. A command that was
    ``cancelled`` (not wound down to its end) records its totals here."""
    if cancelled:
        for record in out.on_interrupt:
            record()
    if "results" in out.doc:
        out.note("interrupted: nothing more was sent; what EM accepted keeps running there")
    else:
        out.note("interrupted")
    out.finish(INTERRUPTED, interrupted=True)
    return INTERRUPTED


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's last flush cannot
    print "Exception ignored … BrokenPipeError" (the recipe of Python's
    signal documentation, "Note on SIGPIPE")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real stdout (tests pass a StringIO)
        pass


def execute_local(command: str, body: Callable[[Output], Coroutine[Any, Any, int]]) -> int:
    """`execute` for a command that needs no EM (the demo, profiles): a
    broken or missing profile does not stop it."""
    return execute(click.get_current_context(), command, lambda _s, out: body(out), False)
