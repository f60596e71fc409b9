"""The ladder drawn as inline SVG, for the `ladder report` page and the `ladder demo` dashboard.

A module of its own because both use it: the report draws each input's ladder, the demo the
ladder with the current stage highlighted.
"""

from __future__ import annotations

from ..format.ladder import Ladder
from .markup import esc
from .moves import moves

NOW_FILL, NOW_STROKE = "#ffe08a", "#d35400"  # the current stage (ladder demo)


def ladder_svg(ladder: Ladder, start: str | None = None, key: str = "l",
               current: tuple[str, str] | None = None) -> str:
    """A ladder drawn bottom-up as inline SVG: a box per stage (level, name, id), moves up on
    the right and down on the left with their rules, jumps as red arcs, absorbing stages
    with a double red border, the start stage in green.

    Args:
        ladder: the ladder.
        start: the stage to mark as the start, if any.
        key: a prefix that keeps the SVG's ids unique within the page.
        current: (stage id, label) of a stage to highlight as the current one, if any.
    """
    all_moves = moves(ladder)
    jumps = [m for m in all_moves if m.kind == "jump"]

    def text_w(kinds: tuple[str, ...]) -> float:  # 11px labels: about 6.5px a character
        return 6.5 * max([len(m.label) + 2 for m in all_moves if m.kind in kinds] or [0])

    n, row, box_h, box_w, top = len(ladder.stages), 64, 44, 380, 20
    x0 = round(20 + text_w(("down",)))
    xb = x0 + box_w  # the boxes' right edge
    right_w = 16 + text_w(("up", "trigger"))
    # jump k's arc has both control points at xr[k]; a cubic like that bulges to 3/4 of the
    # way, so the arcs clear the labels of the moves up
    xr = [xb + right_w / 0.75 + 40 * (k + 1) for k in range(len(jumps))]
    width = round(max([xb + right_w] + [xb + 0.75 * (x - xb) + 12 + text_w(("jump",))
                                         for x in xr]) + 10)
    height = top + n * row + 10
    y = {s.id: top + (n - 1 - i) * row for i, s in enumerate(ladder.stages)}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" font-family="sans-serif" '
           f'font-size="13"><title>{esc(ladder.id)}: {esc(ladder.title)}</title>',
           "<defs>" + "".join(
               f'<marker id="{key}-{name}" viewBox="0 0 10 10" refX="9" refY="5" '
               'markerWidth="7" markerHeight="7" orient="auto">'
               f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
               for name, colour in (("arrow", "#456"), ("jump", "#c00"))) + "</defs>"]
    for s in ladder.stages:
        fill, stroke = ("#fde2e2", "#b00000") if s.absorbing else ("#eef3fb", "#456")
        if s.id == start:
            stroke = "#1b7f2a"
        top_y = y[s.id]
        now = current is not None and s.id == current[0]
        now_class = ""
        if now:
            fill, stroke, now_class = NOW_FILL, NOW_STROKE, ' class="stage-now"'
        out.append(f'<rect x="{x0}" y="{top_y}" width="{box_w}" height="{box_h}" rx="6" '
                   f'fill="{fill}" stroke="{stroke}" stroke-width="{5 if now else 2}"'
                   f'{now_class}/>')
        if s.absorbing:
            out.append(f'<rect x="{x0 + 3}" y="{top_y + 3}" width="{box_w - 6}" '
                       f'height="{box_h - 6}" rx="4" fill="none" stroke="{stroke}"/>')
        out.append(f'<text x="{x0 + 10}" y="{top_y + 18}" font-weight="bold">{esc(s.level)}'
                   f'  {esc(_clip(s.name, 46))}</text>')
        tags = [s.id] + (["absorbing: the run ends here"] if s.absorbing else []) + (
            ["start"] if s.id == start else []) + ([current[1]] if current and now else [])
        style = 'fill="#000" font-weight="bold"' if now else 'fill="#555"'
        out.append(f'<text x="{x0 + 10}" y="{top_y + 35}" font-size="11" {style}>'
                   f'{esc(" · ".join(tags))}</text>')
    for m in all_moves:
        ys, yt = y[m.source], y[m.target]
        if m.kind == "jump":
            x = xr[jumps.index(m)]
            out.append(f'<path d="M{xb},{ys + 22} C{x:.0f},{ys + 22} {x:.0f},{yt + 22} '
                       f'{xb},{yt + 22}" fill="none" stroke="#c00" stroke-width="1.6" '
                       f'stroke-dasharray="5,3" marker-end="url(#{key}-jump)"/>')
            out.append(f'<text x="{xb + 0.75 * (x - xb) + 6:.0f}" y="{(ys + yt) // 2 + 26}" '
                       f'font-size="11" fill="#c00">{esc(m.label)}</text>')
            continue
        upward = yt < ys
        x = xb - 40 if upward else x0 + 40
        y1, y2 = (ys, yt + box_h) if upward else (ys + box_h, yt)
        out.append(f'<line x1="{x}" y1="{y1}" x2="{x}" y2="{y2}" stroke="#456" '
                   f'stroke-width="1.4" marker-end="url(#{key}-arrow)"/>')
        tx, anchor = (xb + 8, "start") if upward else (x0 - 8, "end")
        out.append(f'<text x="{tx}" y="{(y1 + y2) // 2 + 4}" font-size="11" '
                   f'text-anchor="{anchor}">{"↑" if upward else "↓"} {esc(m.label)}</text>')
    out.append("</svg>")
    return "".join(out)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
