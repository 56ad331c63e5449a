"""Login shells keep the guard's shim first on PATH: BASH_ENV and ENV run after the profiles.

Codex runs its commands with `bash -lc`, and Debian's /etc/profile sets PATH from scratch.
These run real bash and dash with a HOME whose profiles do the same (see `login_home`).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.fixtures.guard import PROFILE_PATH, GuardInstall, login_home
from tui.guard.login_shells import startup_env


def test_login_shells_keep_the_shim_first_and_run_the_users_own_file(
    guard_install: GuardInstall, tmp_path: Path
) -> None:
    home = login_home(tmp_path)
    own = tmp_path / "own-bash-env"
    own.write_text("echo user-bash-env-ran\n")
    env = guard_install.env({**startup_env(guard_install.bin, {"BASH_ENV": str(own)}), "HOME": str(home)})
    shim = str(guard_install.bin / "git")
    login = subprocess.run(["bash", "-lc", "command -v git"], env=env, capture_output=True, text=True, timeout=30)
    assert login.stdout.splitlines() == ["user-bash-env-ran", shim]
    # Without the startup file, the profile's reset wins: this is the layer that holds.
    del env["BASH_ENV"]
    reset = subprocess.run(["bash", "-lc", "command -v git"], env=env, capture_output=True, text=True, timeout=30)
    assert reset.stdout.strip() == shutil.which("git", path=PROFILE_PATH)
    # An interactive login sh reads ENV after ~/.profile.
    interactive = subprocess.run(
        ["dash", "-il", "-c", "command -v git"], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=30,
    )
    assert interactive.stdout.strip() == shim


def test_loupe_started_inside_a_session_keeps_the_users_own_file(guard_install: GuardInstall) -> None:
    inner = startup_env(guard_install.bin, {"BASH_ENV": "/home/me/.bash_env"})
    nested = startup_env(guard_install.bin, inner)
    assert nested["LOUPE_USER_BASH_ENV"] == "/home/me/.bash_env"
    assert nested["BASH_ENV"] == inner["BASH_ENV"]
