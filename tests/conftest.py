"""Suite-wide fixtures: the throwaway PostgreSQL cluster and paths to the shipped content."""

pytest_plugins = ["tests.support.postgres", "tests.support.telegram"]
