"""Unified diffs as data: from two texts, and from real `git diff` output."""

from __future__ import annotations

import difflib

from tests.fixtures.git import RepoWithRemote
from tui.diffs import diff_texts, parse_unified_diff


def test_diff_texts_counts_and_numbers_lines() -> None:
    old = "".join(f"line {n}\n" for n in range(1, 21))
    new = old.replace("line 3\n", "line three\n").replace("line 18\n", "") + "line 21\n"
    diff = diff_texts(old, new, "plan.md")
    assert (diff.added, diff.removed, diff.status) == (2, 2, "modified")
    assert [h.header for h in diff.hunks] == ["@@ -1,6 +1,6 @@", "@@ -15,6 +15,6 @@"]
    first = diff.hunks[0].lines
    assert [(l.kind, l.text, l.old, l.new) for l in first[2:4]] == [
        ("-", "line 3", 3, None),
        ("+", "line three", None, 3),
    ]
    # The same hunks difflib prints, so nothing is lost or invented.
    expected = [l for l in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="") if l.startswith("@@")]
    assert [h.header for h in diff.hunks] == expected


def test_diff_texts_edge_cases() -> None:
    assert diff_texts("same\n", "same\n", "a.md").unchanged
    assert diff_texts("", "new\n", "a.md").status == "added"
    gone = diff_texts("old\n", "", "a.md")
    assert (gone.status, gone.removed, gone.hunks[0].header) == ("deleted", 1, "@@ -1,1 +0,0 @@")


def test_parse_real_git_diff(repo: RepoWithRemote) -> None:
    repo.commit_file("docs/plan.md", "".join(f"step {n}\n" for n in range(1, 11)))
    repo.commit_file("old name.md", "moving\n")
    repo.commit_file("gone.txt", "bye\n")
    repo.commit_file("tool.sh", "echo hi\n")
    (repo.path / "docs/plan.md").write_text(
        "".join(f"step {n}\n" for n in range(1, 11)).replace("step 2\n", "step two\n") + "step 11"
    )
    repo.git("mv", "old name.md", "new name.md")
    repo.git("rm", "-q", "gone.txt")
    (repo.path / "café.md").write_text("accents\n")
    (repo.path / "blob.bin").write_bytes(bytes(range(256)))
    (repo.path / "tool.sh").chmod(0o755)
    repo.git("add", "-A")
    output = repo.git("diff", "--cached", "-M").stdout
    files = {d.path: d for d in parse_unified_diff(output)}
    assert set(files) == {"docs/plan.md", "new name.md", "gone.txt", "café.md", "blob.bin", "tool.sh"}
    plan = files["docs/plan.md"]
    assert (plan.status, plan.added, plan.removed) == ("modified", 2, 1)
    assert any(line.kind == "\\" for hunk in plan.hunks for line in hunk.lines)  # no newline at end
    assert files["new name.md"].status == "renamed"
    assert files["new name.md"].old_path == "old name.md"
    assert (files["gone.txt"].status, files["gone.txt"].removed) == ("deleted", 1)
    assert files["café.md"].status == "added"
    assert files["blob.bin"].status == "binary"
    assert files["tool.sh"].notes == ("mode 100644 → 100755",)
    # Line numbers follow the hunk headers.
    changed = [l for h in plan.hunks for l in h.lines if l.kind == "+"]
    assert [(l.text, l.new) for l in changed] == [("step two", 2), ("step 11", 11)]


def test_parse_plain_diff_u_with_removed_dash_lines() -> None:
    # A removed line whose text starts with "-- " must not be taken for a file header.
    text = "--- a/x.md\n+++ b/x.md\n@@ -1,2 +1,1 @@\n--- not a header\n keep\n"
    (diff,) = parse_unified_diff(text)
    assert (diff.path, diff.removed, diff.added) == ("x.md", 1, 0)
    assert diff.hunks[0].lines[0].text == "-- not a header"
