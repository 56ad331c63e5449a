"""What an installed guard knows about its machine, fixed at install time.

`install.py` writes an `installed.py` next to a copy of this module holding one `Settings`;
tests build their own. A plain class, not a dataclass: `dataclasses` costs ~6 ms to import
in the `-IS` Python that runs on every push.
"""

from __future__ import annotations

import os

# Written into every file the guard installs: finding it tells real-git discovery "this is a
# guard shim, not git", and tells hook forwarders "this hooks folder is a guard's own".
MARKER = "loupe-git-guard"
# Set by the guard for what git runs: the repository's own hooks folder, and the folder git
# runs hooks in for that repository. A hook forwarder running there uses the folder as is
# instead of asking git again (two git calls per hook otherwise).
REPO_HOOKS_ENV = "LOUPE_GUARD_REPO_HOOKS"
REPO_HOOKS_CWD_ENV = "LOUPE_GUARD_REPO_HOOKS_CWD"


class Settings:
    __slots__ = ("real_git", "root", "audit_log", "builtins")

    def __init__(self, *, real_git: str, root: str, audit_log: str, builtins: frozenset[str]) -> None:
        self.real_git = real_git  # absolute path of the git the guard runs
        self.root = root  # the install folder (holds bin/, hooks/, lib/)
        self.audit_log = audit_log  # JSON lines, one per refusal
        self.builtins = builtins  # `git --list-cmds=builtins` of real_git: never aliases

    @property
    def hooks(self) -> str:
        return os.path.join(self.root, "hooks")

    @property
    def hooks_dry_run(self) -> str:
        """Hooks for `push --dry-run`: forward to the repo's hooks, refuse nothing."""
        return os.path.join(self.root, "hooks-dry-run")
