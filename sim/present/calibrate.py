"""The text of `ladder calibrate`: the fit, the parameters it moved, the out-of-sample table."""

from __future__ import annotations

import textwrap

SCORES = ("brier", "log", "rps")
BANDS = ("50", "80", "95")
SHOWN = 8  # parameters listed
W = 25  # width of a score column


def _iv(e: dict, digits: int = 3, sign: bool = False) -> str:
    if e.get("mean") is None:
        return "-"
    f = f"+.{digits}f" if sign else f".{digits}f"
    return f"{e['mean']:{f}} [{e['lo']:{f}}, {e['hi']:{f}}]"


def _cov(e: dict) -> str:
    return "-" if e.get("mean") is None else f"{100 * e['mean']:.0f}%"


def calibrate_text(s: dict) -> str:
    """Everything `ladder calibrate` prints."""
    fit, test = s["fit"], s["test"]
    lines = [f"{s['scenario']} calibrated on {s['record']}: fit {fit['window'][0]} to "
             f"{fit['window'][1]} ({len(fit['months'])} recorded months), test "
             f"{test['window'][0]} to {test['window'][1]} ({len(test['months'])} recorded "
             f"months); seed {s['seed']}"]
    if test["after_record"]:
        lines.append(f"  the record ends in {test['months'][-1]}: later test months have no "
                     "data and are not scored")
    disc = s["discrepancy"]
    lines.append(f"Prior ensemble: {s['runs']:,} runs; accepted {s['accepted']:,} "
                 f"({100 * s['accept']:g}%) with discrepancy <= {disc['accepted_max']:.3f} "
                 f"(median {disc['accepted_median']:.3f}; prior median "
                 f"{disc['prior_median']:.3f})")
    lines.append("Compared: " + ", ".join(
        f"{a['name']} ({'stage of ' + a['ladder'] if a['kind'] == 'stage' else 'count'})"
        for a in s["compared"]))
    lines.append("")
    lines.append(f"Parameters the fit moved most (posterior sd / prior sd; top {SHOWN}):")
    for p in s["parameters"][:SHOWN]:
        a, b = p["prior"], p["posterior"]
        ratio = "-" if p["sd_ratio"] is None else f"{p['sd_ratio']:.2f}"
        lines.append(f"  {p['path'][:58]:<58} {ratio:>5}  prior {a['q50']:.3g} "
                     f"[{a['q05']:.3g}, {a['q95']:.3g}] -> {b['q50']:.3g} "
                     f"[{b['q05']:.3g}, {b['q95']:.3g}]")
    for block in s["scores"]:
        lines.append("")
        lines += _block(block, s["test_runs"])
    lines.append("")
    lines += textwrap.wrap(f"Method: {s['method']}. Scores are means over test months with "
                           "95% intervals from resampling months; lower is better for Brier, "
                           "log and RPS. Distributions under the scenario's stated "
                           "assumptions, not predictions.", 92)
    return "\n".join(lines)


def _block(b: dict, runs: int) -> list[str]:
    if b["kind"] == "count":
        lines = [f"{b['quantity']}: coverage of the recorded counts by each model's bands"]
        for name, c in b["coverage"].items():
            if not c.get("months"):
                lines.append(f"  {name:<26} no recorded month in the test window")
                continue
            lines.append(f"  {name:<26} " + "  ".join(
                f"{band}%: {_cov(c[band])}" for band in BANDS) + f"  ({c['months']} months)")
        return lines
    months = next(iter(b["scores"].values()))["brier"]["months"]
    lines = [f"Stage of {b['ladder']} ({b['quantity']}), {months} test months "
             f"(models: {runs:,} runs each):",
             f"  {'forecast':<26}{'Brier':<{W}}{'log':<{W}}{'RPS':<{W}}cover 50/80/95"]
    for name, row in b["scores"].items():
        cover = "/".join(_cov(row["coverage"][band]) for band in BANDS)
        lines.append(f"  {name:<26}" + "".join(f"{_iv(row[s]):<{W}}" for s in SCORES) + cover)
    lines.append("  calibrated minus each (negative: the calibrated model scores better):")
    for other, d in b["calibrated_minus"].items():
        lines.append(f"    {other:<24}" + "".join(f"{_iv(d[s], sign=True):<{W}}"
                                                for s in SCORES).rstrip())
    lines += ["  " + x for x in textwrap.wrap(b["verdict"], 90)]
    return lines


def calibrate_markdown(s: dict) -> str:
    """The out-of-sample table as markdown (docs/validation.md): per recorded ladder, each
    forecast's scores with their intervals and its coverage, then each count's coverage."""
    lines = [f"Fit {s['fit']['window'][0]} to {s['fit']['window'][1]} "
             f"({len(s['fit']['months'])} months), test {s['test']['window'][0]} to "
             f"{s['test']['window'][1]} ({len(s['test']['months'])} recorded months, to "
             f"{s['test']['months'][-1]}); prior ensemble {s['runs']:,} runs, "
             f"{s['accepted']:,} accepted; {s['test_runs']:,} runs per model on the test "
             f"window; seed {s['seed']}.", ""]
    for b in s["scores"]:
        if b["kind"] == "count":
            lines += [f"**{b['quantity']}** (coverage of the recorded counts):", "",
                      "| forecast | months | 50% | 80% | 95% |", "| --- | --- | --- | --- | --- |"]
            for name, c in b["coverage"].items():
                if c.get("months"):
                    lines.append(f"| {name} | {c['months']} | " + " | ".join(
                        _cov(c[band]) for band in BANDS) + " |")
            lines.append("")
            continue
        lines += [f"**Stage of {b['ladder']}** ({b['quantity']}):", "",
                  "| forecast | Brier | log | RPS | cover 50/80/95 |",
                  "| --- | --- | --- | --- | --- |"]
        for name, row in b["scores"].items():
            cover = "/".join(_cov(row["coverage"][band]) for band in BANDS)
            lines.append(f"| {name} | " + " | ".join(_iv(row[x]) for x in SCORES)
                         + f" | {cover} |")
        lines += ["", "Calibrated minus each (negative: the calibrated model is better):", "",
                  "| against | Brier | log | RPS |", "| --- | --- | --- | --- |"]
        for other, d in b["calibrated_minus"].items():
            lines.append(f"| {other} | " + " | ".join(_iv(d[x], sign=True) for x in SCORES)
                         + " |")
        lines += ["", b["verdict"], ""]
    return "\n".join(lines).rstrip() + "\n"
