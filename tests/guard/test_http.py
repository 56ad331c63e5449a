"""Pushes over smart HTTP, the way agents push to GitHub, work through the guard.

Over HTTP git runs its remote helper, which runs `git send-pack --stateless-rpc`: the guard
must let that through (the pre-push check already ran in the `git push` above it) and still
refuse a force push. The server is git's own http-backend behind Python's CGI server.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import CGIHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.fixtures.git import RepoWithRemote
from tests.fixtures.guard import GuardInstall


class _Handler(CGIHTTPRequestHandler):
    cgi_directories = ["/cgi-bin"]
    # Run the script with subprocess: the fork path would fork the test process and, as root,
    # switch to user nobody, who cannot read pytest's temporary folders.
    have_fork = False

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass


@pytest.fixture
def http_remote(repo: RepoWithRemote, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The repo's bare remote served read-write at http://127.0.0.1:<port>/cgi-bin/git/."""
    site = tmp_path / "site"
    (site / "cgi-bin").mkdir(parents=True)
    script = site / "cgi-bin" / "git"
    script.write_text(f"#!/bin/sh\nexec {shutil.which('git')} http-backend\n")
    script.chmod(0o755)
    subprocess.run(["git", "config", "http.receivepack", "true"], cwd=repo.remote, check=True)
    monkeypatch.setenv("GIT_PROJECT_ROOT", str(repo.remote.parent))
    monkeypatch.setenv("GIT_HTTP_EXPORT_ALL", "1")
    server = ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: _Handler(*a, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/git/{repo.remote.name}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_http_push_lands_and_force_push_is_refused(
    repo: RepoWithRemote, http_remote: str, guard_install: GuardInstall
) -> None:
    repo.git("remote", "add", "web", http_remote)
    repo.commit_file("a.txt", "a\n")
    pushed = guard_install.sh("git push web main", repo.path)
    assert pushed.returncode == 0, pushed.stderr
    assert repo.git("rev-parse", "main").stdout in repo.remote_refs()

    repo.git("commit", "-q", "--amend", "-m", "rewritten")
    before = repo.remote_refs()
    refused = guard_install.sh("git push -f web main", repo.path)
    assert refused.returncode == 1
    assert "refs/heads/main: non-fast-forward" in refused.stderr
    assert repo.remote_refs() == before
