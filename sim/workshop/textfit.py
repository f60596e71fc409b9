"""Text that fits a terminal's width: cells cut with "~", lines wrapped under their text
column, and a last check that cuts any line still too wide (ANSI colour codes not counted)."""

from __future__ import annotations

import re
import textwrap

ANSI = re.compile(r"\033\[[0-9;]*[A-Za-z]")
GAP = re.compile(r"(?<=\S) {2,}(?=\S)")  # two or more spaces between words: a column


def visible(text: str) -> int:
    """The width of `text` on a terminal: its length without ANSI escape codes."""
    return len(ANSI.sub("", text))


def cut(text: str, width: int) -> str:
    """`text` when it fits `width`, else its first width - 1 characters and "~"."""
    if len(text) <= width:
        return text
    return text[: max(0, width - 1)] + "~" if width > 0 else ""


def cell(text: str, width: int) -> str:
    """`text` in a column `width` wide: cut to leave at least one space, then padded."""
    return cut(text, width - 1).ljust(width)


def column_width(texts, floor: int, cap: int, gap: int = 2) -> int:
    """The width of a column holding `texts` with `gap` spaces after the longest, kept
    between `floor` and `cap`."""
    longest = max((len(t) for t in texts), default=0)
    return max(floor, min(cap, longest + gap))


def wrap(text: str, width: int, indent: int | None = None) -> list[str]:
    """`text` wrapped to `width`; the lines after the first are indented under its second
    column (where the last run of two spaces in its first half ends), or `indent` spaces
    when given."""
    if len(text) <= width:
        return [text]
    if indent is None:
        lead = len(text) - len(text.lstrip(" "))
        ends = [m.end() for m in GAP.finditer(text) if m.end() <= width // 2]
        indent = ends[-1] if ends else lead + 2
    indent = min(indent, width // 2)
    return textwrap.wrap(text, width, subsequent_indent=" " * indent, drop_whitespace=True,
                         break_on_hyphens=False) or [text[:width]]


def clip(line: str, width: int) -> str:
    """Cut a line that may hold ANSI codes to `width` visible characters, ending "~"."""
    if visible(line) <= width:
        return line
    out, seen, i = [], 0, 0
    while i < len(line):
        code = ANSI.match(line, i)
        if code:
            out.append(code.group())
            i = code.end()
            continue
        if seen == width - 1:
            out.append("~")
            break
        out.append(line[i])
        seen += 1
        i += 1
    return "".join(out) + ("\033[0m" if "\033[" in line else "")


def fit_width(text: str, width: int) -> str:
    """Every line of `text` within `width`: plain lines wrapped under their text column,
    coloured ones cut."""
    lines: list[str] = []
    for line in text.split("\n"):
        if visible(line) <= width:
            lines.append(line)
        elif "\033[" in line:
            lines.append(clip(line, width))
        else:
            lines += wrap(line, width)
    return "\n".join(lines)
