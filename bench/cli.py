"""How fast the `kartoitus` command starts: `--help`, `round list` and `tick`, beside the libraries it cannot avoid.

    .venv/bin/python bench/cli.py [--runs 5] [--top 10]

Each command runs as `python -m bot …` in a fresh temporary folder with a fresh SQLite file
(KARTOITUS_DATABASE_URL), no platform configured (no TELEGRAM_* or SLACK_* variable, nor any other
setting of the developer's shell) and KARTOITUS_LOG_LEVEL=WARNING; `db upgrade` runs once first, so
the schema exists and its creation is not counted, and `tick` finds nothing due. The baseline is
`python -c "import sqlmodel, typer, pydantic_settings, yaml"`, the libraries every command needs,
run the same way. The runs take turns (baseline, then each command, --runs times), so a busy machine
slows them alike. Prints per command the median wall time and the peak RSS of the child process
(os.wait4's ru_maxrss, the child alone), each with its ratio to the baseline; then, from one run
under `python -X importtime`, the heaviest top-level packages each command imports (cumulative:
everything a package's outermost imports took, what they import included; self: its own modules
only) and the module that first imported each (the nearest of ours, when one is on the way).
Aims: at most 1.3 × the baseline's time and under 80 MB, with no matplotlib, weasyprint or platform
SDK imported (tests/test_cli_imports.py checks the last).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOREIGN_PREFIXES = ("SLACK_", "TELEGRAM_", "KARTOITUS_")  # the shell's settings: not in the commands' environment
FIRST_PARTY = ("bot", "adapters", "storage")
BASELINE = ("import sqlmodel, typer, pydantic_settings, yaml",)
COMMANDS: dict[str, tuple[str, ...]] = {"--help": ("--help",), "round list": ("round", "list"), "tick": ("tick",)}
IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


@dataclass
class Run:
    seconds: float
    peak_mb: float


def environment(database: Path) -> dict[str, str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith(FOREIGN_PREFIXES)}
    return {**clean, "KARTOITUS_DATABASE_URL": f"sqlite:///{database}", "KARTOITUS_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT)}


def run_once(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> Run:
    """Wall time and peak RSS of one child: os.wait4 reaps it and gives its own resource usage."""
    with tempfile.TemporaryFile() as errors:
        began = time.perf_counter()
        child = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=errors)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - began
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait for it again
        if child.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"{' '.join(argv)} exited {child.returncode}:\n{errors.read().decode(errors='replace')}")
    return Run(elapsed, usage.ru_maxrss / 1024)  # ru_maxrss is in KiB on Linux


@dataclass
class Node:
    name: str
    self_us: int
    cumulative_us: int
    depth: int
    children: list[Node] = field(default_factory=list)


def import_tree(stderr: str) -> list[Node]:
    """`-X importtime` lines (children are printed before their parent, one indent deeper) as a forest."""
    pending: list[Node] = []
    for line in stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match is None:
            continue
        node = Node(match[4], int(match[1]), int(match[2]), (len(match[3]) - 1) // 2)
        while pending and pending[-1].depth > node.depth:
            node.children.insert(0, pending.pop())
        pending.append(node)
    return pending


@dataclass
class Package:
    cumulative_us: int = 0
    self_us: int = 0
    importer: str = ""


def packages(forest: list[Node]) -> dict[str, Package]:
    """Per top-level package: the cumulative time of its outermost imports, its own time, who first imported it."""
    found: dict[str, Package] = {}

    def visit(node: Node, ancestors: list[str]) -> None:
        top = node.name.split(".")[0]
        package = found.setdefault(top, Package())
        package.self_us += node.self_us
        outside = [a for a in ancestors if a.split(".")[0] != top]
        if len(outside) == len(ancestors):  # no module of the same package above: an outermost import
            package.cumulative_us += node.cumulative_us
            if not package.importer:
                ours = [a for a in outside if a.split(".")[0] in FIRST_PARTY]
                package.importer = (ours or outside or ["(the command)"])[-1]
        for child in node.children:
            visit(child, [*ancestors, node.name])

    for root in forest:
        visit(root, [])
    return found


def import_profile(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> dict[str, Package]:
    done = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
    return packages(import_tree(done.stderr))


def main(runs: int, top: int) -> None:
    with tempfile.TemporaryDirectory(prefix="kartoitus-bench-cli-") as folder:
        cwd = Path(folder)
        env = environment(cwd / "k.db")
        bot = [sys.executable, "-m", "bot"]
        run_once([*bot, "db", "upgrade"], cwd, env)  # the schema, not counted
        argvs = {"baseline": [sys.executable, "-c", *BASELINE], **{name: [*bot, *args] for name, args in
                                                                   COMMANDS.items()}}
        measured: dict[str, list[Run]] = {name: [] for name in argvs}
        for _ in range(runs):
            for name, argv in argvs.items():
                measured[name].append(run_once(argv, cwd, env))
        base_time = statistics.median(r.seconds for r in measured["baseline"])
        base_rss = statistics.median(r.peak_mb for r in measured["baseline"])
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, median of {runs} runs, "
              f"baseline: python -c \"{BASELINE[0]}\"")
        print(f"{'':12} {'wall time':>10} {'× baseline':>11} {'peak RSS':>10} {'× baseline':>11}")
        for name, results in measured.items():
            seconds = statistics.median(r.seconds for r in results)
            peak = statistics.median(r.peak_mb for r in results)
            print(f"{name:12} {seconds * 1000:7.0f} ms {seconds / base_time:10.2f}× {peak:7.1f} MB "
                  f"{peak / base_rss:10.2f}×")
        print(f"aims: at most {1.3 * base_time * 1000:.0f} ms (1.3 × the baseline) and under 80 MB")
        for name, args in COMMANDS.items():
            found = import_profile([*bot, *args], cwd, env)
            heaviest = sorted(found.items(), key=lambda item: -item[1].cumulative_us)[:top]
            print(f"\nkartoitus {name}: the {top} heaviest imports, of {len(found)} top-level packages "
                  f"(python -X importtime, one run)")
            print(f"  {'package':24} {'cumulative':>11} {'self':>9}  first imported by")
            for package, figures in heaviest:
                print(f"  {package:24} {figures.cumulative_us / 1000:8.1f} ms {figures.self_us / 1000:6.1f} ms  "
                      f"{figures.importer}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--top", type=int, default=10)
    arguments = parser.parse_args()
    main(arguments.runs, arguments.top)
