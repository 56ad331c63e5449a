"""Session values as JSON, for the hosts that run sessions on another machine.

An SSH host (`tui.sessions.ssh_host`) asks `loupe host-op` on the far side to do what the
local host does here; requests and answers are JSON on stdin and stdout. `to_wire` turns a
result (a diff, a land plan, the risks of a removal) into JSON values, and `from_wire`
builds it again from its type's annotations, so the two sides share the dataclasses and
nothing is described twice.

A failure crosses as `{"error": {"type": ..., "message": ...}}` and is raised again here as
the sessions error of that name (`raise_error`), so the far side's message reaches the user.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from tui.sessions import errors
from tui.sessions.model import Session

T = TypeVar("T")

# Bumped when a request or an answer changes shape: a far side that speaks another one says so.
PROTOCOL = 1

# The errors a far side may name; any other becomes a plain SessionError.
_ERRORS: dict[str, type[errors.SessionError]] = {
    cls.__name__: cls for cls in (
        errors.SessionError, errors.TmuxError, errors.TmuxMissing, errors.AgentNotInstalled,
        errors.UnknownAgent, errors.WorktreeError, errors.RemovalRefused, errors.LandRefused,
        errors.NoSuchSession,
    )
}


def to_wire(value: object) -> Any:
    """`value` as JSON values: dataclasses as objects, tuples as lists, paths as strings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: to_wire(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_wire(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_wire(item) for key, item in value.items()}
    if isinstance(value, Path):
        return str(value)
    return value


def from_wire(kind: type[T], data: Any) -> T:
    """A `kind` built from what `to_wire` made of one; `WireError` when `data` does not fit."""
    try:
        return _build(kind, data)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise WireError(f"the host's answer is not a {getattr(kind, '__name__', kind)}: {exc}") from exc


class WireError(errors.SessionError):
    """The far side answered something this loupe cannot read (another loupe version?)."""


def session_to_wire(session: Session, repo: str) -> dict[str, Any]:
    """The session record for the far side, whose repository is `repo` (its clone there)."""
    record = to_wire(session)
    record["repo"] = repo
    return record


def session_from_wire(data: Any, repo: Path) -> Session:
    session = from_wire(Session, data)
    session.repo = repo
    return session


def error_to_wire(exc: Exception) -> dict[str, Any]:
    name = type(exc).__name__
    return {"error": {"type": name if name in _ERRORS else "SessionError", "message": str(exc)}}


def raise_error(answer: Any, where: str) -> None:
    """Raise the error an answer carries, if it carries one, saying it happened `where`."""
    if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
        failure = answer["error"]
        cls = _ERRORS.get(str(failure.get("type")), errors.SessionError)
        raise cls(f"{where}: {failure.get('message', 'failed without saying why')}")


def _build(kind: Any, data: Any) -> Any:
    if data is None and _optional(kind):
        return None
    kind = _without_none(kind)
    origin = typing.get_origin(kind)
    if dataclasses.is_dataclass(kind):
        hints = _hints(kind)
        known = {field.name for field in dataclasses.fields(kind) if field.init}
        return kind(**{name: _build(hints[name], value) for name, value in data.items() if name in known})
    if origin is tuple:
        args = typing.get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], item) for item in data)
        return tuple(_build(arg, item) for arg, item in zip(args, data, strict=True))
    if origin is list:
        (item_kind,) = typing.get_args(kind)
        return [_build(item_kind, item) for item in data]
    if origin is dict:
        key_kind, value_kind = typing.get_args(kind)
        return {_build(key_kind, key): _build(value_kind, value) for key, value in data.items()}
    if kind is Path:
        return Path(data)
    if kind is float and isinstance(data, int):
        return float(data)
    if kind in (str, int, float, bool) and not isinstance(data, kind):
        raise TypeError(f"{data!r} is not a {kind.__name__}")
    return data


@cache
def _hints(kind: type) -> dict[str, Any]:
    return typing.get_type_hints(kind)


def _optional(kind: Any) -> bool:
    return type(None) in typing.get_args(kind) if _is_union(kind) else kind is type(None) or kind is Any


def _without_none(kind: Any) -> Any:
    if _is_union(kind):
        left = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        if len(left) == 1:
            return left[0]
    return kind


def _is_union(kind: Any) -> bool:
    return typing.get_origin(kind) in (typing.Union, types.UnionType)
