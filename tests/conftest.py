"""Shared fixtures. Fixtures of a part of the tool live in tests/fixtures_*.py plugins."""

pytest_plugins: list[str] = [
    "tests.fixtures_emulator",
    "tests.fixtures_workspace",
    "tests.fixtures_environments",
    "tests.fixtures_accounts",
]
