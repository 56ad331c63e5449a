"""Which messages a thread sees as its own alternatives (the `‹ n/m ›` siblings).

In the tree, every child of a message is a sibling of the others, including the messages
other forks wrote after forking there. Seen from a thread, that mixes other conversations
into its switcher (a map's N branches would make the parent's next message "1/N+1"). So a
thread counts as siblings only the children written by itself, or by a thread it descends
from before it was forked (what it inherited): edits and regenerations, here or upstream.

One exception to "inherited": where a thread was forked, what its parent wrote next is the
conversation the fork left, not an alternative of the fork's own next message. So a child of
a fork point written by a thread above that fork does not count, for the fork and for every
fork below it (`←` on a fork's first message never shows the parent's branch).

`LINEAGE` is a recursive CTE over the thread's ancestry, taking the thread id as its one
`?` parameter; `visible(alias)` is the condition a message row must meet. "Before it was
forked" compares ids, which sort by creation time and, unlike millisecond timestamps, never
tie within a process.
"""

from __future__ import annotations

# level: 0 for the thread, 1 for its parent, ...; bound: the id of the fork made from it.
LINEAGE = """lineage(id, forked_from, bound, level, fork_point) AS (
    SELECT id, forked_from, NULL, 0, fork_point_id FROM threads WHERE id = ?
    UNION ALL
    SELECT t.id, t.forked_from, lineage.id, lineage.level + 1, t.fork_point_id
    FROM threads t JOIN lineage ON t.id = lineage.forked_from
)"""


def visible(alias: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM lineage l WHERE l.id = {alias}.thread_id "
        f"AND (l.bound IS NULL OR {alias}.id < l.bound) "
        f"AND NOT EXISTS (SELECT 1 FROM lineage below WHERE below.level < l.level "
        f"AND below.fork_point = {alias}.parent_id))"
    )
