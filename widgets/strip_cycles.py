"""Painted lines are freed when the screen drops them, not at the next full garbage collection.

Textual's `Strip` caches what it derives from itself (`divide`, `crop_extend`, ...). When the
answer is the strip itself, as it is for most painted lines (a line already as wide as its
region is "divided" into itself by the compositor and "cropped" to itself by the styles
cache), the strip's own cache holds it: a reference cycle. Every painted line then lives on,
with its segments and its seven caches, until a full collection finds it. Streaming replies
paint thousands of lines a second, so these dead lines were most of what each full
collection freed (~10,000 objects every ~2 s, bench/stream_render.py) and they kept the
oldest generation large, so each collection walked more.

`install()` wraps the two methods so the identity answer is returned without being cached
(it costs nothing to recompute); every other answer is cached as before. Textual 8.2 has
both cycles; the wrappers only skip a case the originals answer with `self`, so they stay
correct if a later Textual stops caching it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from rich.style import Style
from textual.strip import Strip

Divide = Callable[[Strip, Iterable[int]], Sequence[Strip]]
CropExtend = Callable[[Strip, int, int, Style | None], Strip]

# Textual's own methods while the wrappers are installed.
_originals: dict[str, Callable[..., object]] = {}


def _divide(original: Divide) -> Divide:
    def divide(self: Strip, cuts: Iterable[int]) -> Sequence[Strip]:
        cuts = list(cuts)
        length = self.cell_length
        if [cut for cut in cuts if cut <= length] == [length]:
            return [self]
        return original(self, cuts)

    return divide


def _crop_extend(original: CropExtend) -> CropExtend:
    def crop_extend(self: Strip, start: int, end: int, style: Style | None) -> Strip:
        if start <= 0 and end == self.cell_length:
            return self
        return original(self, start, end, style)

    return crop_extend


def install() -> None:
    """Stop `Strip` from caching itself (idempotent; process-wide, like Textual's classes)."""
    if _originals:
        return
    _originals["divide"] = Strip.divide
    _originals["crop_extend"] = Strip.crop_extend
    Strip.divide = _divide(Strip.divide)  # type: ignore[method-assign]
    Strip.crop_extend = _crop_extend(Strip.crop_extend)  # type: ignore[method-assign]


def uninstall() -> None:
    """Put Textual's own methods back (the bench measures stock Textual after loupe)."""
    for name, method in _originals.items():
        setattr(Strip, name, method)
    _originals.clear()


def installed() -> bool:
    return bool(_originals)
