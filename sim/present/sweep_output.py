"""What `ladder sweep` prints and writes: the text report (the ranking, the high-outcome
boxes, the points), and the results folder (`sweep.json`, `points.csv`)."""

from __future__ import annotations

from pathlib import Path

from ..engine.folder import Written, write_folder
from ..engine.results import summary_json
from ..explore.designs import POINTS_MEANING
from ..explore.prim import Box
from ..explore.sweep import SweepResult

CAVEAT = ("Sensitivities and boxes are properties of the model under the scenario's stated "
          "assumptions, not of the world.")
MAX_POINT_ROWS = 25
IN_POINTS = {"mu_star", "main_effect_range"}  # measures in probability units


def pct(p: float) -> str:
    return f"{100 * p:.1f}%" if p >= 0.001 or p == 0 else f"{100 * p:.2f}%"


def measure_text(measure: str, value: float | None) -> str:
    """A ranking figure as printed: percentage points for effects, else a share or a
    coefficient."""
    if value is None:
        return "-"
    if measure in IN_POINTS:
        return f"{100 * value:.1f}"
    return f"{value:+.2f}" if measure == "SRRC" else f"{value:.2f}"


def box_rule(box: Box, result: SweepResult) -> str:
    """`push_migrants >= 3.1 and counteract <= 0.4: P(reach use_of_force) = 4.2% in 18% of
    the space (9 of 50 points; coverage 43%, density 89%)`."""
    total = len(result.counts)
    return (f"{box.condition()}: {result.outcome.label} = {pct(box.mean)} in "
            f"{100 * box.mass:.0f}% of the space ({box.n} of {total} points; coverage "
            f"{100 * box.coverage:.0f}%, density {100 * box.density:.0f}%)")


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    out = []
    for row in [header, *rows]:
        cells = [str(c).rjust(w) if i in right else str(c).ljust(w)
                 for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        out.append("  " + "  ".join(cells).rstrip())
    return out


def sweep_table(result: SweepResult) -> str:
    """The human-readable report of a sweep."""
    sc, d = result.scenario, result.design
    seeds = ("common random numbers" if result.seeds == "common"
             else "independent seeds per point")
    lines = [f"{sc.id} on ladder {sc.ladder.id}: {result.outcome.label} over "
             f"{len(result.axes)} parameter(s); {d.name} design ({d.k} "
             f"{POINTS_MEANING[d.name]}): {d.n:,} points x {result.runs:,} runs, seed "
             f"{result.seed} ({seeds}); {result.where}, {result.seconds:.1f} s", ""]
    lines += _table(["parameter", "path", "low", "high"],
                    [[a.name, a.path, f"{a.low:g}", f"{a.high:g}"] for a in result.axes],
                    {2, 3})
    y = result.y
    lines += ["", f"{result.outcome.label} over the points: mean {pct(y.mean())}, min "
                  f"{pct(y.min())}, max {pct(y.max())}", ""]
    lines += _ranking(result)
    lines += [""] + _discovery(result) + [""] + _points(result) + ["", CAVEAT]
    return "\n".join(lines)


def _ranking(result: SweepResult) -> list[str]:
    r = result.ranking
    unit = " (percentage points)" if r.measure in IN_POINTS else ""
    lines = [f"sensitivity ranking, most influential first{unit}: {r.note}"]
    if r.r2 is not None:
        lines.append(f"  (rank fit R^2 = {r.r2:.2f}: "
                     + ("the fit explains most of the variation)" if r.r2 >= 0.7 else
                        "much of the variation is not monotone in single parameters; read "
                        "the ranking with care, or use --design morris or sobol)"))
    lines.append(f"  ({r.intervals})")
    noise = r.measure == "mu_star" and any("noise" in s.extra for s in r.rows)
    head = {"mu_star": ["mu* [95% CI]", "mu", "sigma"] + (["noise"] if noise else []),
            "ST": ["ST [95% CI]", "S1 [95% CI]"],
            "main_effect_range": ["range", "at low", "at high"],
            "SRRC": ["SRRC [95% CI]", "at low", "at high"]}[r.measure]
    rows = []
    for i, s in enumerate(r.rows, start=1):
        m = r.measure
        main = measure_text(m, s.value)
        if s.lo is not None and s.hi is not None:
            main += f" [{measure_text(m, s.lo)}, {measure_text(m, s.hi)}]"
        if m == "mu_star":
            more = [f"{100 * s.extra.get('mu', 0):+.1f}", f"{100 * s.extra.get('sigma', 0):.1f}"]
            more += [f"{100 * s.extra['noise']:.1f}"] if noise else []
        elif m == "ST":
            e = s.extra
            more = [f"{e.get('S1', 0):.2f} [{e.get('S1_lo', 0):.2f}, {e.get('S1_hi', 0):.2f}]"]
        else:
            more = [pct(s.extra.get("at_low", 0)), pct(s.extra.get("at_high", 0))]
        rows.append([str(i), s.parameter, main, *more])
    lines += _table(["rank", "parameter", *head], rows, {0})
    return lines


def _discovery(result: SweepResult) -> list[str]:
    disc = result.discovery
    label = result.outcome.label
    how = "given" if disc.rule == "given" else "the mean of the points"
    lines = [f"where {label} is high (PRIM; high = above {pct(disc.threshold)}, {how}: "
             f"{disc.high} of {len(result.counts)} points):", f"  ({disc.check})"]
    if not disc.boxes:
        lines.append("  no box of parameter space is denser in high points than the whole "
                     "space" if disc.high else "  no point is above the threshold")
    for i, box in enumerate(disc.boxes, start=1):
        lines.append(f"  {i}. {box_rule(box, result)}")
    return lines


def _points(result: SweepResult) -> list[str]:
    frame = result.to_frame()
    shown = frame
    title = f"{result.outcome.label} at each point, with its Wilson 95% interval:"
    if len(frame) > MAX_POINT_ROWS:
        shown = frame.sort_values(["p", "point"], ascending=[False, True]).head(10)
        title = (f"the 10 points with the highest {result.outcome.label} of {len(frame):,} "
                 "(every point: --json or --out DIR):")
    names = [a.name for a in result.axes]
    rows = [[str(r["point"]), *(f"{r[n]:.4g}" for n in names), f"{r['runs']:,}",
             f"{pct(r['p'])} [{pct(r['lo'])}, {pct(r['hi'])}]"]
            for r in shown.to_dict("records")]
    return [title] + _table(["point", *names, "runs", "P [95% CI]"], rows,
                            set(range(len(names) + 2)))


SWEEP_FILES = ("sweep.json", "points.csv")


def write_sweep(result: SweepResult, folder: str | Path) -> Written:
    """Write sweep.json (`ladder sweep --json`), points.csv (`SweepResult.to_frame`) and
    manifest.json into `folder`, all or nothing (`sim.engine.folder.write_folder`).

    Raises:
        Interrupted: Ctrl-C or SIGTERM while writing; `folder` is as it was.
        InputError: an OSError while writing (a full disk, say); `folder` is as it was.
    """
    data, frame = result.to_dict(), result.to_frame()
    files = [("sweep.json", lambda h: h.write(summary_json(data))),
             ("points.csv", lambda h: frame.to_csv(h, index=False))]
    return write_folder(folder, files, "sweep",
                        {"points": len(frame), "runs_per_point": result.runs,
                         "partial": False}, SWEEP_FILES)
