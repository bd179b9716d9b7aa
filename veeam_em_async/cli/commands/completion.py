"""``veeam-em completion bash|zsh|fish``: the shell script that completes commands,
options and job names (`job_names`)."""

from __future__ import annotations

import click

from ..base import CONTEXT


@click.command("completion", context_settings=CONTEXT)
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion_command(shell: str) -> None:
    """Print the shell completion script.

    \b
    Examples:
      eval "$(veeam-em completion bash)"        # in ~/.bashrc
      veeam-em completion fish > ~/.config/fish/completions/veeam-em.fish
    """
    from click.shell_completion import get_completion_class

    completer = get_completion_class(shell)
    assert completer is not None
    ctx = click.get_current_context()
    root = ctx.find_root().command
    source = completer(root, {}, "veeam-em", "_VEEAM_EM_COMPLETE").source()
    click.echo(source, file=(ctx.obj or {}).get("stream"))
