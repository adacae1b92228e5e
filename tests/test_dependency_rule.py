"""The design brief's dependency rule, checked on the source (an AST test).

- The pure core imports nothing from adapters/, storage/, platform SDKs, SQL or the scheduler.
- Only the composition root (bot.cli, bot.settings, bot.wiring) may import adapters/ and storage/.
- adapters/ never imports storage/, and storage/ never imports adapters/.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SDKS = ("slack_bolt", "slack_sdk", "telegram", "sqlmodel", "sqlalchemy", "apscheduler", "aiohttp", "psycopg")
COMPOSITION_ROOT = {"bot.cli", "bot.settings", "bot.wiring"}
# The application shell around the pure core may use the scheduler library; nothing else may.
SHELL_ALLOWED = {"bot.scheduler": ("apscheduler",)}


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def top(name: str) -> str:
    return name.split(".")[0]


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", modules("bot"), ids=lambda p: module_name(p))
def test_core_imports_no_adapter_storage_or_sdk(path: Path) -> None:
    name = module_name(path)
    if name in COMPOSITION_ROOT:
        return
    allowed = SHELL_ALLOWED.get(name, ())
    forbidden = {imp for imp in imported_modules(path)
                 if top(imp) in ("adapters", "storage") or (top(imp) in SDKS and top(imp) not in allowed)}
    assert not forbidden, f"{name} must not import {sorted(forbidden)}"


@pytest.mark.parametrize("path", modules("adapters"), ids=lambda p: module_name(p))
def test_adapters_never_import_storage(path: Path) -> None:
    assert not {imp for imp in imported_modules(path) if top(imp) == "storage"}


@pytest.mark.parametrize("path", modules("storage"), ids=lambda p: module_name(p))
def test_storage_never_imports_adapters(path: Path) -> None:
    assert not {imp for imp in imported_modules(path) if top(imp) == "adapters"}


def test_the_rule_catches_a_violation(tmp_path: Path) -> None:
    offender = tmp_path / "offender.py"
    offender.write_text("import sqlalchemy\nfrom storage.sql_store import SqlStore\n", encoding="utf-8")
    assert {"sqlalchemy", "storage.sql_store"} <= imported_modules(offender)
