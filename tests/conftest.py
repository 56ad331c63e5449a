"""Shared fixtures. Each feature's fixtures live in `tests/fixtures/` as a pytest plugin."""

pytest_plugins = [
    "tests.fixtures.env",
    "tests.fixtures.git",
    "tests.fixtures.model_server",
    "tests.fixtures.guard",
    "tests.fixtures.tmux",
    "tests.fixtures.sessions",
    "tests.fixtures.fake_agents",
    "tests.fixtures.tasks",
    "tests.fixtures.sshd",
    "tests.fixtures.remote_sessions",
    "tests.fixtures.review",
]
