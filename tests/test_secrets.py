"""What counts as a secret, and how it is hidden in text and in output that streams."""

from __future__ import annotations

from pathlib import Path

from tui import config, locations
from tui.secrets import Redactor, StreamRedactor, redact, secret_values

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
