"""A deterministic synthetic design doc, like the ones agents write (headings, prose with
inline code, bold and links, nested lists, Python fences, tables), of a given line count."""

from __future__ import annotations

import random

WORDS = (
    "the agent writes a plan for each module and the reviewer reads it before any code lands "
    "we keep state in one place so that reloads stay cheap while scrolling through long "
    "design documents with many sections tables and code samples which must render quickly"
).split()


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
    roll = rng.random()
    if roll < 0.25:
        words.insert(rng.randrange(len(words)), f"`{rng.choice(WORDS)}_{rng.randint(1, 99)}()`")
    elif roll < 0.45:
        words.insert(rng.randrange(len(words)), f"**{rng.choice(WORDS)} {rng.choice(WORDS)}**")
    elif roll < 0.6:
        words.insert(rng.randrange(len(words)), f"[{rng.choice(WORDS)}](notes/{rng.choice(WORDS)}.md)")
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def _paragraph(rng: random.Random) -> list[str]:
    text = " ".join(_sentence(rng) for _ in range(rng.randint(2, 5)))
    lines, line = [], ""
    for word in text.split(" "):
        if len(line) + len(word) > 90:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return lines


def _bullets(rng: random.Random) -> list[str]:
    out = []
    for _ in range(rng.randint(3, 6)):
        out.append(f"- {_sentence(rng)}")
        if rng.random() < 0.3:
            for _ in range(rng.randint(1, 3)):
                out.append(f"  - {_sentence(rng)}")
    return out


def _fence(rng: random.Random) -> list[str]:
    out = ["```python", f"def step_{rng.randint(1, 999)}(plan: Plan) -> Result:"]
    for i in range(rng.randint(4, 18)):
        out.append(f"    value_{i} = plan.{rng.choice(WORDS)}({i}, name=\"{rng.choice(WORDS)}\")  # {rng.choice(WORDS)}")
    out.append("```")
    return out


def _table(rng: random.Random) -> list[str]:
    out = ["| Option | Cost | Notes |", "|---|---:|---|"]
    for _ in range(rng.randint(3, 8)):
        out.append(f"| `{rng.choice(WORDS)}` | {rng.randint(1, 900)} ms | {' '.join(rng.choice(WORDS) for _ in range(6))} |")
    return out


def design_doc(lines: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    out = ["# Design: a generated plan", ""]
    section = 0
    while len(out) < lines:
        section += 1
        out += [f"## {section}. Section {rng.choice(WORDS)} {rng.choice(WORDS)}", ""]
        for sub in range(rng.randint(1, 3)):
            out += [f"### {section}.{sub + 1} {rng.choice(WORDS).title()} {rng.choice(WORDS)}", ""]
            for _ in range(rng.randint(2, 4)):
                kind = rng.random()
                if kind < 0.45:
                    block = _paragraph(rng)
                elif kind < 0.7:
                    block = _bullets(rng)
                elif kind < 0.88:
                    block = _fence(rng)
                else:
                    block = _table(rng)
                out += block + [""]
    return "\n".join(out[:lines]) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(design_doc(int(sys.argv[1]) if len(sys.argv) > 1 else 3000))
