"""``veeam-em profile add|list|remove|set-password``: named settings in an INI file,
never a password (those go to the keyring)."""

from __future__ import annotations

from typing import Any

import click

from .. import config
from ..base import CONTEXT
from ..options import output_options
from ..output import Output
from ..runner import execute_local


@click.group("profile", context_settings=CONTEXT)
def profile_group() -> None:
    """Named settings in ~/.config/veeam-em/config.ini (never a password).

    \b
    Examples:
      veeam-em profile add prod --url https://em:9398 --user 'CORP\\bot'
      veeam-em profile set-password prod      # into the system keyring
      veeam-em --profile prod jobs list
    """


@profile_group.command("list", context_settings=CONTEXT)
@output_options
def profile_list() -> int:
    """The profiles, and whether the keyring holds a password for each.

    \b
    Example:
      veeam-em profile list -o json
    """

    async def body(out: Output) -> int:
        path = config.config_path()
        items = []
        for name in config.profile_names(path):
            p = config.load_profile(path, name)
            stored = bool(
                p.get("url") and p.get("user") and config.keyring_password(p["url"], p["user"])
            )
            items.append({"name": name, **p, "password_in_keyring": stored})
        out.doc.update(path=str(path), items=items)
        rows = [
            (i["name"], i.get("url"), i.get("user"), "yes" if i["password_in_keyring"] else "no")
            for i in items
        ]
        out.table(str(path), ["Profile", "URL", "User", "Password in keyring"], rows)
        return 0

    return execute_local("profile list", body)


@profile_group.command("add", context_settings=CONTEXT)
@click.argument("name")
@click.option("--url", required=True, help="EM's address, e.g. https://em:9398")
@click.option("--user", required=True, help="user name, DOMAIN\\user for a domain account")
@click.option("--ca-file", help="CA bundle to verify EM's certificate with")
@click.option("--insecure", is_flag=True, default=None, help="do not verify TLS certificates")
@click.option("--timeout", type=float, help="seconds per request")
@output_options
def profile_add(name: str, **settings: Any) -> int:
    """Write (or replace) a profile; its password is not asked for here.

    \b
    Example:
      veeam-em profile add prod --url https://em.example:9398 --user 'CORP\\bot'
    """

    async def body(out: Output) -> int:
        path = config.config_path()
        config.save_profile(path, name, {k: v for k, v in settings.items() if v is not None})
        out.doc.update(path=str(path), item={"name": name, **settings})
        out.line(f"profile {name!r} saved in {path}")
        return 0

    return execute_local("profile add", body)


@profile_group.command("remove", context_settings=CONTEXT)
@click.argument("name")
@output_options
def profile_remove(name: str) -> int:
    """Remove a profile from the file.

    \b
    Example:
      veeam-em profile remove lab
    """
    from ..exits import UsageError

    async def body(out: Output) -> int:
        if not config.remove_profile(config.config_path(), name):
            raise UsageError(f"no profile {name!r}")
        out.line(f"profile {name!r} removed")
        return 0

    return execute_local("profile remove", body)


@profile_group.command("set-password", context_settings=CONTEXT)
@click.argument("name")
@click.password_option(
    envvar="VEEAM_EM_PASSWORD", help="asked for when not set in VEEAM_EM_PASSWORD"
)
@output_options
def profile_set_password(name: str, password: str) -> int:
    """Store the profile's password in the system keyring (the keyring extra).

    \b
    Example:
      veeam-em profile set-password prod      # asks twice, or reads VEEAM_EM_PASSWORD
    """

    async def body(out: Output) -> int:
        p = config.load_profile(config.config_path(), name)
        config.store_password(p["url"], p["user"], password)
        out.line(f"password for {p['user']} at {p['url']} stored in the keyring")
        return 0

    return execute_local("profile set-password", body)
