"""What the git guard costs an agent: local commands and pushes, through the shim vs git.

Every figure is a median over many runs measured in this same run, with the guarded and
direct runs interleaved so machine noise (2 shared cores) falls on both alike.

- `git status` and `git log -1`: the guard's sh fast path. Goal: at most 1 ms added.
- a push that updates a ref (a fast-forward to a local bare remote): the guard's Python
  wrapper plus its pre-push check. Goal: at most 150 ms added. The direct and guarded pushes
  go to two identical remotes, so each sends the same objects.
- the worktree layer: a session's worktree whose own config points core.hooksPath at the
  guard's hooks, against a plain worktree of the same repository, with git run by absolute
  path (the shim never sees it): `git status`, a commit (which runs six hooks, each now a
  forwarder to the repository's own) and a fast-forward push (the pre-push check alone).

Also shown, for context: the floors any sh shim pays (a minimal `exec git "$@"` script, and
`sh -c 'exec git ...'`), the guard's own shim run by bash instead of dash (what it would cost
where /bin/sh is bash and dash is not installed), and a refused force push.

    .venv/bin/python bench/guard_overhead.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tui.guard.findgit import find_real_git  # noqa: E402
from tui.guard.install import hooks_folder, install  # noqa: E402
from tui.guard.worktree_config import protect_worktree  # noqa: E402

LOCAL_GOAL_MS = 1.0
PUSH_GOAL_MS = 150.0


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = (time.perf_counter() - start) * 1000
    if result.returncode not in (0, 1):
        raise SystemExit(f"bench: {' '.join(command)} failed with exit code {result.returncode}")
    return elapsed


def interleaved(runs: int, warmup: int, *measures: Callable[[], float]) -> list[list[float]]:
    samples: list[list[float]] = [[] for _ in measures]
    for round_number in range(warmup + runs):
        for index, measure in enumerate(measures):
            value = measure()
            if round_number >= warmup:
                samples[index].append(value)
    return samples


def row(label: str, values: list[float]) -> str:
    return f"  {label:<38} median {statistics.median(values):7.2f} ms   min {min(values):7.2f} ms   (n={len(values)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="timed runs per command (default 30, at least 20)")
    args = parser.parse_args()
    runs = max(args.runs, 20)

    with tempfile.TemporaryDirectory(prefix="loupe-guard-bench-") as scratch:
        base = Path(scratch)
        real_git = str(find_real_git())
        guard_bin = install(base / "guard", audit_log=base / "audit.jsonl")
        minimal = base / "minimal"
        minimal.mkdir()
        (minimal / "git").write_text(f'#!/bin/sh\nexec {real_git} "$@"\n')
        (minimal / "git").chmod(0o755)
        shim_text = (guard_bin / "git").read_text()
        bash = shutil.which("bash")
        bash_shim = base / "bash-shim" / "git"
        if bash:
            bash_shim.parent.mkdir()
            bash_shim.write_text(f"#!{bash}\n" + shim_text.split("\n", 1)[1])
            bash_shim.chmod(0o755)

        env = {key: value for key, value in os.environ.items() if not key.startswith(("GIT_", "LOUPE_"))}
        env.update(
            HOME=str(base), GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@loupe.invalid",
            GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@loupe.invalid",
        )
        guarded = {**env, "PATH": f"{guard_bin}{os.pathsep}{env['PATH']}"}
        work = base / "work"

        def git(*words: str, cwd: Path = work) -> None:
            subprocess.run([real_git, *words], cwd=cwd, env=env, check=True, capture_output=True)

        git("init", "-q", "-b", "main", str(work), cwd=base)
        for number in range(7):  # the research's fixture had 7 commits
            (work / f"f{number}.txt").write_text(f"{number}\n")
            git("add", ".")
            git("commit", "-q", "-m", f"commit {number}")
        for name in ("direct", "guarded"):
            git("init", "-q", "--bare", "-b", "main", str(base / f"{name}.git"), cwd=base)
            git("remote", "add", name, str(base / f"{name}.git"))
            git("push", "-q", name, "main")

        print(f"loupe guard overhead  (git {real_git}, python {sys.version.split()[0]}, {os.cpu_count()} cpus, "
              f"shim run by {shim_text.splitlines()[0][2:]})")
        print(f"local commands, {runs} runs each after 5 warm-ups, interleaved:")
        local_added = []
        floor_added = []
        for words in (["status"], ["log", "-1"]):
            exec_line = "exec " + " ".join([shlex.quote(real_git), *words])
            measures = [
                lambda: timed([str(guard_bin / "git"), *words], work, guarded),
                lambda: timed([real_git, *words], work, env),
                lambda: timed([str(minimal / "git"), *words], work, env),
                lambda: timed(["/bin/sh", "-c", exec_line], work, env),
            ]
            if bash:
                measures.append(lambda: timed([str(bash_shim), *words], work, guarded))
            shim, direct, floor, sh_c, *by_bash = interleaved(runs, 5, *measures)
            added = statistics.median(shim) - statistics.median(direct)
            local_added.append(added)
            floor_added.append(statistics.median(floor) - statistics.median(direct))
            sh_c_added = statistics.median(sh_c) - statistics.median(direct)
            name = "git " + " ".join(words)
            print(row(f"{name} direct", direct))
            print(row(f"{name} through the guard", shim))
            print(row(f"{name} minimal sh script (floor)", floor))
            print(row(f"{name} sh -c 'exec git' (floor)", sh_c))
            if by_bash:
                print(row(f"{name} the shim run by bash", by_bash[0]))
            ratio = statistics.median(shim) / statistics.median(direct)
            print(f"    added by the guard: {added:+.2f} ms ({ratio:.2f}x); by the floors: script "
                  f"{floor_added[-1]:+.2f} ms, sh -c {sh_c_added:+.2f} ms; guard minus script floor "
                  f"{added - floor_added[-1]:+.2f} ms")

        counter = iter(range(10_000))

        def new_commit() -> None:
            git("commit", "-q", "--allow-empty", "-m", f"bench {next(counter)}")

        def push(remote: str, environment: dict[str, str], command: str) -> float:
            return timed([command, "push", "-q", remote, "HEAD:refs/heads/main"], work, environment)

        pushes_direct: list[float] = []
        pushes_guarded: list[float] = []
        for round_number in range(3 + runs):
            new_commit()  # not timed: each round pushes one new commit to each remote
            first, second = (("direct", "guarded") if round_number % 2 else ("guarded", "direct"))
            for name in (first, second):
                value = push(name, env if name == "direct" else guarded, real_git if name == "direct" else "git")
                if round_number >= 3:
                    (pushes_direct if name == "direct" else pushes_guarded).append(value)
        push_added = statistics.median(pushes_guarded) - statistics.median(pushes_direct)
        print(f"a push that updates a ref (fast-forward to a local bare remote), {runs} runs after 3 warm-ups:")
        print(row("direct", pushes_direct))
        print(row("through the guard", pushes_guarded))
        print(f"    added by the guard: {push_added:+.2f} ms "
              f"({statistics.median(pushes_guarded) / statistics.median(pushes_direct):.2f}x)")

        layer_added = worktree_layer(base, real_git, env, guarded, guard_bin, runs)

        git("commit", "-q", "--amend", "--allow-empty", "-m", "rewritten")
        refused = [timed(["git", "push", "-q", "-f", "guarded", "HEAD:refs/heads/main"], work, guarded) for _ in range(10)]
        print(row("a refused force push (for context)", refused))

        worst_local = max(local_added)
        print("goals:")
        print(f"  local commands: {worst_local:+.2f} ms added (goal <= {LOCAL_GOAL_MS:.0f} ms): "
              f"{'met' if worst_local <= LOCAL_GOAL_MS else 'MISSED'}; any sh shim adds "
              f"{max(floor_added):+.2f} ms here")
        print(f"  push: {push_added:+.2f} ms added (goal <= {PUSH_GOAL_MS:.0f} ms): "
              f"{'met' if push_added <= PUSH_GOAL_MS else 'MISSED'}; by the worktree layer alone "
              f"{layer_added:+.2f} ms ({'met' if layer_added <= PUSH_GOAL_MS else 'MISSED'})")
        shutil.rmtree(base / "guard", ignore_errors=True)
    return 0


def worktree_layer(
    base: Path, real_git: str, env: dict[str, str], guarded: dict[str, str], guard_bin: Path, runs: int
) -> float:
    """Print the worktree layer's figures; return what it adds to a push (ms)."""
    def git(cwd: Path, *words: str) -> None:
        subprocess.run([real_git, *words], cwd=cwd, env=env, check=True, capture_output=True)

    work = base / "work"
    trees = {name: base / f"tree-{name}" for name in ("plain", "session")}
    for name, tree in trees.items():
        git(work, "worktree", "add", "-q", "-b", f"bench-{name}", str(tree), "main")
        git(base, "init", "-q", "--bare", "-b", "main", str(base / f"{name}.git"))
        git(tree, "push", "-q", str(base / f"{name}.git"), "HEAD:refs/heads/main")
    protect_worktree(trees["session"], hooks_folder(guard_bin), "bench")
    print(f"the worktree layer: git by absolute path in a session's worktree vs a plain one, {runs} runs:")
    status_plain, status_session, status_shim = interleaved(
        runs, 5,
        lambda: timed([real_git, "status"], trees["plain"], env),
        lambda: timed([real_git, "status"], trees["session"], env),
        lambda: timed([str(guard_bin / "git"), "status"], trees["session"], guarded),
    )
    commit = [real_git, "commit", "-q", "--allow-empty", "-m", "bench"]
    commit_plain, commit_session = interleaved(
        runs, 3, lambda: timed(commit, trees["plain"], env), lambda: timed(commit, trees["session"], env)
    )

    def push(name: str) -> float:
        git(trees[name], "commit", "-q", "--allow-empty", "-m", "to push")  # not timed
        return timed([real_git, "push", "-q", str(base / f"{name}.git"), "HEAD:refs/heads/main"], trees[name], env)

    push_plain, push_session = interleaved(runs, 3, lambda: push("plain"), lambda: push("session"))
    for label, values in (("git status, plain worktree", status_plain), ("git status, session worktree", status_session),
                          ("git status, session worktree, shim", status_shim),
                          ("commit, plain worktree", commit_plain), ("commit, session worktree", commit_session),
                          ("push (fast-forward), plain worktree", push_plain),
                          ("push (fast-forward), session worktree", push_session)):
        print(row(label, values))
    for what, plain, session in (("status", status_plain, status_session), ("commit", commit_plain, commit_session),
                                 ("push", push_plain, push_session)):
        print(f"    {what}: {statistics.median(session) - statistics.median(plain):+.2f} ms added by the layer")
    return statistics.median(push_session) - statistics.median(push_plain)


if __name__ == "__main__":
    raise SystemExit(main())
