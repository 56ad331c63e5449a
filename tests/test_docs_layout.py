"""Typesetting of blocks into styled lines (wrapping, lists, tables, fences, links)."""

from __future__ import annotations

import pytest

from tui.docs.blocks import split_blocks
from tui.docs.layout import estimate_height, layout_block
from tui.docs.wrap import cells, fold_text, wrap_runs, wrap_text


def lines_of(markdown: str, width: int = 40) -> list[str]:
    doc = split_blocks(markdown)
    out: list[str] = []
    for block in doc.blocks:
        out.extend(line.plain for line in layout_block(block, width, doc.references).lines)
    return out


def test_wrap_is_greedy_and_cuts_long_words() -> None:
    text = "aaa bbb ccc " + "x" * 12
    assert [text[a:b] for a, b in wrap_text(text, 8)] == ["aaa bbb", "ccc", "xxxxxxxx", "xxxx"]
    assert wrap_text("one\ntwo", 20) == [(0, 3), (4, 7)]
    assert [("漢字漢字漢字"[a:b]) for a, b in wrap_text("漢字漢字漢字", 5)] == ["漢字", "漢字", "漢字"]
    assert fold_text("abcdefg", 3) == [(0, 3), (3, 6), (6, 7)]
    runs = [("bold words ", "text strong", None), ("then link", "text link", "x.md")]
    wrapped = wrap_runs(runs, 12)
    assert [[r[0] for r in line] for line in wrapped] == [["bold words"], ["then link"]]
    assert wrapped[1][0][2] == "x.md"
    assert cells("漢") == 2


def test_paragraph_heading_and_inline_styles() -> None:
    doc = split_blocks("# Title\n\nSome **bold** and `code` and [a link](b.md).\n")
    heading = layout_block(doc.blocks[0], 30).lines
    assert [line.plain for line in heading] == ["", "Title", "━" * 30, ""]
    paragraph = layout_block(doc.blocks[1], 80).lines[0]
    assert ("bold", "text strong", None) in paragraph.runs
    assert ("code", "text code", None) in paragraph.runs
    assert ("a link", "text link", "b.md") in paragraph.runs


def test_code_paths_and_bare_urls_become_links() -> None:
    doc = split_blocks("See `src/app.py:12`, `plain()` and https://example.com/x.\n")
    runs = layout_block(doc.blocks[0], 80).lines[0].runs
    links = {text: link for text, _, link in runs if link}
    assert links == {"src/app.py:12": "src/app.py:12", "https://example.com/x": "https://example.com/x"}


def test_nested_lists_tasks_and_numbers() -> None:
    text = "- one\n  - nested\n    - deeper\n- [ ] todo\n- [x] done\n\n3. c\n4. d\n"
    assert lines_of(text) == [
        "• one", "  ◦ nested", "    ▪ deeper", "☐ todo", "☑ done", "",
        "3. c", "4. d", "",
    ]


def test_task_items_keep_text_that_starts_with_markup() -> None:
    text = (
        "- [ ] `pytest tests/test_backend_retry.py` passes\n"
        "- [x] **Done** item with text\n"
        "- [ ] `EXPLAIN QUERY PLAN` of the claim query uses `jobs_runnable`\n"
        "- [ ] [the notes](notes.md) say so\n"
        "- [ ]\n  on the next line\n"
    )
    assert lines_of(text, 80) == [
        "☐ pytest tests/test_backend_retry.py passes",
        "☑ Done item with text",
        "☐ EXPLAIN QUERY PLAN of the claim query uses jobs_runnable",
        "☐ the notes say so",
        "☐ on the next line",
        "",
    ]


def test_quote_alert_and_hr() -> None:
    assert lines_of("> [!WARNING]\n> Careful.\n\n---\n", 20) == [
        "▌ ⚠ Warning", "▌ Careful.", "", "─" * 20, "",
    ]


def test_fence_keeps_code_and_records_highlight_positions() -> None:
    doc = split_blocks("```python\nx = 1\n" + "y" * 50 + "\n```\n")
    layout = layout_block(doc.blocks[0], 30)
    plain = [line.plain for line in layout.lines]
    assert plain[0].endswith("python")
    assert plain[1] == " x = 1"
    assert plain[2] == " " + "y" * 28 and plain[3] == "↪" + "y" * 22  # wrapped, nothing lost
    assert layout.fences[0].language == "python"
    assert layout.lines[3].code == (0, 1, 28, 50, 1)


def test_table_borders_alignment_and_shrinking() -> None:
    table = "| Name | Cost |\n|---|---:|\n| a | 1 |\n| longer name here | 22 |\n"
    assert lines_of(table, 60)[:6] == [
        "┌──────────────────┬──────┐",
        "│ Name             │ Cost │",
        "├──────────────────┼──────┤",
        "│ a                │    1 │",
        "│ longer name here │   22 │",
        "└──────────────────┴──────┘",
    ]
    narrow = lines_of(table, 20)
    assert all(cells(line) <= 20 for line in narrow)
    assert any("longer" in line for line in narrow) and any("here" in line for line in narrow)


def test_tables_too_wide_for_the_pane_lose_no_text() -> None:
    four = "| " + " | ".join(f"head{n} words" for n in range(4)) + " |\n|" + "---|" * 4 + "\n| " + " | ".join(f"cell{n} text" for n in range(4)) + " |\n"
    lines = lines_of(four, 24)
    assert all(cells(line) <= 24 for line in lines)  # wider lines are cropped when painted
    assert "".join(lines).count("│") > 4  # still columns side by side
    # Too many columns for one cell each: each row's cells one under another.
    nine = "| " + " | ".join(f"h{n}" for n in range(9)) + " |\n|" + "---|" * 9 + "\n| " + " | ".join(f"c{n}" for n in range(9)) + " |\n"
    lines = lines_of(nine, 24)
    assert all(cells(line) <= 24 for line in lines)
    assert [line for line in lines if line.startswith("│")] == [f"│ h{n}" for n in range(9)] + [f"│ c{n}" for n in range(9)]


def test_front_matter_is_a_properties_panel() -> None:
    assert lines_of("---\nstatus: draft\n---\n# T\n")[:3] == [" properties", " status: draft", ""]


@pytest.mark.parametrize("width", [20, 60, 100])
def test_estimates_are_close(width: int) -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from docgen import design_doc

    doc = split_blocks(design_doc(400))
    exact = sum(layout_block(block, width, doc.references).height for block in doc.blocks)
    estimated = sum(estimate_height(block, width) for block in doc.blocks)
    assert abs(estimated - exact) / exact < 0.25
