"""A throwaway PostgreSQL 15 cluster for the test session, on a free loopback port.

The machines run as root and initdb refuses root, so the cluster runs as the `postgres` user
in a directory that user owns. Tests are skipped only where no PostgreSQL binaries exist.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

BIN_DIRS = [Path(p) for p in os.environ.get("KARTOITUS_PG_BIN", "").split(":") if p] + sorted(
    Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
_names = itertools.count(1)


def _bin_dir() -> Path | None:
    for directory in BIN_DIRS:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str], log: Path | None = None) -> None:
    """Run a PostgreSQL tool; on failure say what it printed (and the server log), not just its exit code."""
    done = subprocess.run(_as_postgres(command), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        server_log = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}{server_log}")


def _start(binaries: Path, root: Path) -> int:
    """initdb and start the cluster on a free loopback port (three tries: a port can be taken meanwhile)."""
    _run([str(binaries / "initdb"), "-D", str(root / "data"), "-A", "trust", "-U", "postgres", "--no-sync",
          "-E", "UTF8", "--locale=C"])
    for _attempt in range(2):
        with contextlib.suppress(RuntimeError):
            return _serve(binaries, root)
    return _serve(binaries, root)


def _serve(binaries: Path, root: Path) -> int:
    port = _free_port()
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"
    log = root / "log"
    _run([str(binaries / "pg_ctl"), "-w", "-D", str(root / "data"), "-o", options, "-l", str(log), "start"], log)
    return port


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL cluster for the whole session, run as `postgres` when the tests run as root."""
    binaries = _bin_dir()
    if binaries is None:
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl) on this machine")
    root = Path(tempfile.mkdtemp(prefix="kartoitus-pg-"))
    if os.geteuid() == 0:  # initdb refuses root
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
    try:
        port = _start(binaries, root)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres([str(binaries / "pg_ctl"), "-D", str(root / "data"), "-m", "immediate", "stop"]),
                       check=False, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> str:
    """A new, empty database in the session's cluster."""
    name = f"test_{os.getpid()}_{next(_names)}"
    with psycopg.connect(postgres_url.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return postgres_url.rsplit("/", 1)[0] + f"/{name}"
