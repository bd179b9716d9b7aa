"""The documentation site as a reader gets it (issue 23): built with ``mkdocs build
--strict`` and read back, page by page, for what a newcomer stumbled on: resources
without their inherited methods, raw Sphinx roles, ``Sentinel.UNSET`` defaults,
examples run into one paragraph, code cut off or not highlighted."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
ROLE = re.compile(r":(?:class|meth|func|attr|data|mod|exc|obj):`")

pytest.importorskip(
    "mkdocs", reason="the docs extra (mkdocs) is not installed: it is for Python 3.11+"
)


class Text(HTMLParser):
    """The visible text of a page (no tags, no scripts)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def text_of(html: str) -> str:
    parser = Text()
    parser.feed(html)
    return "".join(parser.parts)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    return out


def pages(site: Path) -> Iterator[tuple[Path, str]]:
    for path in sorted(site.rglob("index.html")):
        yield path, path.read_text(encoding="utf-8")


def public_methods(cls: type) -> set[str]:
    return {
        name
        for name, value in inspect.getmembers(cls)
        if not name.startswith("_") and (inspect.isfunction(value) or inspect.ismethod(value))
    }


def test_every_public_method_of_each_resource_is_in_the_reference(site: Path) -> None:
    from veeam_em_async import EnterpriseManager, resources

    html = (site / "reference" / "resources" / "index.html").read_text(encoding="utf-8")
    for name in ("JobsResource", "NasJobsResource", "AgentJobsResource",
                 "BackupSessionsResource", "ReplicaSessionsResource", "TasksResource",
                 "RepositoriesResource", "BackupServersResource", "BackupsResource",
                 "RestorePointsResource", "VmRestorePointsResource", "ReportsResource",
                 "HierarchyRootsResource", "VmsResource"):  # fmt: skip
        cls = getattr(resources, name)
        shown = set(re.findall(rf'id="[\w.]*\.{name}\.(\w+)"', html))
        assert public_methods(cls) <= shown, (name, sorted(public_methods(cls) - shown))
    assert {"start", "run", "run_many", "stop", "retry"} <= public_methods(resources.JobsResource)
    client = (site / "reference" / "client" / "index.html").read_text(encoding="utf-8")
    shown = set(re.findall(r'id="veeam_em_async\.EnterpriseManager\.(\w+)"', client))
    assert "query" in shown and public_methods(EnterpriseManager) <= shown


def test_no_page_shows_raw_roles_sentinels_or_control_characters(site: Path) -> None:
    seen = 0
    for path, html in pages(site):
        text = text_of(html)
        seen += 1
        assert not ROLE.search(text), (path, ROLE.search(text))
        assert "Sentinel.UNSET" not in text, path
        assert "\b" not in text, path  # click's paragraph marker, copied as it was


def test_cli_examples_are_code_blocks_and_code_is_highlighted(site: Path) -> None:
    cli = (site / "cli" / "index.html").read_text(encoding="utf-8")
    blocks = re.findall(r"<div class=\"highlight\"><pre>(.*?)</pre>", cli, re.S)
    examples = [b for b in blocks if "veeam-em jobs start --all --name-like" in text_of(b)]
    assert examples and "\n" in text_of(examples[0]).strip()  # one command a line
    quickstart = (site / "guides" / "quickstart" / "index.html").read_text(encoding="utf-8")
    assert '<span class="kn">import</span>' in quickstart  # Pygments' spans
    for css in ("css/pygments.css", "css/extra.css"):
        assert css in quickstart and (site / css).is_file(), css
    assert ".highlight .kn" in (site / "css" / "pygments.css").read_text()
    assert "overflow-x: auto" in (site / "css" / "extra.css").read_text()  # nothing cut off


def test_docstrings_hold_no_sphinx_roles() -> None:
    """The reference renders Markdown: a role would show as text (use `code`)."""
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "veeam_em_async").rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if ROLE.search(line)
    ]
    assert found == []
