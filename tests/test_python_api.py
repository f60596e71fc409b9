"""The Python API for notebooks and scripts (docs/python.md): tidy frames, the ordered stage
dtype, `sim.load_results` (dtypes round-trip through runs.csv and runs.parquet), short reprs
and HTML, overrides from Python (errors name the override; any weight may be added),
`sim.parameters` and `ladder params`; and the docs/python.md examples run as written."""

from __future__ import annotations

import hashlib
import json
import os
import re
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

import sim
from sim.cli import main
from sim.engine.results import write_results
from sim.format.parameters import rows
from tests.helpers import make_scenario, one_action

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "belarus-poland-2024-tension.yaml"
PYTHON_MD = (ROOT / "docs" / "python.md").read_text(encoding="utf-8")


def cli(capsys, *args) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def result():
    scenario = sim.load_scenario(SCENARIO, {"clock.horizon": 30})
    return sim.run(scenario, runs=1500, seed=3)


# -- tidy frames and the stage dtype -----------------------------------------------------------

def test_summary_frame_is_tidy(result):
    frame = result.summary_frame()
    stages = result.summary["stages"]
    assert frame.columns.tolist() == ["ladder", "stage", "measure", "p", "lo", "hi", "n"]
    assert len(frame) == 2 * len(stages)
    assert frame.stage.dtype == pd.CategoricalDtype(stages, ordered=True)
    assert set(frame.ladder) == {"belarus-2024-tension"} and (frame.n == 1500).all()
    for row in frame.itertuples():
        entry = result.summary[row.measure][row.stage]
        assert (row.p, row.lo, row.hi) == (entry["p"], entry["lo"], entry["hi"])
    final = frame[frame.measure == "final"]
    assert final.p.sum() == pytest.approx(1)


def test_long_frames(result):
    for frame, wide in ((result.occupancy_frame(), result.occupancy),
                        (result.incidence_frame(), result.incidence)):
        assert frame.columns.tolist() == ["ladder", "step", "stage", "share"]
        assert len(frame) == wide.size
        back = frame.pivot(index="step", columns="stage", values="share")
        assert back.to_numpy().tolist() == wide.to_numpy().tolist()
        assert frame.stage.dtype.ordered


def test_stage_columns_sort_in_ladder_order(result):
    runs = result.runs
    stages = result.summary["stages"]
    for column in ("peak", "final"):
        assert runs[column].dtype == pd.CategoricalDtype(stages, ordered=True)
    assert runs.peak.sort_values().iloc[-1] == runs.peak.max()
    assert (runs.peak >= "mp_crisis").mean() == pytest.approx(
        result.summary["reach"]["mp_crisis"]["p"], abs=1e-9)
    assert runs.peak.value_counts(sort=False).index.tolist() == stages


def test_runs_csv_text_is_unchanged_by_the_dtype(result):
    """The categorical writes the same text as the strings did."""
    text = result.runs.to_csv(index=False)
    plain = result.runs.astype({"peak": str, "final": str}).to_csv(index=False)
    assert text == plain


# -- load_results --------------------------------------------------------------------------------

@pytest.mark.parametrize("table", ["csv", "parquet"])
def test_load_results_round_trips_dtypes(result, tmp_path, table):
    if table == "parquet":
        pytest.importorskip("pyarrow")
    write_results(result, tmp_path / "out")
    loaded = sim.load_results(tmp_path / "out", table=table)
    assert isinstance(loaded, sim.LoadedResults) and loaded.table == f"runs.{table}"
    assert_frame_equal(loaded.runs, result.runs, check_exact=True)
    assert (loaded.runs.dtypes == result.runs.dtypes).all()
    assert loaded.runs.first_mp_crisis.dtype == "Int64"
    assert_frame_equal(loaded.occupancy, result.occupancy, check_exact=True,
                       check_index_type=True)
    assert_frame_equal(loaded.incidence, result.incidence, check_exact=True)
    assert_series_equal(loaded.mean_tension, result.mean_tension, check_exact=True)
    assert_frame_equal(loaded.tension_bands, result.tension_bands, check_exact=True)
    assert_frame_equal(loaded.summary_frame(), result.summary_frame(), check_exact=True)
    assert_frame_equal(loaded.incidence_frame(), result.incidence_frame(), check_exact=True)
    assert loaded.summary == json.loads(json.dumps(result.summary))
    assert (loaded.partial, loaded.planned) == (False, 1500)


@pytest.mark.parametrize("table", ["csv", "parquet"])
def test_load_results_reads_the_moves_back(tmp_path, table):
    if table == "parquet":
        pytest.importorskip("pyarrow")
    scenario = sim.load_scenario(ROOT / "scenarios" / "belarus-poland-2024.yaml",
                                 {"clock.horizon": 60})
    result = sim.run(scenario, runs=300, seed=5)
    write_results(result, tmp_path / "out")
    loaded = sim.load_results(tmp_path / "out", table=table)
    assert_frame_equal(loaded.moves, result.moves, check_exact=True)
    assert set(loaded.moves.ladder) == {"belarus", "nato", "russia"}
    assert (loaded.moves.by == "").any() and loaded.moves.by.notna().all()  # thresholds
    if table == "parquet":
        assert_frame_equal(pd.read_parquet(tmp_path / "out" / "moves.parquet"), result.moves)


def test_load_results_of_a_folder_without_moves(result, tmp_path):
    """A run with no move at all reads back as an empty table; a folder written before
    moves were kept (its manifest lists no moves file) as None."""
    stages = [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]
    quiet = sim.run(make_scenario(tmp_path, stages, {"x": one_action()}), runs=5, seed=1)
    write_results(quiet, tmp_path / "quiet")
    empty = sim.load_results(tmp_path / "quiet", table="csv").moves
    assert len(quiet.moves) == 0 and empty is not None
    assert_frame_equal(empty, quiet.moves, check_exact=True)
    out = tmp_path / "old"
    write_results(result, out)
    manifest = json.loads((out / "manifest.json").read_text())
    for name in ("moves.csv", "moves.parquet"):
        manifest["files"].pop(name, None)
        (out / name).unlink(missing_ok=True)
    (out / "manifest.json").write_text(json.dumps(manifest))
    old = sim.load_results(out)
    assert old.moves is None
    assert_frame_equal(old.runs, result.runs, check_exact=True)


def test_load_results_refuses_moves_of_unknown_stages(result, tmp_path):
    out = tmp_path / "out"
    write_results(result, out)
    text = (out / "moves.csv").read_text().replace(",hybrid_pressure,", ",nowhere,", 1)
    (out / "moves.csv").write_text(text)
    manifest = json.loads((out / "manifest.json").read_text())
    data = (out / "moves.csv").read_bytes()
    manifest["files"]["moves.csv"] = {"bytes": len(data),
                                      "sha256": hashlib.sha256(data).hexdigest()}
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(sim.InputError, match="names a stage it does not have"):
        sim.load_results(out, table="csv")


def test_load_results_from_the_cli_folder(tmp_path, capsys):
    code, _, err = cli(capsys, "run", SCENARIO, "--runs", 200, "--horizon", 10, "--out",
                       tmp_path / "r")
    assert code == 0, err
    loaded = sim.load_results(tmp_path / "r")
    assert loaded.runs.peak.dtype.ordered and len(loaded.runs) == 200


def test_load_results_refuses_an_incomplete_folder(result, tmp_path):
    write_results(result, tmp_path / "out")
    with open(tmp_path / "out" / "occupancy.csv", "a", encoding="utf-8") as handle:
        handle.write("x")
    with pytest.raises(sim.InputError, match="incomplete results folder"):
        sim.load_results(tmp_path / "out")
    with pytest.raises(sim.InputError, match="table must be one of"):
        sim.load_results(tmp_path / "out", table="xlsx")


def test_load_results_without_runs(tmp_path):
    r = sim.run(sim.load_scenario(SCENARIO, {"clock.horizon": 5}), runs=50, seed=1,
                keep_runs=False)
    write_results(r, tmp_path / "out")
    assert sim.load_results(tmp_path / "out").runs is None
    with pytest.raises(sim.InputError, match="no runs.csv"):
        sim.load_results(tmp_path / "out", table="csv")


# -- repr and HTML -------------------------------------------------------------------------------

def test_reprs_are_short(result):
    text = repr(result)
    assert text == ("<RunResult belarus-poland-2024-tension: 1,500 runs, seed 3, "
                    "ladder belarus-2024-tension "
                    "(6 stages), horizon 30 days>")
    assert repr(result.scenario).startswith(
        "<Scenario belarus-poland-2024-tension: ladder belarus-2024-tension")
    assert "1 override>" in repr(result.scenario)
    assert repr(result.scenario.ladder) == ("<Ladder belarus-2024-tension: 6 stages, peacetime .. "
                                            "nuclear_use, 2 absorbing>")
    assert len(repr(result.scenario)) < 200


def test_html_is_a_compact_escaped_table(result):
    page = result._repr_html_()
    assert page.startswith("<table>") and page.count("<tr>") == 1 + 6
    assert "n = 1,500 runs" in page and "P(reach) [95% CI]" in page
    entry = result.summary["reach"]["border_incident"]
    assert f"{100 * entry['p']:.1f}% [{100 * entry['lo']:.1f}, {100 * entry['hi']:.1f}]" in page
    odd = dict(result.summary, scenario="<b>&x")
    from sim.engine.frames import result_html
    assert "&lt;b&gt;&amp;x" in result_html("RunResult", odd, True)
    assert "<b>" not in result_html("RunResult", odd, True)
    assert "partial" in result_html("RunResult", odd, True)
    scenario_page = result.scenario._repr_html_()
    assert "<td>minsk</td>" in scenario_page and "push_migrants" in scenario_page


# -- overrides from Python -----------------------------------------------------------------------

def test_override_errors_name_the_override_not_a_flag(capsys):
    with pytest.raises(sim.ValidationError) as caught:
        sim.load_scenario(SCENARIO, {"tension.dacay": 1})
    assert "override tension.dacay: no key 'dacay'" in str(caught.value)
    assert "--set" not in str(caught.value)
    with pytest.raises(sim.ValidationError, match="--set tension.dacay"):
        sim.load_scenario(SCENARIO, {"tension.dacay": 1}, source="--set")
    code, _, err = cli(capsys, "run", SCENARIO, "--runs", 10, "--set", "tension.dacay=1")
    assert code == 2 and "--set tension.dacay: no key 'dacay'" in err


@pytest.mark.parametrize("command", ["run", "exact", "params"])
def test_a_bad_horizon_names_the_flag(command, capsys):
    target = ROOT / "scenarios" / "examples" / "gamblers-ruin.yaml"
    code, out, err = cli(capsys, command, target, "--horizon", 0)
    assert code == 2 and out == ""
    assert ": --horizon: expected an integer from 1 to" in err
    assert "clock.horizon" in err and ".yaml:" not in err.split("--horizon")[0][-6:]


def _bare(tmp_path: Path, policy: str, action: str = "act: {effect: 1}") -> Path:
    """A small scenario in its own folder `tmp_path` with the policy given."""
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "ladders").mkdir(exist_ok=True)
    (tmp_path / "ladders" / "l.yaml").write_text(textwrap.dedent("""\
        id: l
        title: L
        stages:
          - {id: a, name: A, level: 0, up: 2}
          - {id: b, name: B, level: 1, down: 1, up: 4}
          - {id: c, name: C, level: 2, absorbing: true}
        """), encoding="utf-8")
    path = tmp_path / "s.yaml"
    head = textwrap.dedent("""\
        id: s
        title: S
        ladder: l
        start: a
        clock: {step: day, horizon: 20}
        tension: {decay: 0.9}
        actors:
          x:
            kind: state
            actions:
        """)
    path.write_text(head + f"      {action}\n      calm: {{effect: -1}}\n    policy:\n"
                    + textwrap.indent(policy, "      ") + "\n", encoding="utf-8")
    return path


def test_set_adds_a_per_stage_weight_without_stages(tmp_path):
    """A policy with no `stages:` (or no entry for the stage) takes a per-stage weight: the
    same numbers as the file written with it."""
    bare = _bare(tmp_path, "weights: {act: 1, calm: 1}")
    added = sim.load_scenario(bare, {"actors.x.policy.stages.b.act": 3})
    written = _bare(tmp_path / "w", "weights: {act: 1, calm: 1}\nstages:\n  b: {act: 3}")
    a = sim.run(added, runs=400, seed=2, keep_runs=False).summary
    b = sim.run(sim.load_scenario(written), runs=400, seed=2, keep_runs=False).summary
    assert a["reach"] == b["reach"] and a["final"] == b["final"]
    one = _bare(tmp_path / "v", "weights: {act: 1, calm: 1}\nstages:\n  a: {act: 2}")
    s = sim.load_scenario(one, {"actors.x.policy.stages.b.calm": 0.5})
    assert s.actor("x").policy.stages["b"] == {"calm": 0.5}
    assert s.actor("x").policy.stages["a"] == {"act": 2}


def test_set_adds_an_effect_to_an_action_written_without_a_value(tmp_path):
    path = _bare(tmp_path, "weights: {act: 1, calm: 1}", action="act:")
    s = sim.load_scenario(path, {"actors.x.actions.act.effect": 0.5})
    assert next(a for a in s.actor("x").actions if a.id == "act").effect == 0.5
    with pytest.raises(sim.ValidationError, match="override actors.x.actions.nope.effect"):
        sim.load_scenario(path, {"actors.x.actions.nope.effect": 0.5})


def test_a_new_stage_entry_for_an_unknown_stage_is_an_error(tmp_path):
    path = _bare(tmp_path, "weights: {act: 1, calm: 1}")
    with pytest.raises(sim.ValidationError, match="'bb'"):
        sim.load_scenario(path, {"actors.x.policy.stages.bb.act": 1})


# -- parameters ----------------------------------------------------------------------------------

def test_parameters_lists_what_set_and_vary_accept():
    params = sim.parameters(SCENARIO)
    assert params.columns.tolist() == ["path", "value", "kind", "form", "range", "in_file",
                                       "event"]
    by_path = params.set_index("path")
    assert by_path.loc["tension.decay", "value"] == "0.9"
    assert by_path.loc["tension.decay", "range"] == "[0, 1]"
    assert by_path.loc["clock.horizon", "kind"] == "integer"
    assert by_path.loc["actors.migrant_groups.count", "form"] == "distribution"
    assert by_path.loc["actors.minsk.actions.push_migrants.effect.uniform.1", "kind"] == "bounds"
    added = by_path.loc["actors.minsk.policy.stages.hybrid_pressure.push_migrants"]
    assert not added.in_file and added.value == "6" and added.kind == "weight"
    assert params.path.is_unique
    # every listed path is one an override takes: try each at its current value
    for row in params.itertuples():
        if row.kind in ("bounds", "parameter"):
            continue
        sim.load_scenario(SCENARIO, {row.path: json.loads(row.value)})


def test_parameters_of_a_loaded_scenario_show_its_overrides():
    s = sim.load_scenario(SCENARIO, {"tension.decay": 0.8,
                                     "actors.russia.policy.stages.peacetime.back_minsk": 2})
    by_path = sim.parameters(s).set_index("path")
    assert by_path.loc["tension.decay", "value"] == "0.8"
    assert by_path.loc["actors.russia.policy.stages.peacetime.back_minsk", "in_file"]


def test_parameters_agree_with_event_rules():
    by_path = {r["path"]: r for r in rows(SCENARIO)}
    assert by_path["tension.decay"]["event"] and not by_path["tension.initial"]["event"]
    assert by_path["actors.minsk.policy.weights.restrain"]["event"]


def test_ladder_params(capsys):
    code, out, err = cli(capsys, "params", SCENARIO)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["path", "value", "kind", "range", "in", "file", "event"]
    assert any(re.match(r"tension\.decay\s+0\.9\s+number\s+\[0, 1\]\s+yes\s+yes$", x)
               for x in lines)
    assert "may add" in out and "parameters:" in err
    code, out, _ = cli(capsys, "params", SCENARIO, "--json", "--in-file", "--set",
                       "tension.decay=0.7")
    data = json.loads(out)
    assert all(d["in_file"] for d in data)
    assert next(d for d in data if d["path"] == "tension.decay")["value"] == 0.7
    code, _, err = cli(capsys, "params", SCENARIO, "--set", "tension.dacay=1")
    assert code == 2 and "--set tension.dacay" in err


# -- docs/python.md runs as written --------------------------------------------------------------

SECTIONS = ("Loading and running", "Overrides from Python", "Tables for notebooks",
            "Results folders: `sim.load_results`", "Parameters: `sim.parameters` and "
                                                    "`ladder params`")


def _section(title: str) -> str:
    start = PYTHON_MD.index(f"\n## {title}\n")
    end = PYTHON_MD.find("\n## ", start + 1)
    return PYTHON_MD[start:end if end != -1 else None]


def test_python_md_examples_run(tmp_path, capsys, monkeypatch):
    """The python and bash blocks of the sections above, in order, in one namespace (a bash
    block is a `ladder` command run in this process), with the runs cut for speed."""
    monkeypatch.chdir(tmp_path)
    os.symlink(ROOT / "scenarios", tmp_path / "scenarios")
    os.symlink(ROOT / "ladders", tmp_path / "ladders")
    namespace: dict = {}
    for title in SECTIONS:
        for lang, code in re.findall(r"```(python|bash)\n(.*?)```", _section(title), re.S):
            code = code.replace("runs=20_000", "runs=1000")
            if lang == "bash":
                for line in code.strip().splitlines():
                    args = line.split()
                    assert args[0] == "ladder"
                    assert cli(capsys, *args[1:])[0] == 0
                continue
            exec(compile(code, f"docs/python.md ({title})", "exec"), namespace)  # noqa: S102
    assert isinstance(namespace["loaded"], sim.LoadedResults)
    assert namespace["frame"].columns.tolist() == ["ladder", "stage", "measure", "p", "lo",
                                                   "hi", "n"]
    assert "tension.decay" in set(namespace["params"].path)
