"""The import rules of docs/architecture.md, checked on the source (no import is run)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[2] / "veeam_em_async"

#: Modules and packages that do no I/O; none may import an I/O layer.
PURE = (
    "errors", "clock", "policies", "xmlio", "ids", "models", "query._filters",
    "transport._sansio", "transport._error_map", "transport._bodies", "cli.shapes",
    "cli.exits",
)  # fmt: skip
#: The layers that do I/O (or hold a client): a pure module imports none of them.
IO_LAYERS = ("transport", "waiting", "runs", "query", "resources", "client", "bulk", "cli")


def under(module: str, *prefixes: str) -> bool:
    """Whether ``module`` is one of ``prefixes`` or inside one (by package)."""
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def imports_of(module: str, deferred: bool = False) -> tuple[set[str], set[str]]:
    """(package modules imported, third-party top-level names imported) by ``module``,
    leaving out imports under ``if TYPE_CHECKING:``; with ``deferred``, imports
    inside functions too (they close a cycle as surely, only later)."""
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
                    if node.module:
                        internal.add(".".join([*base, node.module]))
                    else:  # from . import config: the submodules named
                        internal.update(".".join([*base, a.name]) for a in node.names)
                elif node.module:
                    external.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                external.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, (ast.If, ast.Try)):
                visit(node.body)
            elif deferred and isinstance(
                node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
            ):
                visit(node.body)

    visit(tree.body)
    return internal, external


def all_modules(simulator: bool = False) -> list[str]:
    found = []
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts and (simulator or parts[0] != "simulator"):
            found.append(".".join(parts))
    return found


def test_only_the_sender_touches_aiohttp() -> None:
    """As a client; the exporter's listener is a server (aiohttp.web), as the simulator is."""
    users = {m for m in all_modules() if "aiohttp" in imports_of(m)[1]}
    assert users == {"transport._sender", "exporter.http"}


def test_prometheus_client_stays_in_the_exporter() -> None:
    """The exporter extra's library; the core imports nothing of the exporter."""
    users = {m for m in all_modules() if "prometheus_client" in imports_of(m, deferred=True)[1]}
    assert users and all(under(m, "exporter") for m in users), users
    for module in all_modules():
        if not under(module, "exporter", "cli"):
            internal, _ = imports_of(module, deferred=True)
            assert not [i for i in internal if under(i, "exporter")], module


def test_the_pure_modules_import_no_io_layer() -> None:
    pure = [m for m in all_modules() if under(m, *PURE)]
    assert len(pure) > 15
    for module in pure:
        internal, external = imports_of(module)
        bad = {i for i in internal if under(i, *IO_LAYERS) and not under(i, *PURE)}
        assert not bad, f"{module} imports {bad}"
        assert ("aiohttp" not in external and "asyncio" not in external) or module == "clock"


def test_the_watcher_knows_nothing_of_http_xml_or_resources() -> None:
    for module in ("waiting._watcher", "waiting._source"):
        internal, external = imports_of(module)
        assert all(under(i, "clock", "errors", "policies", "waiting") for i in internal), (
            module, internal,
        )  # fmt: skip
        assert "xmltodict" not in external


def test_resources_never_touch_the_transports_insides() -> None:
    for module in all_modules():
        if under(module, "resources"):
            internal, _ = imports_of(module)
            inside = {i for i in internal if under(i, "transport") and i != "transport"}
            assert not inside - {"transport._sansio"}, (module, inside)


def test_nothing_below_transport_knows_what_it_carries() -> None:
    """The transport sends requests; resources, runs, waiting and queries use it."""
    for module in all_modules():
        if under(module, "transport"):
            internal, _ = imports_of(module)
            layers = ("resources", "runs", "waiting", "query", "client", "bulk", "cli", "simulator")
            above = {i for i in internal if under(i, *layers)}
            assert not above, (module, above)


def test_there_is_no_import_cycle_anywhere() -> None:
    """Between modules (a package is its ``__init__``), the simulator included, with
    imports inside functions counted."""
    modules = set(all_modules(simulator=True)) | {""}
    graph = {
        m: {i for i in imports_of(m, deferred=True)[0] if i in modules and i != m}
        for m in modules
        if m
    }
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                raise AssertionError("cycle: " + " -> ".join([*stack[stack.index(nxt) :], nxt]))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_the_top_level_shows_the_layers() -> None:
    top = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
    assert len(top) <= 12, top
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert {"transport", "waiting", "runs", "query", "resources", "models", "cli",
            "simulator"} <= packages  # fmt: skip


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


def test_names_renamed_by_the_layout_still_work_for_one_release_with_a_warning() -> None:
    import pytest

    from veeam_em_async import bulk

    for old, new in (("Progress", "ProgressCallback"), ("run_many", "act_each")):
        with pytest.warns(DeprecationWarning, match=f"bulk.{old} is now {new}"):
            assert getattr(bulk, old) is getattr(bulk, new)
    with pytest.raises(AttributeError):
        bulk.no_such_name  # noqa: B018
