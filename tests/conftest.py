"""Suite-wide fixtures: the suite's clock (KARTOITUS_TEST_NOW), a throwaway PostgreSQL, the Telegram emulator."""

pytest_plugins = ["tests.support.clock", "tests.support.postgres", "tests.support.telegram", "tests.support.slack"]
