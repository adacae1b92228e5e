"""The everyday commands import no drawing library and no platform SDK: `--help`, `round list` and `tick`.

matplotlib, weasyprint and the platform SDKs take most of a second to import; a command that
draws nothing, prints nothing as PDF and has no platform configured must not pay for them.
Each command runs as `python -m bot …` in a fresh interpreter (a fresh SQLite file, no platform
setting, on the suite's clock with the weekly digest off, so nothing is due whatever the day),
which reports what it imported. Not timed: bench/cli.py measures the time and the memory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.clock import clock_setting

HEAVY = {"matplotlib", "weasyprint", "telegram", "slack_sdk", "slack_bolt"}
ROOT = Path(__file__).resolve().parent.parent

# `python -m bot ARGS…`, then the top-level names of every module the command imported, to the file REPORT.
PROBE = """
import json, runpy, sys
report, args = sys.argv[1], sys.argv[2:]
sys.argv = ["kartoitus", *args]
try:
    runpy.run_module("bot", run_name="__main__", alter_sys=True)
    code = 0
except SystemExit as stop:
    code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
modules = sorted({name.split(".")[0] for name in list(sys.modules)})
with open(report, "w", encoding="utf-8") as file:
    json.dump({"code": code, "modules": modules}, file)
"""


def imported_by(tmp_path: Path, *args: str) -> tuple[int, set[str], str]:
    """The command's exit code, the top-level packages it imported, and what it printed."""
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("SLACK_", "TELEGRAM_", "KARTOITUS_"))}
    environment.update(KARTOITUS_DATABASE_URL=f"sqlite:///{tmp_path / 'k.db'}", KARTOITUS_LOG_LEVEL="WARNING",
                       KARTOITUS_DIGEST_WEEKDAY="0", PYTHONPATH=str(ROOT), **clock_setting())
    report = tmp_path / "imported.json"
    # In tmp_path: no .env of the checkout is read, so no platform is configured.
    done = subprocess.run([sys.executable, "-c", PROBE, str(report), *args], cwd=tmp_path, env=environment,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and report.exists(), done.stdout + done.stderr
    result = json.loads(report.read_text(encoding="utf-8"))
    return result["code"], set(result["modules"]), done.stdout + done.stderr


@pytest.mark.parametrize("args", [("--help",), ("round", "list"), ("tick",)], ids=" ".join)
def test_the_command_imports_no_drawing_library_and_no_platform_sdk(tmp_path: Path, args: tuple[str, ...]) -> None:
    code, modules, output = imported_by(tmp_path, *args)
    assert code == 0, output
    assert "bot" in modules and "typer" in modules, "the probe saw the command run"
    assert not modules & HEAVY, f"kartoitus {' '.join(args)} imported {sorted(modules & HEAVY)}"
