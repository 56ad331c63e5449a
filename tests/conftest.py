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


def pytest_configure(config: object) -> None:
    # A suite started with `&` by a non-interactive shell (a CI step, a script) has SIGINT
    # ignored, and every process it starts inherits that: the tests that press Ctrl-C on
    # `loupe thread send` or `loupe agent` then waited 30 s for nothing. They are about
    # Ctrl-C at a terminal, so the suite's processes get the terminal's default.
    import signal

    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
