"""`loupe task list|show` on a terminal: names, titles and front matter from task files show
their control characters as text (`␛]52;…`), and a pipe gets them exactly. The phase and
the folder's path were printed raw, and the rest as `\\x1b`, not as the app shows them."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.pty_app import run_on_terminal
from tests.test_thread_cli_output import CLEAR, CLIPBOARD, TITLE, controls_in
from tui.locations import loupe_command


def hostile_task(tmp_path: Path) -> Path:
    """A task whose folder name, title, phase and status hold controls (a phase is lowercased)."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    folder = repo / ".loupe" / "tasks" / f"evil{TITLE}"
    folder.mkdir(parents=True)
    (folder / "ticket.md").write_text(
        f"---\nphase: design{CLEAR}\nstatus: open{TITLE}\n---\n# Fix [/api/login] {CLIPBOARD}\n", encoding="utf-8"
    )
    return repo


def test_task_list_and_show_on_a_terminal_show_controls_as_text(tmp_path: Path) -> None:
    repo = hostile_task(tmp_path)
    listed, code = run_on_terminal(["task", "--repo", str(repo), "list"])
    assert code == 0, listed
    assert "Fix [/api/login] ␛]52;c;" in listed and "design␛[2j\\x9b2j" in listed and "open␛]0;owned␇" in listed
    assert controls_in(listed) == []

    shown, code = run_on_terminal(["task", "--repo", str(repo), "show", "evil" + TITLE])
    assert code == 0, shown
    assert "Fix [/api/login] ␛]52;c;" in shown and "evil␛]0;owned␇" in shown
    assert controls_in(shown) == []


def test_task_list_in_a_pipe_is_exact(tmp_path: Path) -> None:
    repo = hostile_task(tmp_path)
    piped = subprocess.run([*loupe_command(), "task", "--repo", str(repo), "list"],
                           capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0, piped.stderr
    assert f"Fix [/api/login] {CLIPBOARD}" in piped.stdout and f"design{CLEAR.lower()}" in piped.stdout
