"""The import rules of docs/architecture.md, checked on the source (no import is run)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[2] / "veeam_em_async"

PURE = {
    "errors", "clock", "policies", "xmlio", "ids", "sansio", "error_map", "bodies",
    "models.common", "models.converter", "models.docs", "models.jobs", "models.logon",
    "models.nas", "models.requests", "models.schedule", "models.sessions", "models.tasks",
    "models.query", "filters",
}  # fmt: skip
IO_MODULES = {
    "sender", "transport", "logon", "retry", "client", "resources", "polling", "handles",
    "runs", "run_context", "session_source",
}  # fmt: skip


def imports_of(module: str) -> tuple[set[str], set[str]]:
    """(package modules imported, third-party top-level names imported) by ``module``,
    leaving out imports under ``if TYPE_CHECKING:``."""
    path = PACKAGE.joinpath(*module.split(".")).with_suffix(".py")
    if not path.exists():
        path = PACKAGE.joinpath(*module.split("."), "__init__.py")
    tree = ast.parse(path.read_text())
    package_parts = module.split(".")[:-1] if path.name != "__init__.py" else module.split(".")
    internal: set[str] = set()
    external: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.dump(node.test):
                continue
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package_parts[: len(package_parts) - (node.level - 1)]
                    target = ".".join([*base, node.module] if node.module else base)
                    internal.add(target)
                elif node.module:
                    external.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                external.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, (ast.If, ast.Try)):
                visit(node.body)

    visit(tree.body)
    return internal, external


def all_modules() -> list[str]:
    found = []
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts and parts[0] != "simulator":
            found.append(".".join(parts))
    return found


def test_only_the_sender_touches_aiohttp() -> None:
    users = {m for m in all_modules() if "aiohttp" in imports_of(m)[1]}
    assert users == {"sender"}


def test_the_pure_modules_import_no_io_module() -> None:
    for module in PURE:
        internal, external = imports_of(module)
        bad = {i for i in internal if i.split(".")[0] in IO_MODULES}
        assert not bad, f"{module} imports {bad}"
        assert ("aiohttp" not in external and "asyncio" not in external) or module == "clock"


def test_the_watcher_knows_nothing_of_http_xml_or_resources() -> None:
    for module in ("polling", "poll_source"):
        internal, external = imports_of(module)
        assert internal <= {"clock", "errors", "policies", "poll_source"}, (module, internal)
        assert "xmltodict" not in external


def test_resources_never_touch_the_sender() -> None:
    for module in all_modules():
        if module.startswith("resources"):
            internal, _ = imports_of(module)
            assert not {"sender", "logon", "retry"} & internal, module


def test_modules_stay_small() -> None:
    sizes = {
        m: len(PACKAGE.joinpath(*m.split(".")).with_suffix(".py").read_text().splitlines())
        for m in all_modules()
        if PACKAGE.joinpath(*m.split(".")).with_suffix(".py").exists()
    }
    assert len(sizes) > 25
    assert {m: n for m, n in sizes.items() if n > 280} == {}


def test_the_core_needs_none_of_the_command_lines_libraries() -> None:
    """The core depends on aiohttp, attrs, cattrs and xmltodict only; click, rich
    and keyring come with the ``cli`` and ``keyring`` extras."""
    core = [m for m in all_modules() if m != "cli" and not m.startswith("cli.")]
    assert len(core) > 40
    for module in core:
        _internal, external = imports_of(module)
        assert not external & {"click", "rich", "keyring", "jsonschema", "pyte"}, module
