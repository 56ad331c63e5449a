"""What each `loupe review` subcommand does (the parser is in `tui.review.cli`)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tui.errors import UsageError
from tui.review import delivery, listing
from tui.review.anchoring import DocumentIndex
from tui import cli_output as out
from tui.review.commenting import Document, answer, comment_on_lines, comment_on_quote, comment_on_section
from tui.review.errors import NotCommentable, ReviewError
from tui.review.model import Comment, Kind, Round, RoundState, Status, TargetKind, Verdict, document_key
from tui.review.questions import find_questions, question
from tui.review.store import ReviewStore
from tui.text_files import read_text

if TYPE_CHECKING:
    from tui.review.session_files import FileSource
    from tui.sessions.manager import SessionManager
    from tui.sessions.model import Session


@dataclass
class Context:
    repo: Path
    # `$LOUPE_SESSION`: set when an agent in one of loupe's sessions runs the command.
    session: str | None
    _manager: SessionManager | None = field(default=None, repr=False)

    @property
    def manager(self) -> SessionManager:
        if self._manager is None:
            from tui.sessions.manager import SessionManager

            self._manager = SessionManager(self.repo)
        return self._manager

    def close(self) -> None:
        if self._manager is not None:
            self._manager.close()


# -- for agents ----------------------------------------------------------------------------


def cmd_list(ctx: Context, store: ReviewStore, args: argparse.Namespace) -> int:
    _settle(ctx, store)
    if args.round is not None:
        rounds = [store.round(args.round)]
    elif ctx.session and not args.all:
        rounds = store.rounds(to_session=ctx.session)
    else:
        rounds = store.rounds(ctx.repo)
    views = listing.views(store, rounds, _sessions_files(ctx, rounds))
    paths = _path_keys(ctx, args.path) if args.path else None
    for view in views:
        view.tracked[:] = [t for t in view.tracked
                           if (not args.open or t.status is not Status.RESOLVED)
                           and (paths is None or t.comment.path in paths)]
    if args.open or paths is not None:
        views = [v for v in views if v.tracked]
    if args.json:
        out.print_json([listing.round_record(v) for v in views])
        return 0
    if not views:
        whose = "sent to this session" if ctx.session and not args.all else "in this repository"
        out.line(f"no review rounds {whose}" + (" with open comments" if args.open else ""))
        return 0
    for view in views:
        out.line(listing.round_line(view))
        for item in view.tracked:
            out.line(listing.comment_line(item))
    return 0


def cmd_show(ctx: Context, store: ReviewStore, args: argparse.Namespace) -> int:
    _settle(ctx, store)
    round_ = store.round(args.round)
    (view,) = listing.views(store, [round_], _sessions_files(ctx, [round_]))
    if args.json:
        out.print_json(listing.round_record(view, message=True))
        return 0
    if round_.is_draft:
        out.line(f"round {round_.id} is a draft: nothing was sent yet. Its comments:")
    else:
        out.write(round_.message.rstrip("\n") + "\n\n")
        out.line(f"Status now ({view.counts.label}):")
    for item in view.tracked:
        out.line(listing.comment_line(item))
    return 0


def cmd_resolve(ctx: Context, store: ReviewStore, args: argparse.Namespace) -> int:
    for comment_id in args.ids:
        store.comment(comment_id)  # every id checked before any is changed
    resolved = [store.resolve(comment_id, by=ctx.session or "you", note=args.note) for comment_id in args.ids]
    if args.json:
        out.print_json([{"id": c.id, "round": c.round_id, "by": c.resolution.by if c.resolution else None}
                    for c in resolved])
    else:
        for comment in resolved:
            out.line(f"resolved [{comment.id}] (round {comment.round_id}, {comment.location})")
    return 0


# -- for people ----------------------------------------------------------------------------


def cmd_questions(ctx: Context, store: ReviewStore, args: argparse.Namespace) -> int:
    doc = _document(ctx, args.path)
    found = find_questions(DocumentIndex(doc.text))
    answered: dict[str, list[int]] = {}
    for comment in store.comments(repo=ctx.repo, path=doc.key):
        if comment.kind is Kind.ANSWER:
            answered.setdefault(comment.question, []).append(comment.round_id)
    if args.json:
        out.print_json([{"number": q.number, "text": q.text, "line": q.first_line, "last_line": q.last_line,
                     "kind": q.kind, "section": q.section, "answered_in": sorted(set(answered.get(q.text, [])))}
                    for q in found])
        return 0
    if not found:
        out.line(f"no questions in {doc.key}")
    for q in found:
        rounds = sorted(set(answered.get(q.text, [])))
        note = f"  (answered in round {', '.join(map(str, rounds))})" if rounds else ""
        out.line(f"{q.number:>3}. line {q.first_line}: {q.text}{note}")
    return 0


def cmd_comment(ctx: Context, store: ReviewStore, args: argparse.Namespace) -> int:
    doc = _document(ctx, args.path)
    first, last = _lines(args.line)
    body = _text(args.text)
    if args.section:
        comment = comment_on_section(store, doc, first, body)
    elif args.quote:
        comment = comment_on_quote(store, doc, args.quote, first, body)
    else:
        comment = comment_on_lines(store, doc, first, last, body)
    return _added(comment, args.path, args.json)


def cmd_answer(ctx: Context, store: ReviewStore, args: argparse.Namespace) -> int:
    doc = _document(ctx, args.path)
    asked = question(DocumentIndex(doc.text), args.question)
    return _added(answer(store, doc, asked, _text(args.text)), args.path, args.json)


def cmd_submit(ctx: Context, store: ReviewStore, args: argparse.Namespace) -> int:
    doc = _document(ctx, args.path, need_text=False)
    verdict = Verdict.parse(args.verdict)
    draft = store.find_draft(ctx.repo, doc.target)
    if draft is None:
        if verdict is not Verdict.APPROVE:
            raise ReviewError(f"no draft round for {doc.key}: add comments with `loupe review comment` first")
        draft = store.draft(ctx.repo, doc.target)
    if args.copy:
        sent = delivery.submit_copy(store, draft.id, verdict)
        out.write(sent.text)
        return 0
    if args.thread:
        from tui.threads.store import ThreadStore

        with ThreadStore() as threads:
            thread = threads.find_thread(args.thread)
            sent = delivery.submit_to_thread(store, threads, draft.id, verdict, thread.id)
    elif args.new_session:
        sent = delivery.submit_to_new_session(store, ctx.manager, draft.id, verdict, task=doc.path.parent.name,
                                              task_dir=doc.path.parent, agent=args.agent)
    else:
        session = _one_session(ctx, args.to) if args.to else _owner(ctx, doc.path)
        sent = delivery.submit_to_session(store, ctx.manager, draft.id, verdict, session, when_idle=args.when_idle)
    return _report(sent, args.json)


def cmd_retry(ctx: Context, store: ReviewStore, args: argparse.Namespace) -> int:
    session = _one_session(ctx, args.to) if args.to else None
    sent = delivery.retry(store, ctx.manager, args.round, session, when_idle=args.when_idle)
    return _report(sent, args.json)


def cmd_discard(ctx: Context, store: ReviewStore, args: argparse.Namespace) -> int:
    doc = _document(ctx, args.path, need_text=False)
    draft = store.find_draft(ctx.repo, doc.target)
    if draft is None:
        raise ReviewError(f"no draft round for {doc.key}")
    store.discard(draft.id)
    out.line(f"discarded draft round {draft.id} of {doc.key}")
    return 0


# -- helpers -------------------------------------------------------------------------------


def _settle(ctx: Context, store: ReviewStore) -> None:
    """Mark queued rounds delivered (or not) before showing them; needs sessions only then."""
    if any(r.queue_id is not None for r in store.rounds(ctx.repo, states=[RoundState.SUBMITTED])):
        delivery.refresh(store, ctx.manager)


def _sessions_files(ctx: Context, rounds: list[Round]) -> dict[str, FileSource]:
    """The files of the sessions whose diffs the rounds review, where each one runs."""
    ids = {r.target.session_id for r in rounds if r.target.kind is TargetKind.DIFF and r.target.session_id}
    if not ids:
        return {}
    from tui.review.session_files import HostFiles

    found = {sid: ctx.manager.store.get(sid) for sid in ids}
    return {sid: HostFiles(ctx.manager, session) for sid, session in found.items() if session is not None}


def _path_keys(ctx: Context, path: Path) -> set[str]:
    """`--path` as a document key, and as a path in the worktree it is in (diff comments)."""
    from tui.workspace import find_repo_root

    keys = {document_key(ctx.repo, path)}
    root = find_repo_root(path.resolve().parent)
    if root is not None:
        keys.add(document_key(root, path))
    return keys


def _document(ctx: Context, path: Path, *, need_text: bool = True) -> Document:
    resolved = path.resolve()
    text = read_text(resolved) if need_text else ""
    if text is None:
        if not resolved.exists():
            raise ReviewError(f"{path}: no such file")
        raise NotCommentable(f"{path} cannot be read as text (binary, unreadable or too big)")
    return Document(ctx.repo, resolved, text)


def _lines(spec: str) -> tuple[int, int]:
    try:
        first, _, last = spec.partition("-")
        numbers = (int(first), int(last or first))
    except ValueError:
        raise UsageError(f"--line takes N or N-M (1-based line numbers), not {spec!r}") from None
    if numbers[0] < 1 or numbers[1] < numbers[0]:
        raise UsageError(f"--line {spec}: lines start at 1 and N-M needs M >= N")
    return numbers


def _text(words: list[str]) -> str:
    return sys.stdin.read() if words == ["-"] else " ".join(words)


def _added(comment: Comment, given: Path, as_json: bool) -> int:
    if as_json:
        out.print_json({"id": comment.id, "round": comment.round_id, "path": comment.path,
                    "line": comment.anchor.first_line, "last_line": comment.anchor.last_line})
        return 0
    what = "answer" if comment.kind is Kind.ANSWER else "comment"
    out.line(f"{what} [{comment.id}] added to draft round {comment.round_id} at {comment.location}")
    out.line(f"send the round with: loupe review submit {given} --verdict request-changes")
    return 0


def _one_session(ctx: Context, spec: str) -> Session:
    chosen = ctx.manager.select(spec)
    if len(chosen) != 1:
        raise UsageError(f"'{spec}' names {len(chosen)} sessions; give exactly one")
    return chosen[0]


def _owner(ctx: Context, path: Path) -> Session:
    from tui.review.owners import default_owner, owners

    found = default_owner(owners(ctx.manager, path))
    if found is None:
        raise ReviewError(f"no live session wrote {path}; send with --to SESSION, --new-session, "
                          "--thread THREAD or --copy")
    return found.session


def _report(sent: delivery.Sent, as_json: bool) -> int:
    round_ = sent.round
    if as_json:
        out.print_json({"round": round_.id, "state": round_.state.value, "to_session": round_.to_session,
                    "to_thread": round_.to_thread, "queued": sent.queued, "error": round_.error or None})
    elif round_.state is RoundState.UNDELIVERED:
        out.error(f"loupe: round {round_.id} was not delivered: {round_.error}; it is kept: "
                  f"`loupe review retry {round_.id} [--to SESSION]` sends it again")
    else:
        where = f"session {sent.session.number} ({sent.session.id})" if sent.session else f"thread {round_.to_thread}"
        state = "queued for" if sent.queued else "sent to"
        out.line(f"round {round_.id} {state} {where}" + (" (typed in when it is idle)" if sent.queued else ""))
    return 1 if round_.state is RoundState.UNDELIVERED else 0
