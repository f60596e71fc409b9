"""HTML building blocks: escaping text and plain-text tables.

Shared by `ladder report` (sim/present/report.py), the ladder drawing
(sim/present/ladder_svg.py) and the `ladder demo` dashboard, so that every text taken from an
input file is escaped the same way and none of them has to import the report.
"""

from __future__ import annotations

import html
from collections.abc import Sequence


def esc(text: object) -> str:
    """Text from a file or a number, safe inside HTML."""
    return html.escape(str(text), quote=True)


def table(head: Sequence[str], rows: Sequence[Sequence[object]], numeric: Sequence[int] = (),
          cls: str = "") -> str:
    """An HTML table of plain-text cells (escaped); `numeric` columns right-aligned; `cls` its
    class attribute (none when empty)."""
    attr = f' class="{esc(cls)}"' if cls else ""
    out = [f"<table{attr}><thead><tr>", *(f"<th>{esc(h)}</th>" for h in head),
           "</tr></thead><tbody>"]
    for row in rows:
        cells = [f'<td class="num">{esc(c)}</td>' if i in numeric else f"<td>{esc(c)}</td>"
                 for i, c in enumerate(row)]
        out.append(f"<tr>{''.join(cells)}</tr>")
    out.append("</tbody></table>")
    return "".join(out)
