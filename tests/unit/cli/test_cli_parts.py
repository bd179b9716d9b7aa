"""The command line's pure parts, without a server: exit statuses, messages and
hints, profiles, and the JSON shapes."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from veeam_em_async.cli import config
from veeam_em_async.cli.exits import (
    AUTH,
    FAILED,
    NOT_FOUND,
    OK,
    PARTIAL,
    USAGE,
    JobNotFoundError,
    UsageError,
    bulk_status,
    exit_code,
    hint,
    message,
)
from veeam_em_async.cli.shapes import job_summary, to_json
from veeam_em_async.errors import (
    AuthenticationError,
    InvalidIdentifierError,
    NotFoundError,
    ServerError,
    TransportError,
)
from veeam_em_async.models import EntityRef


def transport_error(cause: BaseException, **kwargs: bool) -> TransportError:
    """A TransportError as the sender raises it: over aiohttp's, over the OS's."""
    middle = RuntimeError("ClientConnectorError: aiohttp's words")
    middle.__cause__ = cause
    error = TransportError("POST failed: ClientConnectorError: …", "http://em:9398/api/x", **kwargs)
    error.__cause__ = middle
    return error


def test_each_error_has_its_exit_status() -> None:
    assert exit_code(AuthenticationError(401, "no", "u")) == AUTH == 3
    assert (
        exit_code(NotFoundError(404, "gone", "u")) == exit_code(JobNotFoundError("x")) == NOT_FOUND
    )
    assert exit_code(UsageError("x")) == exit_code(InvalidIdentifierError("x")) == USAGE == 2
    assert exit_code(ServerError(500, "boom", "u")) == FAILED == 1
    assert [bulk_status(3, 0), bulk_status(0, 3), bulk_status(2, 1)] == [OK, FAILED, PARTIAL]


def test_connection_errors_say_what_to_try_in_plain_words() -> None:
    refused = transport_error(ConnectionRefusedError(111, "Connect call failed"))
    assert message(refused) == "cannot reach EM at http://em:9398/api/x: connection refused"
    assert "9398" in (hint(refused) or "")
    tls = transport_error(ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"))
    assert hint(tls, "https://em:9398") == (
        "the server does not speak TLS on that port: try http://em:9398"
    )
    untrusted = transport_error(ssl.SSLCertVerificationError(1, "certificate verify failed"))
    assert "--ca-file" in (hint(untrusted) or "")
    slow = transport_error(TimeoutError(), timed_out=True)
    assert message(slow) == "EM at http://em:9398/api/x did not answer within the timeout"
    assert "--timeout" in (hint(slow) or "")
    for error in (refused, tls, untrusted, slow):
        assert "aiohttp" not in message(error) and "Client" not in message(error)
    assert "DOMAIN\\user" in (hint(AuthenticationError(401, "Authentication failed", "u")) or "")
    assert hint(NotFoundError(404, "gone", "u")) is None


def test_a_profile_is_read_typed_and_never_holds_a_password(tmp_path: Path) -> None:
    path = tmp_path / "veeam-em" / "config.ini"
    assert config.load_profile(path, None) == {}  # no file: nothing
    config.save_profile(path, "lab", {"url": "http://em:9398", "user": "A\\b", "insecure": True,
                                      "timeout": 30.0})  # fmt: skip
    assert path.stat().st_mode & 0o777 == 0o600
    assert config.load_profile(path, "lab") == {
        "url": "http://em:9398", "user": "A\\b", "insecure": True, "timeout": 30.0,
    }  # fmt: skip
    assert config.load_profile(path, None) == {}  # no profile named default
    with pytest.raises(UsageError, match=r"no profile 'prod'.*profiles: lab"):
        config.load_profile(path, "prod")
    path.write_text(path.read_text() + "password = hunter2\n")
    with pytest.raises(UsageError, match="has a password") as refused:
        config.load_profile(path, "lab")
    assert "hunter2" not in str(refused.value)
    path.write_text("[default]\nurl = x\ntimout = 3\n")
    with pytest.raises(UsageError, match="unknown key 'timout'"):
        config.load_profile(path, None)
    path.write_text("[default]\ntimeout = soon\n")
    with pytest.raises(UsageError, match="is not a float"):
        config.load_profile(path, None)
    with pytest.raises(UsageError, match="holds only"):
        config.save_profile(path, "x", {"password": "no"})


def test_the_config_file_follows_xdg(tmp_path: Path) -> None:
    assert config.config_path({"VEEAM_EM_CONFIG": "/x.ini"}) == Path("/x.ini")
    xdg = config.config_path({"XDG_CONFIG_HOME": str(tmp_path)})
    assert xdg == tmp_path / "veeam-em" / "config.ini"


def test_jobs_are_always_id_name_and_type() -> None:
    ref = EntityRef(
        href="https://em:9398/api/jobs/5658281f-625e-4627-89dd-d2a0c48be99e",
        uid="urn:veeam:Job:5658281f-625e-4627-89dd-d2a0c48be99e", name="SQL", type="JobReference",
    )  # fmt: skip
    assert job_summary(ref) == {"id": "5658281f-625e-4627-89dd-d2a0c48be99e", "name": "SQL",
                                "type": None}  # fmt: skip
    assert job_summary("5658281f-625e-4627-89dd-d2a0c48be99e", "NAS")["type"] == "NAS"
    assert to_json(ref)["id"] == "5658281f-625e-4627-89dd-d2a0c48be99e"


def test_yaml_lines_nest_mappings_and_lists_without_reprs() -> None:
    from veeam_em_async.cli.shapes import yaml_lines

    data = {"id": "x", "ok": True, "none": None, "empty": [], "links": [{"rel": "Up", "n": 1}],
            "tags": ["a", "b"], "options": {"retry": {"times": 3}}}  # fmt: skip
    assert yaml_lines(data) == [
        "id: x", "ok: true", "none: null", "empty: []",
        "links:", "  - rel: Up", "    n: 1",
        "tags:", "  - a", "  - b",
        "options:", "  retry:", "    times: 3",
    ]  # fmt: skip
