"""The flow diagram of `ladder explain`'s pathways, as inline SVG (a Sankey diagram).

Columns are the ladder's stages, lowest left; a band goes from the stage a run had reached to
its next new peak, as wide as the runs that took it, coloured by cause. Every label is
escaped; the figure has a title and a text description for screen readers.
"""

from __future__ import annotations

from .markup import esc

COLOURS = {"trigger": "#4c72b0", "joint decision": "#8172b2", "threshold up": "#55a868",
           "event": "#dd8452", "accident": "#c44e52"}
WIDTH, HEIGHT, NODE, TOP = 900, 360, 14, 30


def sankey_svg(flows: list[dict], stages: tuple[str, ...], start: str, runs: int,
               title: str) -> str:
    """The SVG of `flows` (`sim.analyses.pathways.flows`) over the ladder `stages`."""
    used = [s for s in stages if s == start or any(s in (f["from"], f["to"]) for f in flows)]
    gap = (WIDTH - 160) / max(len(used) - 1, 1)
    x = {s: 80 + i * gap for i, s in enumerate(used)}
    through = {s: max(sum(f["runs"] for f in flows if f["to"] == s),
                      sum(f["runs"] for f in flows if f["from"] == s)) for s in used}
    through[start] = runs
    scale = (HEIGHT - TOP - 40) / max(runs, 1)
    out_y = {s: TOP for s in used}  # where the next band leaves (top of the node)
    in_y = {s: TOP for s in used}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'role="img" aria-labelledby="sk-title sk-desc"><title id="sk-title">'
             f"{esc(title)}</title><desc id=\"sk-desc\">{esc(_describe(flows))}</desc>"]
    for f in flows:
        w = max(f["runs"] * scale, 0.5)
        x0, x1 = x[f["from"]] + NODE / 2, x[f["to"]] - NODE / 2
        y0, y1 = out_y[f["from"]] + w / 2, in_y[f["to"]] + w / 2
        out_y[f["from"]] += w
        in_y[f["to"]] += w
        mid = (x0 + x1) / 2
        colour = COLOURS.get(f["cause"], "#999999")
        label = (f"{f['from']} -> {f['to']} by {f['cause']} {f['by']}".strip()
                 + f": {f['runs']:,} runs ({100 * f['share']['p']:.1f}%)")
        parts.append(f'<path d="M{x0:.1f},{y0:.1f} C{mid:.1f},{y0:.1f} {mid:.1f},{y1:.1f} '
                     f'{x1:.1f},{y1:.1f}" fill="none" stroke="{colour}" stroke-opacity=".55" '
                     f'stroke-width="{w:.1f}"><title>{esc(label)}</title></path>')
    for s in used:
        h = max(through[s] * scale, 1)
        parts.append(f'<rect x="{x[s] - NODE / 2:.1f}" y="{TOP}" width="{NODE}" '
                     f'height="{h:.1f}" fill="#333"><title>{esc(s)}: {through[s]:,} runs'
                     "</title></rect>")
        parts.append(f'<text x="{x[s]:.1f}" y="{TOP - 8}" text-anchor="middle" '
                     f'font-size="12">{esc(s)} ({through[s]:,})</text>')
    legend = [(c, k) for k, c in COLOURS.items() if any(f["cause"] == k for f in flows)]
    for i, (colour, kind) in enumerate(legend):
        parts.append(f'<rect x="{80 + 150 * i}" y="{HEIGHT - 22}" width="12" height="12" '
                     f'fill="{colour}"/><text x="{96 + 150 * i}" y="{HEIGHT - 12}" '
                     f'font-size="12">{esc(kind)}</text>')
    return "".join(parts) + "</svg>"


def _describe(flows: list[dict]) -> str:
    return "; ".join(f"{f['from']} to {f['to']} by {f['cause']} {f['by']}".replace("  ", " ")
                     + f": {f['runs']} runs" for f in flows[:12])
