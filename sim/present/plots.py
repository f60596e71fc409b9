"""Figures of outcome distributions (`ladder run --plot`, `ladder compare --plot`, reports).

The figures read a `RunView` (`sim.present.views`): the summary and the per-step tables of
one run, built from a `RunResult` or read back from a results folder, so a report can draw a
folder as well as a fresh run. matplotlib is an extra (`pip install -e '.[plots]'`) and is
imported only when a figure is drawn. Figures are `matplotlib.figure.Figure` objects made
without pyplot, so no GUI backend is ever touched: PNG goes through Agg, SVG through
matplotlib's SVG writer.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..engine.intervals import Z95
from ..engine.results import atomic_write
from ..engine.runner import CHUNK
from ..engine.targets import check_file_target
from ..errors import InputError
from .views import RunView, up_thresholds, view_of

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.typing import LineStyleType

__all__ = ["FOOTNOTE", "RunView", "check_path", "compare_figure", "figure_bytes", "run_figure",
           "save", "stage_colours", "up_thresholds", "view_of"]

FORMATS = (".png", ".svg")
FOOTNOTE = "Distributions under the scenario's stated assumptions, not forecasts."
LINESTYLES: tuple[LineStyleType, ...] = ("-", "--", ":", "-.")
DPI = 110


def require_matplotlib(what: str = "--plot") -> None:
    """Fail early, before any simulation, when matplotlib is not installed.

    Raises:
        InputError: `<what> needs matplotlib: pip install -e '.[plots]'`.
    """
    try:
        import matplotlib  # noqa: F401
        import matplotlib.figure  # noqa: F401
    except ImportError:
        raise InputError(f"{what} needs matplotlib: pip install -e '.[plots]'") from None


def check_path(path: str | Path, what: str = "--plot") -> str:
    """The format of a plot file from its extension ("png" or "svg"), checked before any
    simulation: matplotlib must be installed, and the file must be writable
    (`sim.engine.targets.check_file_target`).

    Raises:
        InputError: for another extension, a folder that does not exist or cannot be
            written, a path that is a folder or a special file, or no matplotlib.
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in FORMATS:
        raise InputError(f"{what} {path}: unknown extension {ext or '(none)'!r}; "
                         f"use {' or '.join(FORMATS)}")
    check_file_target(path, what)
    require_matplotlib(what)
    return ext[1:]


def _figure(title: str, intervals: str, height: float = 8.6) -> Figure:
    require_matplotlib()
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    fig = Figure(figsize=(12, height), layout="constrained")
    engine = fig.get_layout_engine()
    assert isinstance(engine, ConstrainedLayoutEngine)  # layout="constrained"
    engine.set(rect=(0, 0.035, 1, 0.965))
    fig.suptitle(title, fontsize=12)
    fig.text(0.5, 0.008, f"{FOOTNOTE} {intervals}", ha="center", va="bottom", fontsize=8.5,
             style="italic")
    return fig


def stage_colours(stages: Sequence[str]) -> dict[str, tuple]:
    """One colour per stage from an ordered sequential palette (matplotlib's YlOrRd), in
    ladder order: light yellow-orange for the lowest stage, darker with each rung, dark red
    for the highest, so that the colours read as a ladder (luminance falls with the level)."""
    from matplotlib import colormaps

    cmap = colormaps["YlOrRd"]
    return {s: cmap(x) for s, x in zip(stages, np.linspace(0.3, 1.0, len(stages)),
                                       strict=True)}


def wilson_band(p: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Wilson 95% interval of each proportion in `p`, from `n` runs (vectorised)."""
    p = np.asarray(p, dtype=float)
    if n <= 0:
        return np.zeros_like(p), np.ones_like(p)
    denom = 1 + Z95 * Z95 / n
    centre = (p + Z95 * Z95 / (2 * n)) / denom
    half = Z95 * np.sqrt(np.clip(p * (1 - p), 0, None) / n + Z95 * Z95 / (4 * n * n)) / denom
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def _variant_colours(n: int) -> list:
    from matplotlib import colormaps

    return [colormaps["tab10"](i % 10) for i in range(n)]


def _time_label(view: RunView) -> str:
    return f"time ({view.summary['step']}s since the start)"


def _title(view: RunView) -> str:
    s = view.summary
    partial = " (partial: interrupted)" if s.get("partial") else ""
    return (f"{s['scenario']} on ladder {s['ladder']}: {s['runs']:,} runs of {s['horizon']} "
            f"{s['step']}s, seed {s['seed']}{partial}")


def reach_bars(ax: Axes, views: Sequence[RunView], labels: Sequence[str]) -> None:
    """P(reach) per stage with Wilson 95% error bars; grouped bars for several views."""
    stages = views[0].stages
    x = np.arange(len(stages))
    width = 0.8 / len(views)
    colours = _variant_colours(len(views))
    single = len(views) == 1
    for i, (view, label) in enumerate(zip(views, labels, strict=True)):
        reach = [view.summary["reach"][s] for s in stages]
        p = np.array([100 * r["p"] for r in reach])
        err = np.array([[100 * (r["p"] - r["lo"]) for r in reach],
                        [100 * (r["hi"] - r["p"]) for r in reach]])
        colour = list(stage_colours(stages).values()) if single else colours[i]
        bars = ax.bar(x + (i - (len(views) - 1) / 2) * width, p, width, yerr=err, capsize=3,
                      color=colour, edgecolor="0.3", linewidth=0.5, label=label)
        if single:
            ax.bar_label(bars, labels=[f"{v:.1f}%" if v >= 0.1 or v == 0 else f"{v:.2f}%"
                                       for v in p], padding=2, fontsize=7.5)
    ax.set_xticks(x, stages, rotation=25, ha="right", fontsize=8)
    ax.set_ylim(0, 110)
    ax.set_ylabel("P(reach) (% of runs)")
    ax.set_title("P(reach): share of runs whose highest stage is at or above the stage, "
                 "with 95% intervals", fontsize=9)
    if not single:
        ax.legend(fontsize=8)


def incidence_lines(ax: Axes, views: Sequence[RunView], labels: Sequence[str]) -> None:
    """Cumulative incidence of each stage over time, with its Wilson 95% band at each step
    (from the view's runs): one colour per stage, one line style per view (solid for the
    first, dashed for the second, ...)."""
    from matplotlib.lines import Line2D

    colours = stage_colours(views[0].stages)
    for i, view in enumerate(views):
        style = LINESTYLES[i % len(LINESTYLES)]
        for stage in view.stages:
            lo, hi = wilson_band(view.incidence[stage].to_numpy(), view.summary["runs"])
            ax.fill_between(view.incidence.index, 100 * lo, 100 * hi, color=colours[stage],
                            alpha=0.25 if len(views) == 1 else 0.15, linewidth=0)
            ax.plot(view.incidence.index, 100 * view.incidence[stage], style,
                    color=colours[stage], linewidth=1.4)
    handles = [Line2D([], [], color=c, label=s) for s, c in colours.items()]
    if len(views) > 1:
        handles += [Line2D([], [], linestyle=LINESTYLES[i % len(LINESTYLES)], color="0.2",
                           label=label) for i, label in enumerate(labels)]
    ax.set_xlabel(_time_label(views[0]))
    ax.set_ylabel("reached by then (% of runs)")
    ax.set_ylim(0, 101)
    ax.set_title("cumulative incidence: runs that have reached each stage, 95% bands",
                 fontsize=9)
    ax.legend(handles=handles, fontsize=7, loc="best")


def occupancy_area(ax: Axes, view: RunView) -> None:
    """Share of runs in each stage at each step, stacked (each step sums to 100%)."""
    colours = stage_colours(view.stages)
    ax.stackplot(view.occupancy.index, *(100 * view.occupancy[s] for s in view.stages),
                 labels=view.stages, colors=[colours[s] for s in view.stages], alpha=0.9)
    ax.set_xlabel(_time_label(view))
    ax.set_ylabel("share of runs (%)")
    ax.set_ylim(0, 100)
    ax.set_xlim(view.occupancy.index[0], view.occupancy.index[-1])
    ax.set_title("stage occupancy: where the runs are at each step", fontsize=9)
    handles, names = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], names[::-1], fontsize=7, loc="center right")


def band_note(view: RunView) -> str:
    """Which runs the tension band comes from."""
    return f"band across the first {min(view.summary['runs'], CHUNK):,} runs"


def tension_band(ax: Axes, views: Sequence[RunView], labels: Sequence[str]) -> None:
    """Mean tension per step; for one view also its q05-q95 and q25-q75 bands. Each stage's
    `up` threshold is a dashed line, labelled, in the stage's colour; the axis starts at 0
    (lower only if tension goes below 0)."""
    for i, (view, label) in enumerate(zip(views, labels, strict=True)):
        t = view.tension
        if t is None:
            continue
        if len(views) == 1 and {"q05", "q25", "q75", "q95"} <= set(t.columns):
            note = band_note(view)
            ax.fill_between(t.index, t["q05"], t["q95"], color="tab:orange", alpha=0.2,
                            linewidth=0, label=f"q05-q95 ({note})")
            ax.fill_between(t.index, t["q25"], t["q75"], color="tab:orange", alpha=0.4,
                            linewidth=0, label="q25-q75")
        ax.plot(t.index, t["mean"], LINESTYLES[i % len(LINESTYLES)], color="0.15",
                linewidth=1.5, label="mean over all runs" if len(views) == 1 else
                f"mean ({label})")
    if all(v.tension is None for v in views):
        ax.text(0.5, 0.5, "no tension.csv in the results folder", ha="center",
                transform=ax.transAxes)
    colours = stage_colours(views[0].stages)
    for stage, up in views[0].thresholds.items():
        ax.axhline(up, linestyle="--", color=colours[stage], linewidth=1, gid=f"up-{stage}")
        ax.text(0.995, up, f"{stage} up {up:g}", transform=ax.get_yaxis_transform(),
                ha="right", va="bottom", fontsize=6.5, color="0.25")
    drawn = [v.tension if len(views) == 1 else v.tension[["mean"]] for v in views
             if v.tension is not None]
    # pandas-stubs types a frame's min(axis=None) as any scalar; it is a number here
    low = min([0.0, *(float(t.min(axis=None)) for t in drawn)])  # type: ignore[arg-type]
    ax.set_ylim(bottom=low)
    ax.set_xlabel(_time_label(views[0]))
    reads = views[0].summary.get("reads", "tension")  # what the main ladder reads
    ax.set_ylabel(f"{reads} (index of the scenario, no unit)")
    ax.set_title(f"{reads} over time", fontsize=9)
    ax.legend(fontsize=7.5)


def difference_forest(ax: Axes, report: dict) -> None:
    """B - A in P(reach) and P(absorbed), points, with 95% intervals: one row per metric,
    one marker per variant against the baseline."""
    names = report["scenarios"]
    rows = [c for c in report["comparisons"] if "diff" in c]
    metrics = list(dict.fromkeys(c["metric"] for c in rows))
    colours = _variant_colours(len(names))
    offset = 0.6 / max(1, len(names) - 1)
    for j, b in enumerate(names[1:], start=1):
        mine = [c for c in rows if c["b"] == b]
        y = [metrics.index(c["metric"]) + (j - len(names) / 2) * offset for c in mine]
        d = np.array([100 * c["diff"] for c in mine])
        err = np.array([d - [100 * c["lo"] for c in mine], [100 * c["hi"] for c in mine] - d])
        ax.errorbar(d, y, xerr=err, fmt="o", color=colours[j], capsize=3, markersize=4,
                    label=f"{b} - {names[0]}")
    ax.axvline(0, color="0.4", linewidth=0.8)
    ax.set_yticks(range(len(metrics)), [m.replace(":", " ") for m in metrics], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("difference in probability (percentage points), 95% interval")
    ax.set_title("difference against the baseline (paired runs where the note says so)",
                 fontsize=9)
    if not metrics:
        ax.text(0.5, 0.5, "no metric varies", ha="center", transform=ax.transAxes)
    ax.legend(fontsize=8)


def coupled_views(view: RunView) -> list[tuple[str, RunView]]:
    """(key, view) of each coupled ladder of a run (`summary["ladders"]`, the main one left
    out): its summary entry over the run's, so that `reach_bars` draws its stages; empty for
    one ladder."""
    ladders = list(view.summary.get("ladders", {}).items())[1:]
    return [(key, RunView({**view.summary, **entry}, view.occupancy, view.incidence, None,
                          view.source)) for key, entry in ladders]


def coupled_reach(axes: Sequence[Axes], view: RunView) -> None:
    """One P(reach) panel per coupled ladder, titled with its key and ladder id."""
    for ax, (key, sub) in zip(axes, coupled_views(view), strict=True):
        reach_bars(ax, [sub], [view.summary["scenario"]])
        ax.set_title(f"ladder {key} ({sub.summary['ladder']}): P(reach), with 95% intervals",
                     fontsize=9)


def run_figure(view: RunView) -> Figure:
    """The four panels of one run: P(reach), incidence, occupancy, tension; with coupled
    ladders, a row below with each one's P(reach)."""
    extra = coupled_views(view)
    if not extra:
        fig = _figure(_title(view), "Intervals: Wilson 95%.")
        axes = fig.subplots(2, 2)
    else:
        fig = _figure(_title(view), "Intervals: Wilson 95%.", height=12.6)
        parts = fig.subfigures(2, 1, height_ratios=[2, 1])
        assert isinstance(parts, np.ndarray)  # two subfigures, not one
        top, bottom = parts
        axes = top.subplots(2, 2)
        coupled_reach(list(np.ravel(bottom.subplots(1, len(extra)))), view)
    label = [view.summary["scenario"]]
    reach_bars(axes[0, 0], [view], label)
    if extra:
        main = next(iter(view.summary["ladders"]))
        axes[0, 0].set_title(f"ladder {main} ({view.summary['ladder']}): P(reach), with 95% "
                             "intervals", fontsize=9)
    incidence_lines(axes[0, 1], [view], label)
    occupancy_area(axes[1, 0], view)
    tension_band(axes[1, 1], [view], label)
    return fig


def compare_figure(views: Sequence[RunView], report: dict) -> Figure:
    """A comparison: P(reach) per variant, incidence overlays, the differences, tension."""
    names = report["scenarios"]
    seed = report["seed"]
    seeds = f"seed {seed}" if not isinstance(seed, dict) else "seeds " + ", ".join(
        f"{k} {v}" for k, v in seed.items())
    runs = ", ".join(f"{report['runs'][n]:,}" for n in names)
    fig = _figure(f"{' vs '.join(names)}: {runs} runs, {seeds}",
                  "Intervals: Wilson 95% for P(reach), Newcombe 95% for differences; "
                  "line styles as in the legend of the incidence panel.")
    axes = fig.subplots(2, 2)
    reach_bars(axes[0, 0], views, names)
    incidence_lines(axes[0, 1], views, names)
    difference_forest(axes[1, 0], report)
    tension_band(axes[1, 1], views, names)
    return fig


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """A figure as PNG or SVG bytes (SVG text kept as text, no timestamp)."""
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "ladder"}):
        fig.savefig(buf, format=fmt, dpi=DPI,
                    metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()


def save(fig: Figure, path: str | Path) -> Path:
    """Write a figure to a .png or .svg file atomically; returns the path."""
    fmt = check_path(path)
    data = figure_bytes(fig, fmt)
    path = Path(path)
    # atomic_write hands over a text handle; its binary buffer takes the bytes unchanged.
    atomic_write(path, lambda handle: handle.buffer.write(data))
    return path
