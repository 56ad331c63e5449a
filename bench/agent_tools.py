"""Costs of the built-in agent's machinery, each against a baseline measured in the same run.

- snapshot: recording a worktree (2,000 tracked files, 10 changed, 5 new) as a git tree,
  against what git itself needs (`git add -A` into a scratch index + `git write-tree`).
- apply_patch: 40 hunks on a 20,000-line file, against reading and writing the file.
- shell: running `true`, against `subprocess.run`; streaming 64 MiB of output through the
  tool (capped to 1 MiB), against `subprocess.run` capturing it all.
- loop: 20 tool-calling turns against the scripted model server, against the same 20
  requests streamed by the model client alone (so the ratio is the agent's own overhead:
  store writes, tools, snapshots, transcript).

Run: `.venv/bin/python bench/agent_tools.py`. Figures are medians of several runs.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def median_seconds(fn: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(name: str, ours: float, base: float, base_name: str) -> None:
    print(f"{name:<34} {ours * 1000:9.1f} ms   {base_name:<34} {base * 1000:9.1f} ms   ratio {ours / base:5.2f}")


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


def bench_snapshot(tmp: Path) -> None:
    from tui.agent.snapshot import snapshot_tree

    repo = tmp / "snap"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for i in range(2000):
        folder = repo / f"pkg{i % 40}"
        folder.mkdir(exist_ok=True)
        (folder / f"mod{i}.py").write_text(f"# module {i}\n" + "x = 1\n" * 30)
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "-m", "init")
    for i in range(10):
        (repo / f"pkg{i}" / f"mod{i}.py").write_text(f"# changed {i}\n")
    for i in range(5):
        (repo / f"new{i}.txt").write_text("new\n")
    snapshot_tree(repo)  # warm: pygit2 import, index stat cache

    def baseline() -> None:
        env = {**os.environ, "GIT_INDEX_FILE": str(tmp / "scratch-index")}
        shutil.copy(repo / ".git" / "index", tmp / "scratch-index")
        git(repo, "add", "-A", env=env)
        git(repo, "write-tree", env=env)

    report("snapshot_tree (2,000 files)", median_seconds(lambda: snapshot_tree(repo)),
           median_seconds(baseline), "git add -A + write-tree (scratch)")


def bench_apply_patch(tmp: Path) -> None:
    from tui.agent.apply_patch import apply_patch
    from tui.agent.paths import Workspace

    work = tmp / "patch"
    work.mkdir()
    target = work / "big.py"
    original = "".join(f"line_{i} = {i}\n" for i in range(20_000))
    hunks = []
    for k in range(40):
        n = 250 + k * 480
        hunks.append(f"@@\n line_{n - 1} = {n - 1}\n-line_{n} = {n}\n+line_{n} = {n * 2}\n line_{n + 1} = {n + 1}")
    patch = "*** Begin Patch\n*** Update File: big.py\n" + "\n".join(hunks) + "\n*** End Patch\n"
    ws = Workspace(work)

    def ours() -> None:
        target.write_text(original)
        apply_patch(patch, ws)

    def baseline() -> None:
        target.write_text(original)
        target.write_text(target.read_text().replace("line_250 = 250\n", "line_250 = 500\n"))

    report("apply_patch (40 hunks, 20k lines)", median_seconds(ours), median_seconds(baseline),
           "read + replace + write")


def bench_shell(tmp: Path) -> None:
    from tui.agent.shell import run_shell

    report(
        "run_shell(['true'])",
        median_seconds(lambda: run_shell(["true"], cwd=tmp, timeout_ms=10_000, cap_bytes=1 << 20), 20),
        median_seconds(lambda: subprocess.run(["true"], cwd=tmp), 20),
        "subprocess.run(['true'])",
    )
    big = tmp / "big.bin"
    big.write_bytes(os.urandom(1 << 20) * 64)
    seen = []
    report(
        "run_shell(cat 64 MiB), streamed",
        median_seconds(lambda: run_shell(["cat", str(big)], cwd=tmp, timeout_ms=60_000, cap_bytes=1 << 20,
                                         on_output=seen.append), 3),
        median_seconds(lambda: subprocess.run(["cat", str(big)], capture_output=True), 3),
        "subprocess.run(cat 64 MiB, captured)",
    )
    seen.clear()


def bench_loop(tmp: Path) -> None:
    from tui.agent.loop import AgentLoop
    from tui.config import AgentConfig
    from tui.agent.paths import Workspace
    from tui.agent.status import StatusReporter
    from tui.agent.tools import Toolbox
    from tui.agent.transcript import Transcript
    from tui.model.client import ModelClient
    from tui.model.endpoints import Endpoint
    from tui.model.scripted_server import Reply, ScriptedServer, ToolCallSpec
    from tui.threads.model import Role
    from tui.threads.store import ThreadStore

    repo = tmp / "loop"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "a.py").write_text("x = 1\n")
    turns = 20
    replies = [Reply(tool_calls=[ToolCallSpec("read_file", {"file_path": "a.py"})]) for _ in range(turns - 1)]
    replies.append(Reply(text="done"))

    with ScriptedServer() as server:
        client = ModelClient(Endpoint("bench", server.base_url, "bench-model", api_key_env=""), max_retries=0)

        def agent() -> None:
            server.script(*replies)
            with ThreadStore(tmp / f"threads-{time.perf_counter_ns()}.sqlite") as store:
                thread = store.create_thread("bench", kind="agent")
                store.append(thread.id, Role.USER, "read a.py many times")
                toolbox = Toolbox(Workspace(repo))
                with asyncio.Runner() as runner:
                    result = AgentLoop(
                        store, client, thread.id, root=repo, toolbox=toolbox,
                        transcript=Transcript(io.StringIO(), colour=False), status=StatusReporter(),
                        settings=AgentConfig(max_turns=turns + 1), runner=runner,
                    ).run()
                assert result.exit_code == 0, result

        async def raw() -> None:
            server.script(*replies)
            for _ in range(turns):
                async with client.stream([{"role": "user", "content": "read"}]) as stream:
                    async for _event in stream:
                        pass

        agent()  # warm imports
        report(f"agent loop ({turns} turns)", median_seconds(agent, 3),
               median_seconds(lambda: asyncio.run(raw()), 3), f"client streams only ({turns})")


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        os.environ.setdefault("LOUPE_DATA_DIR", str(tmp / "data"))
        bench_snapshot(tmp)
        bench_apply_patch(tmp)
        bench_shell(tmp)
        bench_loop(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
