"""Where a session's own files live on this machine: status, output log, last screen, wrapper.

Only the local host, and the programs that run beside a local agent (`loupe hook`), know
these paths; everything else asks the session's host. A session on another machine has
the same files under that machine's data folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tui import locations


def sessions_dir() -> Path:
    """Per-session files, by session id.

    Global rather than per repository so that `loupe hook <id>` finds a session from its id
    alone, wherever the agent runs.
    """
    return locations.data_dir() / "sessions"


@dataclass(frozen=True)
class SessionFiles:
    folder: Path

    @property
    def status_file(self) -> Path:
        return self.folder / "status.json"

    @property
    def log_file(self) -> Path:
        return self.folder / "output.log"

    @property
    def last_screen_file(self) -> Path:
        return self.folder / "last-screen.ansi"

    @property
    def run_script(self) -> Path:
        return self.folder / "run.sh"

    @property
    def env_file(self) -> Path:
        """The agent's environment, private (0600) and read then deleted by the run script."""
        return self.folder / "env.sh"


def session_files(session_id: str) -> SessionFiles:
    return SessionFiles(sessions_dir() / session_id)
