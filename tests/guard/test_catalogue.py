"""The catalogue: every way git lets a push destroy remote history, and what must still work.

Each case runs in a fresh copy of one prepared scenario (`tui.guard.selftest.SCENARIO`, drawn
there): a bare `remote.git` and a clone `work` whose `main` has diverged from the remote's.
A case that destroys history is run twice: once without the guard, proving it really
destroys something (so this test can fail), and once with it, proving the remote's refs did
not change by a single byte and the agent was told why. Every allowed case must land.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.fixtures.guard import GuardInstall
from tui.guard.selftest import MAIN_IS_AHEAD, build_scenario

REAL_GIT = shutil.which("git") or "/usr/bin/git"


@dataclass(frozen=True)
class Case:
    id: str
    command: str  # run by /bin/sh in work/
    destroys: bool  # does it destroy remote history without the guard?
    verdict: str  # "blocked" or "allowed"
    setup: str = ""  # run in work/ without the guard, before the command
    env: dict[str, str] = field(default_factory=dict)
    lands: str = ""  # allowed cases: a shell test, run in work/, that holds once it landed


def blocked(id: str, command: str, *, setup: str = "", env: dict[str, str] | None = None, destroys: bool = True) -> Case:
    return Case(id, command, destroys, "blocked", setup, env or {})


def allowed(id: str, command: str, lands: str, *, setup: str = "", env: dict[str, str] | None = None) -> Case:
    return Case(id, command, False, "allowed", setup, env or {}, lands)


LEASE = "$(git rev-parse origin/main)"
FORCED_MAIN = "+refs/heads/main:refs/heads/main"
MOVE_V1 = "git tag -f v1 main >/dev/null"
SUBMODULE = 'git -c protocol.file.allow=always submodule add -q "$PWD/../sub.git" lib && git commit -qm lib'
FORCED_CONFIG = "[remote \"origin\"]\n\tpush = +refs/heads/main:refs/heads/main\n"

CASES = [
    # --- force flags, every spelling ---
    blocked("force-short", "git push -f origin main"),
    blocked("force-long", "git push --force origin main"),
    blocked("force-abbreviated", "git push --force-with origin main"),
    blocked("force-after-refspec", "git push origin main --force"),
    blocked("force-no-arguments", "git push -f"),
    blocked("force-repo-option", "git push --repo=origin -f"),
    blocked("force-after-double-dash", "git push --force -- origin main"),
    blocked("force-with-push-option", "git push -o ci.skip -f origin main"),
    blocked("force-atomic", "git push --atomic -f origin main"),
    blocked("force-to-url", "git push -f ../remote.git main"),
    blocked("force-to-file-url", 'git push -f "file://$PWD/../remote.git" main'),
    blocked("bundled-uf", "git push -uf origin main"),
    blocked("bundled-fu", "git push -fu origin main"),
    blocked("bundled-vf", "git push -vf origin main"),
    blocked("lease-bare", "git push --force-with-lease origin main"),
    blocked("lease-ref", "git push --force-with-lease=main origin main"),
    blocked("lease-ref-sha", f"git push --force-with-lease=main:{LEASE} origin main"),
    blocked("lease-abbreviated", "git push --force-w origin main"),
    blocked("lease-if-includes", "git push --force-with-lease --force-if-includes origin main"),
    blocked("if-includes-with-force", "git push --force-if-includes -f origin main"),
    # --- forced refspecs ---
    blocked("plus-branch", "git push origin +main"),
    blocked("plus-src-dst", "git push origin +main:main"),
    blocked("plus-head", "git push origin +HEAD:main"),
    blocked("plus-glob", "git push origin '+refs/heads/*:refs/heads/*'"),
    blocked("plus-matching", "git push origin +:"),
    blocked("unknown-remote-commit", "git push -f origin main:shared"),
    # --- deletions ---
    blocked("delete-long", "git push origin --delete keep"),
    blocked("delete-abbreviated", "git push origin --del keep"),
    blocked("delete-short", "git push origin -d keep"),
    blocked("delete-colon", "git push origin :keep"),
    blocked("delete-colon-full", "git push origin :refs/heads/keep"),
    blocked("prune", "git push --prune origin 'refs/heads/*:refs/heads/*'"),
    blocked("delete-tag", "git push origin :refs/tags/v1"),
    blocked("delete-annotated-tag", "git push --delete origin v2"),
    # --- tags moved ---
    blocked("tag-move-forced", "git push -f origin v1", setup=MOVE_V1),
    blocked("tag-move-tags-flag", "git push --tags -f origin", setup=MOVE_V1),
    blocked("tag-move-plus", "git push origin +v1", setup=MOVE_V1),
    blocked("tag-move-fast-forward", "git push -f origin v1", setup="git tag -f v1 origin/main >/dev/null"),
    # --- mirror, from flags and from every config source ---
    blocked("mirror", "git push --mirror"),
    blocked("mirror-abbreviated", "git push --mir"),
    blocked("mirror-one-letter", "git push --m origin"),
    blocked("mirror-repo-config", "git push origin", setup="git config remote.origin.mirror true"),
    blocked("mirror-dash-c", "git -c remote.origin.mirror=true push origin"),
    blocked("mirror-config-env", "git --config-env=remote.origin.mirror=MIRROR push origin", env={"MIRROR": "yes"}),
    blocked(
        "mirror-config-count",
        "git push origin",
        env={"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "remote.origin.mirror", "GIT_CONFIG_VALUE_0": "true"},
    ),
    blocked(
        "mirror-config-global",
        'GIT_CONFIG_GLOBAL="$PWD/../extra.cfg" git push',
        setup="printf '[remote \"origin\"]\\n\\tmirror = on\\n' > ../extra.cfg",
    ),
    # --- skipping the hook ---
    blocked("no-verify", "git push --no-verify -f origin main"),
    blocked("no-verify-abbreviated", "git push --no-veri -f origin main"),
    blocked("no-verify-abbreviated-2", "git push --no-verif --force origin main"),
    blocked("no-verify-fast-forward", "git push --no-verify origin ahead:main", destroys=False),
    blocked("hookspath-dash-c", "git -c core.hooksPath=/dev/null push -f origin main"),
    blocked("hookspath-config-env", "git --config-env=core.hooksPath=HP push -f origin main", env={"HP": "/dev/null"}),
    blocked(
        "hookspath-config-count",
        "git push -f origin main",
        env={"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.hooksPath", "GIT_CONFIG_VALUE_0": "/nonexistent"},
    ),
    blocked("hookspath-repo-config", "git push -f origin main", setup="git config core.hooksPath /nonexistent"),
    # --- forced refspecs in config ---
    blocked("push-refspec-repo-config", "git push origin", setup=f"git config remote.origin.push {FORCED_MAIN}"),
    blocked("push-refspec-dash-c", f"git -c remote.origin.push={FORCED_MAIN} push origin"),
    blocked("push-refspec-config-env", "git --config-env=remote.origin.push=SPEC push origin", env={"SPEC": FORCED_MAIN}),
    blocked(
        "push-refspec-config-count",
        "git push",
        env={"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "remote.origin.push", "GIT_CONFIG_VALUE_0": FORCED_MAIN},
    ),
    blocked(
        "push-refspec-config-parameters",
        "git push origin",
        env={"GIT_CONFIG_PARAMETERS": f"'remote.origin.push'='{FORCED_MAIN}'"},
    ),
    blocked(
        "push-refspec-config-global",
        'GIT_CONFIG_GLOBAL="$PWD/../extra.cfg" git push origin',
        setup=f"printf '{FORCED_CONFIG}' > ../extra.cfg",
    ),
    # --- aliases ---
    blocked("alias-repo-config", "git pf origin main", setup="git config alias.pf 'push --force'"),
    blocked("alias-dash-c", "git -c alias.pf='push -f' pf origin main"),
    blocked("alias-chain", "git -c alias.a=b -c alias.b='push -f' a origin main"),
    blocked("alias-with-globals", "git -c alias.pm='-c remote.origin.mirror=true push' pm origin"),
    blocked("alias-no-verify", "git -c alias.pnv='push --no-verify' pnv -f origin main"),
    blocked("alias-overrides-hookspath", "git -c alias.x='-c core.hooksPath=/dev/null push' x -f origin main"),
    blocked("alias-config-env", "git --config-env=alias.pf=ALIAS pf origin main", env={"ALIAS": "push --force"}),
    blocked("shell-alias", "git -c alias.pf='!git push -f origin main' pf"),
    blocked("shell-alias-no-verify", "git -c alias.pf='!git push --no-verify -f origin main' pf"),
    blocked("shell-alias-absolute-git", f"git -c alias.pf='!{REAL_GIT} push -f origin main' pf"),
    # --- global options before push ---
    blocked("dash-C", "cd .. && git -C work push -f origin main"),
    blocked("git-dir-equals", "git --git-dir=.git push -f origin main"),
    blocked("git-dir-work-tree", "git --git-dir .git --work-tree . push -f origin main"),
    blocked("no-pager-paginate", "git --no-pager -p push -f origin main"),
    # --- plumbing ---
    blocked("send-pack-force", "git send-pack --force ../remote.git main"),
    blocked("send-pack-delete", "git send-pack ../remote.git :refs/heads/keep"),
    blocked("http-push", "git http-push ../remote.git main", destroys=False),
    blocked("exec-path-override", "git --exec-path=/usr/lib/git-core push origin ahead:main", destroys=False),
    blocked("receive-pack-option", "git push --receive-pack='git receive-pack' -f origin main"),
    blocked(
        "receive-pack-custom",
        "git push --exec='git update-ref -d refs/heads/keep ../remote.git && git-receive-pack' origin ahead:main",
        destroys=False,
    ),
    # --- nested git ---
    blocked("rebase-exec", "git rebase --exec 'git push -f origin HEAD:main' HEAD~1"),
    blocked("rebase-exec-dashed-push", "git rebase -x 'git-push --no-verify -f origin HEAD:main' HEAD~1"),
    blocked("rebase-exec-no-verify", "git rebase -x 'git push --no-verify -f origin HEAD:main' HEAD~1"),
    blocked(
        "submodule-foreach",
        "git submodule foreach -q 'git -c protocol.file.allow=always -C \"$toplevel\" push -f origin main'",
        setup=SUBMODULE,
    ),
    blocked(
        "bisect-run",
        "git bisect start HEAD HEAD~3 >/dev/null && git bisect run sh -c 'git push -f origin HEAD:main || exit 128'",
        setup="for n in 1 2 3; do git commit -q --allow-empty -m c$n; done",
    ),
    blocked(
        "filter-branch",
        # Filters run in a scratch folder, so the remote is named by absolute path.
        'R=$(cd ../remote.git && pwd) && git filter-branch -f --msg-filter '
        '"git push -f $R $(git rev-parse HEAD):refs/heads/main >&2 || exit 1; cat" HEAD~1..HEAD',
        env={"FILTER_BRANCH_SQUELCH_WARNING": "1"},
    ),
    # --- allowed: must land ---
    allowed("fast-forward", "git push origin ahead:main", MAIN_IS_AHEAD),
    allowed("fast-forward-with-force", "git push -f origin ahead:main", MAIN_IS_AHEAD),
    allowed("fast-forward-plus", "git push origin +ahead:main", MAIN_IS_AHEAD),
    allowed("fast-forward-lease", "git push --force-with-lease origin ahead:main", MAIN_IS_AHEAD),
    allowed("fast-forward-alias", "git -c alias.p=push p origin ahead:main", MAIN_IS_AHEAD),
    allowed("fast-forward-shell-alias", "git -c alias.p='!git push origin ahead:main' p", MAIN_IS_AHEAD),
    allowed("fast-forward-dash-C", "cd .. && git -C work push -u origin ahead:main", MAIN_IS_AHEAD),
    allowed("fast-forward-push-option-f", "git push -of origin ahead:main", MAIN_IS_AHEAD),
    allowed("no-verify-negated", "git push --no-verify --verify origin ahead:main", MAIN_IS_AHEAD),
    allowed("fast-forward-follow-tags", "git push --follow-tags origin ahead:main", MAIN_IS_AHEAD),
    allowed(
        "new-branch",
        "git push origin main:refs/heads/agent/new",
        'test "$(git rev-parse main)" = "$(git -C ../remote.git rev-parse agent/new)"',
    ),
    allowed(
        "new-branch-forced",
        "git push -f origin ahead",
        'test "$(git rev-parse ahead)" = "$(git -C ../remote.git rev-parse ahead)"',
    ),
    allowed(
        "new-tag",
        "git tag v9 main && git push origin v9",
        'test "$(git rev-parse v9)" = "$(git -C ../remote.git rev-parse v9)"',
    ),
    allowed(
        "new-tag-tags-flag",
        "git tag -a -m nine v9 main && git push --tags origin",
        'test "$(git rev-parse v9)" = "$(git -C ../remote.git rev-parse v9)"',
    ),
    allowed(
        "unchanged-tag",
        "git push origin v1",
        'test "$(git rev-parse v1)" = "$(git -C ../remote.git rev-parse v1)"',
    ),
    allowed(
        "dry-run-of-force",
        "git push --dry-run -f origin main",
        'test "$(git -C ../remote.git rev-parse main)" = "$(git rev-parse origin/main)"',
    ),
    allowed(
        "dry-run-of-delete",
        "git push -n origin :keep",
        "git -C ../remote.git rev-parse --verify -q keep",
    ),
    allowed(
        "send-pack-dry-run",
        "git send-pack --dry-run ../remote.git ahead:refs/heads/sp",
        "! git -C ../remote.git rev-parse --verify -q sp",
    ),
    allowed(
        "rebase-exec-new-branch",
        "git rebase --exec 'git push origin HEAD:refs/heads/rebased' HEAD~1",
        "git -C ../remote.git rev-parse --verify -q rebased",
    ),
    allowed("fetch", "git fetch origin", "git rev-parse --verify -q origin/shared"),
    allowed("pull-rebase", "git pull -q --rebase origin main", "git merge-base --is-ancestor origin/main main"),
    allowed("pull-merge", "git pull -q --no-rebase origin main", "git merge-base --is-ancestor origin/main main"),
    allowed("clone", "git clone -q ../remote.git ../copy", "test -f ../copy/b.txt"),
    allowed("commit", "git commit -q --allow-empty -m more", 'test "$(git log -1 --format=%s)" = more'),
    allowed("rebase", "git rebase -q origin/main", "git merge-base --is-ancestor origin/main main"),
    allowed("reset-hard", "git reset -q --hard origin/main", 'test "$(git rev-parse main)" = "$(git rev-parse origin/main)"'),
    allowed("branch-delete", "git branch -D ahead", "! git rev-parse --verify -q ahead"),
    allowed("local-tag-move", "git tag -f v1 main", 'test "$(git rev-parse v1)" = "$(git rev-parse main)"'),
]

@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once; each run copies it (a copy costs milliseconds, a rebuild ~40 git calls)."""
    return build_scenario(tmp_path_factory.mktemp("scenario"))


def fresh_copy(scenario: Path, target: Path) -> Path:
    shutil.copytree(scenario, target, symlinks=True)
    return target


def ref_bytes(remote: Path) -> bytes:
    """Every ref of the remote with its object id, and its HEAD, exactly as git prints them."""
    listing = subprocess.run(
        [REAL_GIT, "-C", str(remote), "for-each-ref", "--format=%(refname) %(objectname)"],
        capture_output=True, check=True,
    ).stdout
    return listing + (remote / "HEAD").read_bytes()


def remote_refs(remote: Path) -> dict[str, str]:
    lines = ref_bytes(remote).decode().splitlines()[:-1]
    return dict(line.split(" ", 1) for line in lines)


def lost_history(remote: Path, before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Refs whose history the remote lost: deleted, tags moved, branches moved off their line."""
    lost = []
    for ref, old in before.items():
        new = after.get(ref)
        if new is None:
            lost.append(f"{ref} deleted")
        elif new != old and ref.startswith("refs/tags/"):
            lost.append(f"{ref} moved")
        elif new != old:
            ancestor = subprocess.run([REAL_GIT, "-C", str(remote), "merge-base", "--is-ancestor", old, new])
            if ancestor.returncode != 0:
                lost.append(f"{ref} rewritten")
    return lost


def run_case(guard: GuardInstall, case: Case, root: Path, *, guarded: bool) -> subprocess.CompletedProcess[str]:
    work = root / "work"
    if case.setup:
        prepared = guard.sh(case.setup, work, guarded=False)
        assert prepared.returncode == 0, f"setup failed: {prepared.stderr}"
    return guard.sh(case.command, work, guarded=guarded, env=case.env)


def test_catalogue_is_big_enough() -> None:
    assert len(CASES) >= 50
    assert len({case.id for case in CASES}) == len(CASES)
    assert sum(case.destroys for case in CASES) >= 50


@pytest.mark.slow
@pytest.mark.parametrize("case", [c for c in CASES if c.verdict == "blocked"], ids=lambda c: c.id)
def test_blocked(case: Case, scenario: Path, tmp_path: Path, guard_install: GuardInstall) -> None:
    if case.destroys:
        bare = fresh_copy(scenario, tmp_path / "unguarded")
        before = remote_refs(bare / "remote.git")
        run_case(guard_install, case, bare, guarded=False)
        lost = lost_history(bare / "remote.git", before, remote_refs(bare / "remote.git"))
        assert lost, f"without the guard, `{case.command}` destroyed nothing: the case proves nothing"

    root = fresh_copy(scenario, tmp_path / "guarded")
    before = ref_bytes(root / "remote.git")
    audit_before = len(guard_install.audit_lines())
    result = run_case(guard_install, case, root, guarded=True)
    after = ref_bytes(root / "remote.git")
    assert after == before, f"the remote changed behind the guard:\n{result.stderr}"
    assert "loupe guard: refused" in result.stderr, result.stderr
    assert result.returncode != 0
    assert len(guard_install.audit_lines()) > audit_before


@pytest.mark.slow
@pytest.mark.parametrize("case", [c for c in CASES if c.verdict == "allowed"], ids=lambda c: c.id)
def test_allowed(case: Case, scenario: Path, tmp_path: Path, guard_install: GuardInstall) -> None:
    root = fresh_copy(scenario, tmp_path / "guarded")
    result = run_case(guard_install, case, root, guarded=True)
    assert result.returncode == 0, result.stderr
    assert "loupe guard" not in result.stderr
    landed = guard_install.sh(case.lands, root / "work", guarded=False)
    assert landed.returncode == 0, f"`{case.command}` did not land ({case.lands})"
