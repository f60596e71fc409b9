"""Figures: `ladder run --plot`, `ladder compare --plot`, the data they read (RunView from a
run or a results folder), bad extensions and a missing matplotlib."""

from __future__ import annotations

import sys

import pytest

import sim
from sim.cli import main
from sim.present.plots import RunView
from tests.helpers import ROOT, make_scenario

pytest.importorskip("matplotlib")

STAGES = [{"id": "calm", "name": "Calm", "up": 1},
          {"id": "tense", "name": "Tense", "up": 2, "down": 0},
          {"id": "war", "name": "War", "absorbing": True}]


def walker(push: float) -> dict:
    return {"kind": "state", "actions": {"push": {"effect": 2}, "calm_down": {"effect": -1}},
            "policy": {"weights": {"push": push, "calm_down": 1}}}


@pytest.fixture
def scenarios(tmp_path):
    """Two variants on one small ladder: `base` and `pushier`."""
    for name, push in (("base", 1), ("pushier", 2)):
        make_scenario(tmp_path, STAGES, {"x": walker(push)}, horizon=12, decay=0, name=name)
    return tmp_path / "base.yaml", tmp_path / "pushier.yaml"


def cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_run_plot_svg_has_stages_axis_labels_and_footnote(tmp_path, scenarios, capsys):
    target = tmp_path / "run.svg"
    code, _, err = cli(capsys, "run", scenarios[0], "--runs", 2000, "--plot", target)
    assert code == 0, err
    assert f"wrote {target}" in err
    svg = target.read_text(encoding="utf-8")
    for text in ("calm", "tense", "war", "P(reach) (% of runs)", "time (days since the start)",
                 "share of runs (%)", "tension (index of the scenario, no unit)",
                 "2,000 runs of 12 days, seed 0", "not forecasts",
                 "band across the first 2,000 runs"):
        assert text in svg, text
    assert not list(tmp_path.glob(".run.svg.*"))  # no temporary file left behind


def test_run_plot_png_is_a_real_picture(tmp_path, scenarios, capsys):
    target = tmp_path / "run.png"
    assert cli(capsys, "run", scenarios[0], "--runs", 500, "--json", "--plot", target)[0] == 0
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 30_000


def test_compare_plot(tmp_path, scenarios, capsys):
    target = tmp_path / "cmp.svg"
    code, out, err = cli(capsys, "compare", *scenarios, "--runs", 2000, "--plot", target)
    assert code == 0, err
    assert "verdicts:" in out
    svg = target.read_text(encoding="utf-8")
    for text in ("base vs pushier", "reach war", "percentage points", "pushier - base",
                 "not forecasts"):
        assert text in svg, text


@pytest.mark.parametrize("command", ["run", "compare"])
def test_unknown_extension_exits_2_before_simulating(tmp_path, scenarios, capsys, command):
    inputs = scenarios[:1] if command == "run" else scenarios
    code, out, err = cli(capsys, command, *inputs, "--plot", tmp_path / "x.pdf")
    assert code == 2 and out == ""
    assert "--plot" in err and "unknown extension '.pdf'; use .png or .svg" in err
    code, _, err = cli(capsys, command, *inputs, "--plot", tmp_path / "nowhere" / "x.png")
    assert code == 2 and "does not exist" in err


def test_missing_matplotlib_says_how_to_install(tmp_path, scenarios, capsys, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` fails
    code, _, err = cli(capsys, "run", scenarios[0], "--plot", tmp_path / "x.png")
    assert code == 2
    assert err.strip() == "ladder: error: --plot needs matplotlib: pip install -e '.[plots]'"
    assert not (tmp_path / "x.png").exists()


def test_run_view_from_folder_equals_from_result(tmp_path, scenarios, capsys):
    assert cli(capsys, "run", scenarios[0], "--runs", 300, "--out", tmp_path / "res")[0] == 0
    result = sim.run(sim.load_scenario(scenarios[0]), runs=300)
    fresh, read = RunView.from_result(result), RunView.from_folder(tmp_path / "res")
    assert read.stages == fresh.stages == ["calm", "tense", "war"]
    assert (read.occupancy.to_numpy() == pytest.approx(fresh.occupancy.to_numpy()))
    assert (read.incidence.to_numpy() == pytest.approx(fresh.incidence.to_numpy()))
    assert list(read.tension.columns) == list(fresh.tension.columns)
    assert read.tension.to_numpy() == pytest.approx(fresh.tension.to_numpy())
    assert read.thresholds == fresh.thresholds == {"calm": 1, "tense": 2}  # the ladder's `up`


def test_run_view_from_a_folder_that_is_not_one(tmp_path):
    with pytest.raises(sim.InputError, match="not a results folder .no manifest.json"):
        RunView.from_folder(tmp_path)


def luminance(colour) -> float:
    r, g, b = colour[:3]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.fixture
def views(scenarios):
    from sim.analyses.compare import compare
    from sim.analyses.variants import load_variants
    from sim.present.plots import view_of

    variants = load_variants([str(s) for s in scenarios], runs=400)
    return [view_of(v) for v in variants], compare([v.outcomes for v in variants])


def test_figures_read_as_a_ladder_with_bands_thresholds_and_zero_based_axes(views):
    from matplotlib.collections import PolyCollection

    from sim.present.plots import compare_figure, run_figure, stage_colours

    colours = stage_colours(["a", "b", "c", "d", "e", "f"])
    lum = [luminance(c) for c in colours.values()]
    assert lum == sorted(lum, reverse=True) and len(set(lum)) == 6  # darker with each rung
    (view, _), report = views
    assert view.thresholds == {"calm": 1, "tense": 2}
    reach, incidence, occupancy, tension = run_figure(view).axes[:4]
    for ax in (reach, incidence, occupancy):
        assert ax.get_ylim()[0] == 0, ax.get_title()
    # tension starts at 0 unless it goes below (this walker's can: calm_down is -1)
    assert tension.get_ylim()[0] == min(0, view.tension.min(axis=None)) < 0
    # one Wilson band per stage on the incidence panel, each containing its curve
    bands = [c for c in incidence.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 3
    war = bands[2].get_paths()[0].vertices[:, 1]
    assert war.min() >= 0 and war.max() <= 100 and war.max() > 0
    # each stage's `up` threshold is a dashed, labelled line on the tension panel
    ups = {line.get_gid(): line for line in tension.lines if (line.get_gid() or "")
           .startswith("up-")}
    assert sorted(ups) == ["up-calm", "up-tense"]
    assert ups["up-tense"].get_linestyle() == "--" and ups["up-tense"].get_ydata()[0] == 2
    assert {t.get_text() for t in tension.texts} >= {"calm up 1", "tense up 2"}
    # the comparison: the tension (and every share) axis starts at 0 too; bands per variant
    axes = compare_figure(list(views[0]), report).axes
    assert axes[0].get_ylim()[0] == axes[1].get_ylim()[0] == 0
    assert axes[3].get_ylim()[0] == min(0, *(v.tension["mean"].min() for v in views[0]))
    assert len([c for c in axes[1].collections if isinstance(c, PolyCollection)]) == 6


def test_comparison_tension_axis_of_the_bundled_pair_starts_at_zero():
    from sim.analyses.compare import compare
    from sim.analyses.variants import load_variants
    from sim.present.plots import compare_figure, view_of

    variants = load_variants([str(ROOT / "scenarios" / f"{n}.yaml")
                              for n in ("belarus-poland-2024", "checkpoint-opened")], runs=200)
    tension = compare_figure([view_of(v) for v in variants],
                             compare([v.outcomes for v in variants])).axes[3]
    assert tension.get_ylim()[0] == 0  # it started at 3.2, the lowest mean
    assert tension.get_ylim()[1] > 12  # up to the highest threshold (mp_crisis up 12)
