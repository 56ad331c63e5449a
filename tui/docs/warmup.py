"""Load what the document panes need, ahead of the first document.

markdown-it, Pygments' lexers and watchfiles cost a few hundred milliseconds to import (and
compile their regular expressions) on a slow disk. loupe runs this in a background thread
shortly after start, so opening the first artifact costs only the work on that artifact.
"""

from __future__ import annotations

SAMPLE = """\
# Warm up

Some *text* with `code`, a [link](x.md) and a table:

| a | b |
|---|---|
| 1 | 2 |

- [ ] a task
  - nested

```python
def ready() -> bool:
    return True
```
"""


def warm_up() -> None:
    import anyio._backends._asyncio  # noqa: F401  (watchfiles' awatch loads it on first use)
    import watchfiles  # noqa: F401

    from tui.docs.blocks import split_blocks
    from tui.docs.highlight import lex_lines
    from tui.docs.layout import layout_block

    doc = split_blocks(SAMPLE)
    for block in doc.blocks:
        layout_block(block, 80, doc.references)
    for language in ("python", "bash", "json", "yaml", "toml", "rust", "typescript"):
        lex_lines("x = 1\n", language)
