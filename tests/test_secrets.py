"""What counts as a secret, and how it is hidden in text and in output that streams."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from tui import config, locations
from tui.secrets import Redactor, StreamRedactor, redact, secret_values
from tui.sessions.output_log import run_filter

KEY = "sk-live-0123456789abcdef"


def test_values_of_configured_key_variables_and_common_tokens_are_hidden(loupe_dirs: dict[str, Path]) -> None:
    path = locations.user_config_file()
    path.write_text(
        '[endpoints.work]\nbase_url = "https://llm.example/v1"\napi_key_env = "WORK_LLM"\n'
        'headers = { "Authorization" = "Bearer hdr-cred-998877", "X-Team" = "infrastructure" }\n'
    )
    config.load(None)
    env = {
        "WORK_LLM": KEY,                      # named by api_key_env only
        "GH_TOKEN": "ghp_aaaaaaaaaaaaaaaaaaaa",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG",
        "MY_SERVICE_PASSWORD": "correct horse battery",
        "SHORT_TOKEN": "abc",                 # too short to be worth hiding
        "EDITOR_THEME": "solarized-dark",     # not a secret's name
    }
    text = "\n".join(f"{name}={value}" for name, value in env.items())
    text += "\nAuthorization: Bearer hdr-cred-998877\nteam infrastructure\n"
    text += "remote https://x-access-token:ghp_bbbbbbbbbbbb@github.com/o/r.git and ssh://git@host/r\n"
    hidden = redact(text, env)
    for secret in (KEY, "ghp_aaaa", "wJalrXUtnFEMI", "correct horse", "hdr-cred-998877", "ghp_bbbb"):
        assert secret not in hidden
    assert "WORK_LLM=[redacted:WORK_LLM]" in hidden
    assert "GH_TOKEN=[redacted:GH_TOKEN]" in hidden
    assert "SHORT_TOKEN=abc" in hidden and "EDITOR_THEME=solarized-dark" in hidden
    assert "team infrastructure" in hidden  # a header that carries no credential
    assert "https://***@github.com/o/r.git" in hidden and "ssh://git@host/r" in hidden


def test_a_secret_that_contains_another_is_hidden_whole() -> None:
    redactor = Redactor({"abcdefgh": "A", "abcdefgh-longer": "B"})
    assert redactor.redact("x abcdefgh-longer y abcdefgh") == "x [redacted:B] y [redacted:A]"


def test_a_secret_split_across_chunks_never_comes_out() -> None:
    secrets = secret_values({"OPENAI_API_KEY": KEY})
    text = f"before {KEY} middle sk-live-01 after {KEY}".encode()
    for size in (1, 2, 3, 7, 16):
        stream = StreamRedactor(secrets)
        out = b"".join(stream.feed(text[i:i + size]) for i in range(0, len(text), size)) + stream.close()
        assert out == b"before [redacted:OPENAI_API_KEY] middle sk-live-01 after [redacted:OPENAI_API_KEY]"
    stream = StreamRedactor(secrets)
    # Text that cannot be the start of a secret is passed on at once, not held back.
    assert stream.feed(b"plain output\n") == b"plain output\n"
    assert stream.feed(KEY[:10].encode()) == b""
    assert stream.close() == b"[redacted:partial]"


def test_loupe_redact_filters_a_pipe() -> None:
    env = {**os.environ, "DEPLOY_TOKEN": KEY}
    done = subprocess.run([sys.executable, "-m", "tui", "redact"], input=f"token: {KEY}\n".encode(),
                          capture_output=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"token: [redacted:DEPLOY_TOKEN]\n"


def test_a_log_filter_without_its_secrets_logs_nothing_but_why(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, f"OPENAI_API_KEY={KEY}\n".encode())
    os.close(write_end)
    log = tmp_path / "output.log"
    try:
        assert run_filter(log, tmp_path / "never-made.fifo", source=read_end) == 1
    finally:
        os.close(read_end)
    assert "this session's output is not logged: cannot open" in log.read_text()
    assert KEY not in log.read_text()
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
