"""Random markdown documents of the kinds agents write, from a seed (same seed, same text).

The text is meant to stress renderers, not to be valid: markdown-it decides what each piece
turns out to be, and the fidelity tests compare renderers with what markdown-it says. Words
never are plain numbers and never hold the characters renderers draw as chrome (•, ▌, box
drawing, 🖼, 🌆), so that chrome can be told from text.
"""

from __future__ import annotations

import random

WORDS = (
    "retry", "queue", "worker", "claim", "the", "a", "of", "backoff", "jitter", "attempts",
    "jobs_runnable", "snake_case", "__init__", "_private", "trailing_", "tests/test_clock.py",
    "quarry/__init__.py", "x1", "v2beta", "it's", "e.g.", "(maybe)", "foo-bar", "a*b", "2x",
    "Vec<String>", "&amp;", "\\*", "\\_", "50%", "#tag", "~home", "a|b", "[x]", "'quoted'",
    "\"double\"", "semi;colon", "colon:", "under_score_", "__dunder__", "EXPLAIN", "PLAN",
)
CODE = (
    "pytest tests/test_backend_retry.py", "EXPLAIN QUERY PLAN", "jobs_runnable", "a_b", "__init__",
    "x = y * 2", "f(*args, **kw)", "<T>", "`", "grep -rn 'time.time()' quarry/", "[ ]", "~~x~~",
)
TARGETS = ("notes.md", "https://example.com/a_b", "#tests-teststest_clockpy", "src/app.py:12", "../up.md")
LANGUAGES = ("", "python", "sql", "text", "sh")


class MarkdownGen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    # ------------------------------------------------------------------ inline

    def words(self, low: int = 1, high: int = 4) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(low, high)))

    def span(self) -> str:
        """One piece of inline text: plain words or a construct."""
        rng = self.rng
        words = self.words
        code = rng.choice(CODE)
        site = "https://example.com/"
        makers = (
            lambda: f"`{code}`",
            lambda: f"`` {code} ``",
            lambda: f"**{words()}**",
            lambda: f"__{words()}__",
            lambda: f"*{words()}*",
            lambda: f"_{words()}_",
            lambda: f"~~{words()}~~",
            lambda: f"[{words() if rng.random() < 0.6 else f'`{code}`'}]({rng.choice(TARGETS)})",
            lambda: f"![{words()}](pic_{rng.randint(1, 9)}.png)",
            lambda: f"<{site}{rng.choice(('a_b', 'x', 'path/to_file'))}>",
            lambda: f"see {site}{rng.choice(('a_b', 'x_y.md', 'q'))}",
            lambda: f"**`{code}` {words()}**",
            lambda: words(1, 6),
            lambda: words(1, 6),
        )
        return rng.choice(makers)()

    def inline(self, low: int = 1, high: int = 5, *, breaks: bool = False) -> str:
        parts = [self.span() for _ in range(self.rng.randint(low, high))]
        text = " ".join(parts)
        if breaks and self.rng.random() < 0.2:
            text += self.rng.choice(("  \n", "\\\n")) + self.words()
        return text

    # ------------------------------------------------------------------ blocks

    def paragraph(self) -> str:
        return "\n".join(self.inline(breaks=True) for _ in range(self.rng.randint(1, 3)))

    def heading(self) -> str:
        return "#" * self.rng.randint(1, 6) + " " + self.inline(1, 3)

    def item_text(self) -> str:
        rng = self.rng
        box = rng.choice(("", "", "[ ] ", "[x] ", "[X] "))
        # Task items that open with code, bold or a link lost their text once (issue 16).
        lead = rng.choice((f"`{rng.choice(CODE)}`", f"**{self.words(1, 2)}**", f"[{self.words(1, 2)}](notes.md)", self.words()))
        rest = self.inline(0, 3)
        text = f"{box}{lead} {rest}".rstrip()
        if rng.random() < 0.15:
            text += "\n" + self.words()  # a lazy continuation line
        return text

    def list(self, depth: int = 0) -> str:
        rng = self.rng
        ordered = rng.random() < 0.35
        start = rng.randint(1, 12)
        loose = rng.random() < 0.2
        lines: list[str] = []
        for number in range(rng.randint(1, 4)):
            marker = f"{start + number}. " if ordered else rng.choice(("- ", "* ", "+ "))[:2]
            pad = " " * len(marker)
            body = self.item_text().replace("\n", "\n" + pad)
            lines.append(marker + body)
            if loose and rng.random() < 0.5:
                lines.append("")
                lines.append(pad + self.paragraph().replace("\n", "\n" + pad))
            if depth < 2 and rng.random() < 0.3:
                nested = self.list(depth + 1)
                lines.append("\n".join(pad + line if line else "" for line in nested.split("\n")))
            if loose:
                lines.append("")
        return "\n".join(lines).rstrip("\n")

    def quote(self) -> str:
        rng = self.rng
        parts = []
        if rng.random() < 0.3:
            parts.append(rng.choice(("[!NOTE]", "[!WARNING]", "[!TIP]")))
        for _ in range(rng.randint(1, 2)):
            parts.append(self.paragraph() if rng.random() < 0.7 else self.list(2))
            parts.append("")
        body = "\n".join(parts).rstrip("\n")
        return "\n".join("> " + line if line else ">" for line in body.split("\n"))

    def fence(self) -> str:
        rng = self.rng
        lines = [
            " " * rng.choice((0, 0, 4)) + " ".join(rng.choice(CODE + WORDS) for _ in range(rng.randint(1, 6)))
            for _ in range(rng.randint(1, 6))
        ]
        return "```" + rng.choice(LANGUAGES) + "\n" + "\n".join(lines).replace("```", "``") + "\n```"

    def table(self) -> str:
        rng = self.rng
        columns = rng.randint(1, 4) if rng.random() < 0.85 else rng.randint(7, 9)

        def cell() -> str:
            return self.inline(1, 2).replace("|", "\\|").replace("\n", " ")

        rows = [
            "| " + " | ".join(cell() for _ in range(columns)) + " |",
            "|" + "|".join(rng.choice(("---", ":---", "---:", ":---:")) for _ in range(columns)) + "|",
        ]
        for _ in range(rng.randint(1, 4)):
            rows.append("| " + " | ".join(cell() for _ in range(columns)) + " |")
        return "\n".join(rows)

    def html(self) -> str:
        return self.rng.choice(("<details>\n<summary>More</summary>\n\nhidden_text here\n</details>", "<br>", "<!-- a_comment -->"))

    def block(self) -> str:
        makers = (
            self.paragraph, self.paragraph, self.heading, self.list, self.list, self.quote,
            self.fence, self.table, self.table, self.html, lambda: "---",
        )
        return self.rng.choice(makers)()

    def document(self, blocks: int = 12) -> str:
        # Not a rule first: `---` at the top opens front matter, which is shown as properties.
        first = self.paragraph()
        return "\n\n".join([first, *(self.block() for _ in range(blocks - 1))]) + "\n"
