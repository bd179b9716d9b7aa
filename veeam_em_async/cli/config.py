"""Named profiles (``~/.config/veeam-em/config.ini``) and where a password comes from.

A profile holds what is not secret: the URL, the user, TLS and timeout
settings. The password never goes into the file: it comes from
``VEEAM_EM_PASSWORD``, from the system keyring (``pip install
'veeam_em_async[keyring]'``, stored by ``veeam-em profile set-password``), or
from a prompt on a terminal, in that order. A ``password`` key in the file is
refused rather than read, so that nobody is led into keeping one there.

The file is INI, read by the standard library, one section per profile::

    [default]
    url = https://em.example:9398
    user = CORP\\backup-bot

    [lab]
    url = http://127.0.0.1:9398
    user = lab\\admin
    timeout = 30
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .exits import UsageError

#: The keys a profile may hold, and how each is read.
PROFILE_KEYS = {
    "url": str, "user": str, "ca_file": str, "insecure": bool, "timeout": float,
    "max_connections": int, "output": str,
}  # fmt: skip
KEYRING_SERVICE = "veeam-em"
DEFAULT_PROFILE = "default"


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """``$VEEAM_EM_CONFIG``, else ``$XDG_CONFIG_HOME/veeam-em/config.ini``, else
    ``~/.config/veeam-em/config.ini``."""
    env = os.environ if env is None else env
    if env.get("VEEAM_EM_CONFIG"):
        return Path(env["VEEAM_EM_CONFIG"])
    base = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else Path.home() / ".config"
    return base / "veeam-em" / "config.ini"


def _read(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, default_section="__defaults__")
    try:
        with path.open(encoding="utf-8") as file:
            parser.read_file(file)
    except FileNotFoundError:
        pass
    except (OSError, configparser.Error) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    return parser


def profile_names(path: Path) -> list[str]:
    return _read(path).sections()


def load_profile(path: Path, name: str | None) -> dict[str, Any]:
    """The settings of profile ``name`` (``default`` when none is named, and
    nothing if there is no such file or default profile)."""
    parser = _read(path)
    wanted = name or DEFAULT_PROFILE
    if not parser.has_section(wanted):
        if name is None:
            return {}
        known = ", ".join(parser.sections()) or "none"
        raise UsageError(f"no profile {name!r} in {path} (profiles: {known})")
    section = parser[wanted]
    if "password" in section:
        raise UsageError(
            f"profile {wanted!r} in {path} has a password: remove it; passwords come from "
            "VEEAM_EM_PASSWORD, the keyring (veeam-em profile set-password) or a prompt"
        )
    settings: dict[str, Any] = {}
    for key, raw in section.items():
        kind = PROFILE_KEYS.get(key)
        if kind is None:
            raise UsageError(
                f"profile {wanted!r} in {path}: unknown key {key!r} "
                f"(known: {', '.join(PROFILE_KEYS)})"
            )
        try:
            settings[key] = section.getboolean(key) if kind is bool else kind(raw)
        except ValueError:
            raise UsageError(
                f"profile {wanted!r} in {path}: {key} = {raw!r} is not a {kind.__name__}"
            ) from None
    return settings


def save_profile(path: Path, name: str, settings: Mapping[str, Any]) -> None:
    """Write (or replace) one profile; the file is made readable by its owner only."""
    parser = _read(path)
    if any(key not in PROFILE_KEYS for key in settings):
        raise UsageError(f"a profile holds only {', '.join(PROFILE_KEYS)}")
    parser[name] = {
        k: str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in settings.items()
        if v is not None
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        parser.write(file)


def remove_profile(path: Path, name: str) -> bool:
    parser = _read(path)
    if not parser.remove_section(name):
        return False
    with path.open("w", encoding="utf-8") as file:
        parser.write(file)
    return True


def keyring_module() -> Any:
    """The ``keyring`` package, or ``None`` without the optional extra."""
    try:
        import keyring
    except ImportError:
        return None
    return keyring


def keyring_password(url: str, user: str) -> str | None:
    """The password the keyring holds for ``user`` at ``url`` (``None`` if none,
    or without a keyring, or if the keyring cannot be read)."""
    keyring = keyring_module()
    if keyring is None:
        return None
    try:
        value = keyring.get_password(f"{KEYRING_SERVICE}:{url}", user)
    except Exception:  # no usable backend (a headless machine): no password
        return None
    return value if isinstance(value, str) else None


def stored_password(url: str, user: str) -> str | None:
    """``VEEAM_EM_PASSWORD`` if set, else the keyring's for ``user`` at ``url``: the
    order every command (and `Fleet.from_profiles`) takes a password in, before any
    prompt."""
    password = os.environ.get("VEEAM_EM_PASSWORD")
    return password if password is not None else keyring_password(url, user)


def store_password(url: str, user: str, password: str) -> None:
    keyring = keyring_module()
    if keyring is None:
        raise UsageError(
            "storing a password needs the keyring: pip install 'veeam_em_async[keyring]'"
        )
    try:
        keyring.set_password(f"{KEYRING_SERVICE}:{url}", user, password)
    except Exception as exc:  # no usable backend: say so, without the password
        raise UsageError(f"the keyring refused the password: {type(exc).__name__}") from None
