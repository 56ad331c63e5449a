"""Maps task names to the functions that run them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

TaskFunc = Callable[..., Any]


class UnknownTask(LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        hint = ", ".join(sorted(known)) or "none registered"
        super().__init__(f"no task named {name!r} (known: {hint})")
        self.name = name


class Registry:
    def __init__(self) -> None:
        self._tasks: dict[str, TaskFunc] = {}

    def register(self, name: str, func: TaskFunc) -> TaskFunc:
        if name in self._tasks and self._tasks[name] is not func:
            raise ValueError(f"task {name!r} is already registered to {self._tasks[name]!r}")
        self._tasks[name] = func
        return func

    def get(self, name: str) -> TaskFunc:
        try:
            return self._tasks[name]
        except KeyError:
            raise UnknownTask(name, list(self._tasks)) from None

    def names(self) -> list[str]:
        return sorted(self._tasks)
