"""Shared helpers: the vendor's XML bodies (tests/fixtures) and EM URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

BASE = "https://em.test:9398"
API = f"{BASE}/api"
USER = "TECH\\backup-operator"
PASSWORD = "s3cr3t-Pa55word!"
TOKEN = "NDRjZmJkYmUtNWE5NS00MTU2LTg4NjctOTFmMDY5YjdjMmNj"

BACKUP_JOB_ID = "5658281f-625e-4627-89dd-d2a0c48be99e"
REPLICA_JOB_ID = "b04c217b-0538-4650-bec4-19deff4ea1ac"
NAS_JOB_ID = "93dfbb3e-f420-45cf-addc-4ee9297113f2"
LOGON_SESSION_ID = "15a3fc97-0325-4119-b789-5c0367c6c565"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def error_body(status: int, message: str) -> str:
    return (
        f'<Error xmlns="http://www.veeam.com/ent/v1.0" Message="{message}" StatusCode="{status}" />'
    )


@pytest.fixture
def fixture() -> object:
    return fixture_bytes
