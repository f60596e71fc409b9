"""A small document model for the debrief: headings, paragraphs, lists and tables, rendered
as terminal text (wrapped to 80 columns) or as markdown. Text from a record (a team's why,
Control's reason) is cleaned of control characters before it is shown."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

WIDTH = 80


@dataclass
class Doc:
    """Blocks in order: ("h1"|"h2"|"h3", text), ("p", text), ("ol"|"ul", items),
    ("table", (header, rows, right-aligned columns))."""

    blocks: list[tuple[str, object]] = field(default_factory=list)

    def h1(self, text: str) -> None:
        self.blocks.append(("h1", text))

    def h2(self, text: str) -> None:
        self.blocks.append(("h2", text))

    def h3(self, text: str) -> None:
        self.blocks.append(("h3", text))

    def p(self, text: str) -> None:
        self.blocks.append(("p", text))

    def items(self, items: list[str], numbered: bool = False) -> None:
        self.blocks.append(("ol" if numbered else "ul", items))

    def table(self, header: list[str], rows: list[list[str]], right: set[int]) -> None:
        self.blocks.append(("table", (header, rows, right)))

    def extend(self, other: Doc) -> None:
        self.blocks += other.blocks


def clean(text: str) -> str:
    """One line of printable text: newlines and tabs become spaces, other control
    characters are escaped (so a record cannot drive the terminal)."""
    text = " ".join(str(text).split("\n"))
    return "".join(ch if ch.isprintable() else " " if ch in "\t\r" else ascii(ch)[1:-1]
                   for ch in text)


def text(doc: Doc, width: int = WIDTH) -> str:
    """The document as plain text, no line longer than `width`."""
    out: list[str] = []
    for kind, body in doc.blocks:
        if kind in ("h1", "h2"):
            title = textwrap.fill(clean(str(body)), width)
            rule = "=" if kind == "h1" else "-"
            out += [title, rule * min(width, max(len(x) for x in title.splitlines())), ""]
        elif kind == "h3":
            out += [textwrap.fill(clean(str(body)) + ":", width)]
        elif kind == "p":
            out += [textwrap.fill(clean(str(body)), width), ""]
        elif kind in ("ol", "ul"):
            assert isinstance(body, list)
            for i, item in enumerate(body, 1):
                mark = f"{i:>2}. " if kind == "ol" else "  - "
                out.append(textwrap.fill(clean(item), width, initial_indent=mark,
                                         subsequent_indent=" " * len(mark)))
            out.append("")
        else:
            assert isinstance(body, tuple)
            header, rows, right = body
            out += _text_table(header, rows, right, width) + [""]
    return "\n".join(out).rstrip("\n") + "\n"


def _text_table(header: list[str], rows: list[list[str]], right: set[int],
                width: int) -> list[str]:
    cells = [[clean(c) for c in row] for row in [header, *rows]]
    widths = [max(len(row[k]) for row in cells) for k in range(len(header))]
    over = sum(widths) + 2 * (len(widths) - 1) - width
    if over > 0:  # the first column (names) gives way, cut with a ~
        widths[0] = max(8, widths[0] - over)
    lines = []
    for row in cells:
        parts = []
        for k, cell in enumerate(row):
            if len(cell) > widths[k]:
                cell = cell[:widths[k] - 1] + "~"
            parts.append(cell.rjust(widths[k]) if k in right else cell.ljust(widths[k]))
        lines.append("  ".join(parts).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def markdown(doc: Doc) -> str:
    """The document as markdown."""
    out: list[str] = []
    for kind, body in doc.blocks:
        if kind in ("h1", "h2", "h3"):
            out += ["#" * int(kind[1]) + " " + clean(str(body)), ""]
        elif kind == "p":
            out += [clean(str(body)), ""]
        elif kind in ("ol", "ul"):
            assert isinstance(body, list)
            out += [(f"{i}. " if kind == "ol" else "- ") + clean(item)
                    for i, item in enumerate(body, 1)] + [""]
        else:
            assert isinstance(body, tuple)
            header, rows, right = body
            out.append("| " + " | ".join(_cell(h) for h in header) + " |")
            out.append("| " + " | ".join("---:" if k in right else "---"
                                         for k in range(len(header))) + " |")
            out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _cell(value: str) -> str:
    return clean(value).replace("|", "\\|")
