"""Suite-wide fixtures: the suite's clock (KARTOITUS_TEST_NOW), a throwaway PostgreSQL, the Telegram emulator."""

import pytest

pytest_plugins = ["tests.support.clock", "tests.support.postgres", "tests.support.telegram", "tests.support.slack"]


# The slowest files first (fault injection, real processes, the CLI in subprocesses): worksteal then spreads them
# over the workers from the start, instead of one of them starting last and holding the end of the run.
SLOW_FIRST = ("tests/faults/", "tests/test_deploying.py", "tests/test_rounds_cli.py", "tests/test_outbox_cli.py",
              "tests/adapters/test_terminal_held_messages.py", "tests/adapters/test_terminal_chat.py",
              "tests/test_export_escaping.py", "tests/fuzz/test_turns.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: 0 if item.nodeid.startswith(SLOW_FIRST) else 1)  # stable: the rest keep their order
