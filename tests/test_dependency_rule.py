"""The layers of the house, checked on the source (an AST test): who may import whom, and no cycles.

- bot.core (vocabulary, ports, the pure engine) imports only bot.core, the standard library and two pure
  data libraries: `holidays` (the Finnish calendar) and `babel` (CLDR locale data for numbers and dates).
- bot.reports (digest figures, text, chart, workbook, exports) imports bot.core; matplotlib and weasyprint
  only inside the functions that draw or print.
- bot.app (services, the dispatcher) imports bot.core and bot.reports.
- adapters/ import bot.core and their own SDKs, never bot.app (no concrete Dispatcher, no TurnService),
  storage/ or another platform's adapter.
- storage/ imports bot.core and SQL libraries.
- bot.shell (CLI, wiring, settings, ticker) may import anything.
- No import cycle anywhere, counting imports inside functions too.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "adapters", "storage")
PLATFORM_SDKS = {"slack_bolt", "slack_sdk", "telegram", "aiohttp"}
CORE_LIBRARIES = {"holidays", "babel"}
SQL = {"sqlmodel", "sqlalchemy", "alembic", "psycopg"}
DRAWING = {"matplotlib", "weasyprint"}


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    """Every module `path` imports (absolute imports; with top_level_only, not those inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes: Iterator[ast.AST] = iter(tree.body) if top_level_only else ast.walk(tree)
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.If) and top_level_only:  # `if TYPE_CHECKING:` imports nothing at run time
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def top(name: str) -> str:
    return name.split(".")[0]


def layer(name: str) -> str:
    """bot.core, bot.app, bot.reports, bot.shell, adapters.<platform>, adapters, storage."""
    parts = name.split(".")
    if parts[0] == "bot":
        return ".".join(parts[:2]) if len(parts) > 1 and parts[1] in ("core", "app", "reports", "shell") else "bot"
    if parts[0] == "adapters" and len(parts) > 2:
        return ".".join(parts[:2])
    return parts[0]


def sources() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts)


def own_modules() -> set[str]:
    return {module_name(p) for p in sources()}


def first_party(names: set[str]) -> set[str]:
    """The imported names that are our modules (`from bot.core import engine` imports bot.core.engine)."""
    known = own_modules()
    return {n for n in names if n in known}


def third_party(names: set[str]) -> set[str]:
    return {top(n) for n in names if top(n) not in PACKAGES and top(n) not in sys.stdlib_module_names
            and top(n) != "__future__"}


def violations(path: Path) -> list[str]:
    """What `path` imports that its layer may not."""
    name = module_name(path)
    here = layer(name)
    ours, libraries = first_party(imports(path)), third_party(imports(path))
    layers = {layer(m) for m in ours} - {here}
    at_import = third_party(imports(path, top_level_only=True))
    problems: list[str] = []
    if here == "bot.core":
        problems += [f"imports {m}" for m in sorted(layers)]
        problems += [f"imports the library {lib}" for lib in sorted(libraries - CORE_LIBRARIES)]
    elif here == "bot.reports":
        problems += [f"imports {m}" for m in sorted(layers - {"bot.core"})]
        problems += [f"imports {lib} when imported" for lib in sorted(at_import & DRAWING)]
        problems += [f"imports the library {lib}" for lib in sorted(libraries & (PLATFORM_SDKS | SQL))]
    elif here == "bot.app":
        problems += [f"imports {m}" for m in sorted(layers - {"bot.core", "bot.reports"})]
        problems += [f"imports the library {lib}" for lib in sorted(libraries & (PLATFORM_SDKS | SQL | DRAWING))]
    elif here.startswith("adapters"):
        problems += [f"imports {m}" for m in sorted(layers - {"bot.core", "adapters"})]
        problems += [f"imports the library {lib}" for lib in sorted(libraries & (SQL | DRAWING))]
    elif here == "storage":
        problems += [f"imports {m}" for m in sorted(layers - {"bot.core"})]
        problems += [f"imports the library {lib}" for lib in sorted(libraries & (PLATFORM_SDKS | DRAWING))]
    elif here == "bot":  # the package itself and `python -m bot`: only the shell's entry point
        problems += [f"imports {m}" for m in sorted(layers - {"bot.shell"})]
    return problems


@pytest.mark.parametrize("path", sources(), ids=module_name)
def test_each_module_imports_only_what_its_layer_may(path: Path) -> None:
    assert not violations(path), f"{module_name(path)} ({layer(module_name(path))}): {violations(path)}"


def import_graph() -> dict[str, set[str]]:
    return {module_name(p): first_party(imports(p)) - {module_name(p)} for p in sources()}


def cycle_in(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path of module names, or None (a depth-first search with colours)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state and (found := visit(target)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_no_import_cycles() -> None:
    assert cycle_in(import_graph()) is None, " -> ".join(cycle_in(import_graph()) or [])


def test_every_bot_module_lives_in_a_layer() -> None:
    flat = sorted(p.name for p in (ROOT / "bot").glob("*.py") if p.name not in ("__init__.py", "__main__.py"))
    assert flat == [], f"put these in bot/core, bot/app, bot/reports or bot/shell: {flat}"


def test_the_rules_catch_violations(tmp_path: Path) -> None:
    offender = tmp_path / "offender.py"
    offender.write_text("import sqlalchemy\nfrom storage.sql_store import SqlStore\n"
                        "def draw():\n    import matplotlib\n", encoding="utf-8")
    assert {"sqlalchemy", "storage.sql_store"} <= imports(offender)
    assert "matplotlib" in imports(offender) and "matplotlib" not in imports(offender, top_level_only=True)
    assert cycle_in({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle_in({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert layer("bot.core.engine") == "bot.core" and layer("adapters.slack.app") == "adapters.slack"
