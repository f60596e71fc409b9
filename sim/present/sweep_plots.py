"""Figures of a sweep (`ladder sweep --plot`): a tornado chart of the sensitivities and a map
of the outcome over parameter space (a heatmap for a two-parameter grid, else the points on
the two most influential parameters), with the first PRIM box drawn in.

matplotlib is imported only here, and only when a figure is drawn (the `plots` extra);
`sim.present.plots.save` writes the file atomically.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..explore.sweep import SweepResult
from .plots import require_matplotlib

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.cm import ScalarMappable
    from matplotlib.figure import Figure

CAVEAT = "Sensitivities are properties of the model under its stated assumptions, not of the world."


def sweep_figure(result: SweepResult) -> Figure:
    """Tornado chart (left) and outcome map (right)."""
    require_matplotlib()
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    fig = Figure(figsize=(13, 5.8), layout="constrained")
    engine = fig.get_layout_engine()
    assert isinstance(engine, ConstrainedLayoutEngine)  # layout="constrained"
    engine.set(rect=(0, 0.04, 1, 0.96))
    d = result.design
    fig.suptitle(f"{result.scenario.id}: {result.outcome.label} over {len(result.axes)} "
                 f"parameter(s); {d.name} design, {d.n:,} points x {result.runs:,} runs, "
                 f"seed {result.seed}", fontsize=11)
    fig.text(0.5, 0.008, CAVEAT, ha="center", va="bottom", fontsize=8,
             style="italic")
    left, right = fig.subplots(1, 2, width_ratios=(1.1, 1))
    tornado(left, result)
    outcome_map(right, result)
    return fig


def tornado(ax: Axes, result: SweepResult) -> None:
    """The ranking as horizontal bars, most influential at the top. Where a parameter has a
    low and a high value (SRRC, main effects), they sit side by side in its row, the low
    one above, so neither hides the other when both fall on the same side of the mean."""
    r = result.ranking
    h = 0.38  # each of two bars in a row; the row's centre between them
    rows = r.rows
    y = np.arange(len(rows))[::-1]
    names = [s.parameter for s in rows]
    if r.measure == "main_effect_range":
        mean = 100 * float(result.y.mean())
        lowest = np.array([100 * s.extra["lowest"] for s in rows])
        highest = np.array([100 * s.extra["highest"] for s in rows])
        ax.barh(y, highest - lowest, left=lowest, color="0.75", height=0.5,
                label="range of the marginal means")
        ax.plot([100 * s.extra["at_low"] for s in rows], y + h / 3, "o", color="tab:blue",
                label="at the parameter's LOW end")
        ax.plot([100 * s.extra["at_high"] for s in rows], y - h / 3, "o", color="tab:red",
                label="at the parameter's HIGH end")
        ax.axvline(mean, color="0.3", linewidth=0.8)
        ax.set_xlabel(f"{result.outcome.label} (%), mean over the other parameters at each "
                      "value; line: mean of all points")
        names = [f"{s.parameter}\nrange {100 * s.value:.1f} pts" for s in rows]
        ax.set_title("tornado: main effect of each parameter (ranked by its range)",
                     fontsize=9)
    elif r.measure == "SRRC":
        mean = 100 * float(result.y.mean())
        low = np.array([100 * s.extra["at_low"] for s in rows])
        high = np.array([100 * s.extra["at_high"] for s in rows])
        ax.barh(y + h / 2, low - mean, h, left=mean, color="tab:blue", alpha=0.8,
                label="points in the lowest fifth of the range", gid="low")
        ax.barh(y - h / 2, high - mean, h, left=mean, color="tab:red", alpha=0.8,
                label="points in the highest fifth of the range", gid="high")
        ax.axvline(mean, color="0.3", linewidth=0.8)
        ax.set_xlabel(f"{result.outcome.label} (%), mean over the points at each end; "
                      "line: mean of all points")
        names = [f"{s.parameter}\nSRRC {s.value:+.2f} [{s.lo:+.2f}, {s.hi:+.2f}]"
                 for s in rows]
        ax.set_title("tornado: each parameter's low and high fifth (ranked by |SRRC|)",
                     fontsize=9)
    elif r.measure == "mu_star":
        v = np.array([100 * s.value for s in rows])
        err = np.array([[100 * (s.value - _given(s.lo)) for s in rows],
                        [100 * (_given(s.hi) - s.value) for s in rows]])
        ax.barh(y, v, xerr=err, color="tab:purple", alpha=0.8, capsize=3,
                label="mu* (95% interval)")
        ax.plot([100 * s.extra.get("sigma", 0) for s in rows], y, "D", mfc="none",
                color="0.2", label="sigma")
        ax.set_xlabel("percentage points of the outcome over a parameter's full range")
        ax.set_title("Morris: mean |elementary effect| mu*, and its spread sigma", fontsize=9)
    else:
        for off, key, colour, label in ((h / 2, "ST", "tab:red", "ST total order"),
                                        (-h / 2, "S1", "tab:blue", "S1 first order")):
            v = np.array([s.value if key == "ST" else s.extra.get("S1", 0) for s in rows])
            lo = np.array([s.lo if key == "ST" else s.extra.get("S1_lo", 0) for s in rows])
            hi = np.array([s.hi if key == "ST" else s.extra.get("S1_hi", 0) for s in rows])
            ax.barh(y + off, v, h, xerr=np.array([v - lo, hi - v]).clip(0), color=colour,
                    alpha=0.8, capsize=3, label=f"{label} (95% interval)")
        ax.axvline(0, color="0.3", linewidth=0.8)
        ax.set_xlabel("share of the outcome's variance")
        ax.set_title("Sobol' indices", fontsize=9)
    ax.set_yticks(y, names, fontsize=8.5)
    ax.use_sticky_edges = False  # bars start at the outcome, not 0: let margins apply
    ax.margins(x=0.12)
    ax.legend(fontsize=7.5, loc="best")


def outcome_map(ax: Axes, result: SweepResult) -> None:
    """A heatmap for a two-parameter grid; else the points on the two top-ranked parameters
    (or the outcome against the only parameter), with the first PRIM box."""
    axes, y, x = result.axes, 100 * result.y, result.values()
    label = f"{result.outcome.label} (%)"
    if len(axes) == 1:
        lo = 100 * result.to_frame()["lo"].to_numpy()
        hi = 100 * result.to_frame()["hi"].to_numpy()
        order = np.argsort(x[:, 0])
        ax.errorbar(x[order, 0], y[order], yerr=[y[order] - lo[order], hi[order] - y[order]],
                    fmt="o-", capsize=2, markersize=3)
        ax.set_xlabel(axes[0].name)
        ax.set_ylabel(f"{label}, Wilson 95% intervals")
        ax.set_title(f"{result.outcome.label} along {axes[0].name}", fontsize=9)
        return
    if result.design.name == "grid" and len(axes) == 2:
        i, j = 0, 1
        assert result.design.levels is not None  # a grid has its levels
        lx, ly = result.design.levels
        grid = np.full((len(ly), len(lx)), np.nan)
        for row, value in zip(result.design.sample, y, strict=True):
            grid[np.searchsorted(ly, row[1]), np.searchsorted(lx, row[0])] = value
        mesh: ScalarMappable = ax.pcolormesh(_edges(lx), _edges(ly), grid, cmap="viridis",
                                             shading="flat")
        title = "heatmap of the grid"
    else:
        top = [s.parameter for s in result.ranking.rows[:2]]
        names = [a.name for a in axes]
        i, j = names.index(top[0]), names.index(top[1])
        mesh = ax.scatter(x[:, i], x[:, j], c=y, cmap="viridis", s=22, edgecolors="0.3",
                          linewidths=0.3)
        title = "each point on the two top-ranked parameters"
    fig = ax.get_figure()
    assert fig is not None  # the axes were made on a figure
    fig.colorbar(mesh, ax=ax, label=label)
    boxes = result.discovery.boxes
    if boxes:
        levels = result.design.levels if result.design.name == "grid" else None
        _draw_box(ax, boxes[0].limits, (axes[i], axes[j]), (x[:, i], x[:, j]),
                  (levels[i], levels[j]) if levels is not None else None)
        title += "; dashed: the first high-outcome box"
    ax.set_xlabel(axes[i].name)
    ax.set_ylabel(axes[j].name)
    ax.set_title(title, fontsize=9)


def _given(bound: float | None) -> float:
    """An interval's end where the method gives one (Morris: every mu* has its interval)."""
    assert bound is not None
    return bound


def _edges(levels: np.ndarray) -> np.ndarray:
    if len(levels) == 1:
        return np.array([levels[0] - 0.5, levels[0] + 0.5])
    mid = (levels[1:] + levels[:-1]) / 2
    return np.concatenate([[2 * levels[0] - mid[0]], mid, [2 * levels[-1] - mid[-1]]])


def _draw_box(ax: Axes, limits: dict, pair: tuple, values: tuple, levels: tuple | None
              ) -> None:
    """The box's limits on two parameters (open sides at the data's edge); on a grid, at the
    edges of the cells it holds."""
    from matplotlib.patches import Rectangle

    spans = []
    for k, (axis, vals) in enumerate(zip(pair, values, strict=True)):
        lo, hi = limits.get(axis.name, (None, None))
        lo, hi = (vals.min() if lo is None else lo), (vals.max() if hi is None else hi)
        if levels is not None:
            edges = _edges(levels[k])
            lo = edges[np.searchsorted(levels[k], lo)]
            hi = edges[np.searchsorted(levels[k], hi) + 1]
        else:  # a little outside the points on its edges, so a one-level box shows
            pad = 0.02 * (vals.max() - vals.min())
            lo, hi = lo - pad, hi + pad
        spans.append((lo, hi))
    (x0, x1), (y0, y1) = spans
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, linestyle="--",
                           linewidth=2, edgecolor="crimson", clip_on=False))
