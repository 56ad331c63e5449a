"""`loupe guard check`: install the guard in a scratch folder and try it on a scratch remote.

Every check runs in a fresh copy of one prepared scenario, so one check's push can never
change what the next one sees. A blocked check passes when git failed, the guard said why,
and the remote's refs did not move; an allowed check passes when its effect is on the remote.
The scratch guard writes its own audit log, so a check never shows up as a real refusal.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tui.guard.install import install

# The scenario, commits touching different files so pulls and rebases never conflict:
#   remote.git  main=B (A<-B), keep=A, feature=B, shared=E (E unknown to work),
#               tags v1=A (lightweight), v2 -> A (annotated); sub.git: one commit
#   work        main=C (A<-C, diverged from B), ahead=D (B<-D, a fast-forward of main),
#               remote-tracking refs for main, keep and feature only
SCENARIO = """
set -e
commit() { echo "$1" > "$1.txt"; git add "$1.txt"; git commit -q -m "$1"; }
git init -q --bare -b main remote.git
git -C remote.git config receive.advertisePushOptions true
git init -q -b main sub-work && (cd sub-work && commit s) && git clone -q --bare sub-work sub.git && rm -rf sub-work
git init -q -b main work
cd work
git remote add origin ../remote.git
commit a; commit b
git push -q -u origin main
git branch keep HEAD~1; git branch feature; git tag v1 HEAD~1; git tag -a -m v2 v2 HEAD~1
git push -q origin keep feature v1 v2
git branch -q -D keep feature
git clone -q ../remote.git ../other
(cd ../other && git checkout -q -b shared && commit e && git push -q origin shared)
rm -rf ../other
git checkout -q -b ahead; commit d; git checkout -q main
git reset -q --hard HEAD~1; commit c
git fetch -q origin main keep feature
"""

MAIN_IS_AHEAD = 'test "$(git rev-parse ahead)" = "$(git -C ../remote.git rev-parse main)"'


@dataclass(frozen=True)
class Check:
    command: str  # run by /bin/sh in work/, behind the guard
    blocked: bool  # the right verdict
    setup: str = ""  # run first, without the guard
    lands: str = ""  # allowed checks: a shell test that holds once the push landed


CHECKS = (
    Check("git push -f origin main", True),
    Check("git push --force-with-lease origin main", True),
    Check("git push -uf origin main", True),
    Check("git push origin +main", True),
    Check("git push -f origin main:shared", True),
    Check("git push origin --delete keep", True),
    Check("git push origin :keep", True),
    Check("git push --prune origin 'refs/heads/*:refs/heads/*'", True),
    Check("git push -f origin v1", True, setup="git tag -f v1 main >/dev/null"),
    Check("git push --mirror", True),
    Check("git push --no-veri -f origin main", True),
    Check("git -c remote.origin.push=+refs/heads/main:refs/heads/main push origin", True),
    Check("git -c alias.pf='push --force' pf origin main", True),
    Check("git -c alias.pf='!git push --no-verify -f origin main' pf", True),
    Check("git rebase --exec 'git push -f origin HEAD:main' HEAD~1", True),
    Check("git send-pack --force ../remote.git main", True),
    Check("git push origin ahead:main", False, lands=MAIN_IS_AHEAD),
    Check("git push -f origin ahead:main", False, lands=MAIN_IS_AHEAD),
    Check("git push origin main:refs/heads/agent/new", False, lands="git -C ../remote.git rev-parse -q --verify agent/new"),
    Check("git tag v9 && git push origin v9", False, lands="git -C ../remote.git rev-parse -q --verify v9"),
    Check("git push --dry-run -f origin main", False, lands="git -C ../remote.git rev-parse -q --verify keep"),
    Check("git fetch origin", False, lands="git rev-parse -q --verify origin/shared"),
)


@dataclass(frozen=True)
class CheckResult:
    check: Check
    refused: bool  # git failed and the guard said why
    remote_changed: bool
    ok: bool
    detail: str  # the guard's or git's last words, for a failed check


def scenario_env(home: Path) -> dict[str, str]:
    """An environment that ignores the user's git config, so verdicts do not depend on it."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GIT_", "LOUPE_"))}
    env.update(
        HOME=str(home),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="loupe guard check",
        GIT_AUTHOR_EMAIL="guard-check@loupe.invalid",
        GIT_COMMITTER_NAME="loupe guard check",
        GIT_COMMITTER_EMAIL="guard-check@loupe.invalid",
    )
    return env


def build_scenario(folder: Path) -> Path:
    subprocess.run(["/bin/sh", "-c", SCENARIO], cwd=folder, env=scenario_env(folder), check=True, capture_output=True)
    return folder


def _sh(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["/bin/sh", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _refs(remote: Path, env: dict[str, str]) -> str:
    return _sh("git for-each-ref --format='%(refname) %(objectname)'", remote, env).stdout


def run_checks(progress: Callable[[CheckResult], None] | None = None) -> list[CheckResult]:
    results = []
    with tempfile.TemporaryDirectory(prefix="loupe-guard-check-") as scratch:
        base = Path(scratch)
        guard_bin = install(base / "guard", audit_log=base / "audit.jsonl")
        scenario = build_scenario(_mkdir(base / "scenario"))
        plain = scenario_env(base)
        guarded = {**plain, "PATH": f"{guard_bin}{os.pathsep}{plain.get('PATH', '')}"}
        for number, check in enumerate(CHECKS):
            root = base / f"check-{number}"
            shutil.copytree(scenario, root, symlinks=True)
            work = root / "work"
            if check.setup:
                _sh(check.setup, work, plain)
            before = _refs(root / "remote.git", plain)
            ran = _sh(check.command, work, guarded)
            changed = _refs(root / "remote.git", plain) != before
            refused = ran.returncode != 0 and "loupe guard: refused" in ran.stderr
            if check.blocked:
                ok = refused and not changed
            else:
                ok = ran.returncode == 0 and _sh(check.lands, work, plain).returncode == 0
            result = CheckResult(check, refused, changed, ok, "" if ok else ran.stderr.strip()[-400:])
            results.append(result)
            if progress is not None:
                progress(result)
            shutil.rmtree(root, ignore_errors=True)
    return results


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path
