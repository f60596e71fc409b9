"""`ladder explain`: pathways, drivers, off-ramps, what must be true, narratives."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analyses import pathways as pw
from sim.analyses.drivers import drivers
from sim.analyses.explain import PARTS, explain, simulate
from sim.cli import main
from sim.cli.explain import PARTS as CLI_PARTS
from tests.helpers import ROOT

SEED = str(ROOT / "scenarios" / "belarus-poland-2024.yaml")
LADDER = pw.Ladders("main", ("a", "b", "c", "d"), "a")


def moves(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["run", "step", "ladder", "from", "to", "cause", "by"])


TABLE = moves([
    (0, 2, "main", "a", "b", "trigger", "x.push"),
    (0, 3, "main", "b", "a", "threshold down", ""),
    (0, 5, "main", "a", "b", "threshold up", ""),  # back to b: not a new peak
    (0, 7, "main", "b", "c", "event", "Talks fail"),
    (1, 1, "main", "a", "b", "trigger", "x.push"),
    (1, 4, "other", "p", "q", "trigger", "y.go"),  # another ladder
    (2, 1, "main", "a", "b", "trigger", "x.push"),
    (2, 2, "main", "b", "c", "event", "Talks fail"),
    (2, 9, "main", "c", "d", "accident", "A clash"),
])


def test_a_pathway_is_the_moves_to_new_peaks_with_their_causes():
    peaks = pw.new_peaks(TABLE, LADDER)
    assert peaks[["run", "step", "to"]].values.tolist() == [
        [0, 2, "b"], [0, 7, "c"], [1, 1, "b"], [2, 1, "b"], [2, 2, "c"], [2, 9, "d"]]
    paths = pw.run_pathways(peaks, 4)
    assert paths.tolist() == [
        "b by trigger x.push > c by event Talks fail", "b by trigger x.push",
        "b by trigger x.push > c by event Talks fail > d by accident A clash", ""]
    cut = pw.run_pathways(peaks, 4, stop_at="c", stages=LADDER.stages)
    assert cut[2] == "b by trigger x.push > c by event Talks fail"


def test_top_pathways_count_shares_with_intervals_and_the_rest():
    paths = np.array(["p", "p", "q", "", "p"], dtype=object)
    top = pw.top_pathways(paths, np.ones(5, bool), top=1, empty="stays at a")
    assert top["pathways"][0]["path"] == "p" and top["pathways"][0]["runs"] == 3
    share = top["pathways"][0]["share"]
    assert share["p"] == pytest.approx(0.6) and share["lo"] < 0.6 < share["hi"]
    assert top["other"]["runs"] == 2 and top["distinct"] == 3
    listed = pw.top_pathways(paths, np.ones(5, bool), top=5, empty="stays at a")["pathways"]
    assert [p["path"] for p in listed] == ["p", "stays at a", "q"]  # ties by text


def test_flows_link_each_new_peak_to_the_stage_reached_before():
    links = pw.flows(pw.new_peaks(TABLE, LADDER), LADDER, 4)
    got = {(f["from"], f["to"], f["cause"], f["runs"]) for f in links}
    assert got == {("a", "b", "trigger", 3), ("b", "c", "event", 2), ("c", "d", "accident", 1)}


def test_drivers_rank_what_differs_and_list_what_does_not_vary():
    rng = np.random.default_rng(1)
    n = 400
    reached = np.arange(n) < 100
    runs = pd.DataFrame({"steps": np.full(n, 10), "x.push": np.where(reached, 8, 2),
                         "x.wait": rng.integers(0, 10, n), "x.never": np.zeros(n),
                         "drawn:decay": rng.uniform(0, 1, n) + 0.5 * reached})
    runs.loc[0, "x.push"] = 7  # some spread inside each group
    runs.loc[n - 1, "x.push"] = 3
    cols = [("x.push", "action"), ("x.wait", "action"), ("x.never", "action"),
            ("drawn:decay", "drawn")]
    d = drivers(runs, reached, cols)
    names = [r["name"] for r in d["rows"]]
    assert names[:2] == ["x.push", "decay"] and d["constant"] == ["x.never"]
    push = d["rows"][0]
    assert push["mean_reached"] == pytest.approx(0.799) and push["mean_not"] == pytest.approx(
        0.20033, abs=1e-4)  # rates per step
    decay = d["rows"][1]
    assert decay["lo"] < 0.5 < decay["hi"] and decay["d_lo"] > 0
    wait = d["rows"][2]
    assert wait["d_lo"] < 0 < wait["d_hi"]  # no difference: its interval covers 0


@pytest.fixture(scope="module")
def seed_explained():
    inputs = simulate(sim.load_scenario(SEED), 1000, 7)
    return inputs, explain(inputs, fork_runs=24, positions=1)


def test_the_seed_explained_has_every_part(seed_explained):
    inputs, e = seed_explained
    assert PARTS == CLI_PARTS
    assert set(PARTS) <= set(e)
    assert e["outcome"]["ladder"] == "belarus" and e["outcome"]["stage"] == "mp_crisis"
    runs = inputs.runs
    reached = (runs["peak"].cat.codes >= runs["peak"].cat.categories.get_loc("mp_crisis"))
    assert e["outcome"]["reached"] == int(reached.sum())
    to = e["pathways"]["to_outcome"]
    assert to["runs"] == int(reached.sum())
    assert sum(p["runs"] for p in to["pathways"]) + to["other"]["runs"] == to["runs"]
    assert all(p["steps"][-1]["to"] == "mp_crisis" for p in to["pathways"])
    top = to["pathways"][0]["steps"]
    assert [(s["to"], s["cause"], s["by"]) for s in top][-1] == (
        "mp_crisis", "trigger", "minsk.declare_mp_crisis")
    assert sum(p["runs"] for p in e["pathways"]["all"]["pathways"]) + e["pathways"]["all"][
        "other"]["runs"] == 1000
    kinds = {r["kind"] for r in e["drivers"]["rows"]}
    assert kinds == {"action", "drawn"}


def test_offramps_pair_each_legal_move_with_the_base(seed_explained):
    _, e = seed_explained
    stages = {s["stage"]: s for s in e["offramps"]["stages"]}
    assert list(stages) == ["hybrid_pressure", "border_incident"]
    at = {(m["actor"], m["action"]): m for m in stages["border_incident"]["moves"]}
    # declaring the crisis at border_incident is the trigger to mp_crisis: every fork reaches it
    declare = at[("minsk", "declare_mp_crisis")]
    assert declare["p_move"] == 1.0 and declare["lo"] > 0 and declare["pairs"] == 24
    assert ("migrant_groups", "attempt_crossing") not in at  # a population is not forced
    # only actions allowed there are legal: use_force is allowed at mp_crisis and above
    assert ("minsk", "use_force") not in at
    for m in at.values():
        assert m["lo"] <= m["diff"] <= m["hi"]
        assert m["p_move"] - m["p_base"] == pytest.approx(m["diff"])


def test_offramp_positions_are_rows_of_the_ensemble(seed_explained):
    inputs, e = seed_explained
    stages = {s["stage"]: s for s in e["offramps"]["stages"]}
    pos = stages["border_incident"]["positions"][0]
    assert pos["date"] is not None and pos["step"] >= 1
    row = inputs.runs[inputs.runs["run"] == pos["run"]].iloc[0]
    assert row["first_border_incident"] == pos["step"]  # it entered the stage then
    assert [p["step"] for p in stages["hybrid_pressure"]["positions"]] == [0]


def test_narratives_tell_a_run_of_each_class_that_ends_where_its_row_does(seed_explained):
    inputs, e = seed_explained
    runs = inputs.runs
    classes = [n["class"] for n in e["narratives"]]
    assert classes == [s for s in inputs.scenario.ladder.stage_ids
                       if (runs["peak"] == s).any()]
    for n in e["narratives"]:
        row = runs[runs["run"] == n["run"]].iloc[0]
        assert row["peak"] == n["class"]
        ladder = inputs.scenario.ladder
        final = ladder.stages[ladder.index(row["final"])].name
        assert final in n["story"][-1], (n["story"][-1], final)
        assert n["story"][-1].startswith("2024-") and f"(step {row['steps']})" in n["story"][-1]


def test_must_be_true_names_moscows_key(seed_explained):
    _, e = seed_explained
    entry = next(x for x in e["must_be_true"] if x["ladder"] == "belarus")
    last = entry["chains"][0][-1]["ways"]
    assert any(w["kind"] == "joint decision" and w["requires"] == "russia.authorise_release"
               for w in last)


def test_the_cli_prints_text_and_json_and_is_reproducible(capsys):
    args = ["explain", SEED, "--runs", "600", "--seed", "3", "--parts", "pathways,drivers"]
    assert main(args + ["--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(args + ["--json", "--jobs", "2"]) == 0
    assert json.loads(capsys.readouterr().out) == first
    assert set(first) >= {"pathways", "drivers"} and "offramps" not in first
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Pathways to mp_crisis on belarus" in out and "Drivers of mp_crisis" in out


def test_an_outcome_on_a_coupled_ladder(capsys):
    assert main(["explain", SEED, "--runs", "600", "--outcome", "nato:article_4",
                 "--parts", "pathways", "--json"]) == 0
    e = json.loads(capsys.readouterr().out)
    assert e["outcome"]["ladder"] == "nato"
    assert all(p["steps"][-1]["to"] == "article_4"
               for p in e["pathways"]["to_outcome"]["pathways"])


@pytest.mark.parametrize("args, message", [
    (["--outcome", "natoo:article_4"], "unknown ladder 'natoo'; did you mean 'nato'?"),
    (["--outcome", "mp_crisiss"], "belarus has no stage 'mp_crisiss'; did you mean 'mp_crisis'?"),
    (["--parts", "pathway"], "unknown part 'pathway'; did you mean 'pathways'?"),
])
def test_bad_options_are_refused_clearly(capsys, args, message):
    assert main(["explain", SEED, "--runs", "200", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_results_folder_gives_the_same_pathways(tmp_path, capsys):
    folder = tmp_path / "res"
    assert main(["run", SEED, "--runs", "400", "--seed", "5", "--out", str(folder)]) == 0
    capsys.readouterr()
    assert main(["explain", str(folder), "--parts", "pathways,drivers,narratives",
                 "--json"]) == 0
    from_folder = json.loads(capsys.readouterr().out)
    assert main(["explain", SEED, "--runs", "400", "--seed", "5", "--parts",
                 "pathways,drivers,narratives", "--json"]) == 0
    fresh = json.loads(capsys.readouterr().out)
    for part in ("pathways", "drivers", "narratives"):
        assert from_folder[part] == fresh[part], part
    assert main(["explain", str(folder), "--runs", "10"]) == 2
    assert "a results folder's runs are already made" in capsys.readouterr().err


def test_the_report_has_the_section_with_the_flow_diagram(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "r.html"
    assert main(["report", SEED, "--runs", "300", "--out", str(out)]) == 0
    html = out.read_text()
    assert '<section id="explain">' in html and "Why runs escalate" in html
    section = html[html.index('<section id="explain">'):]
    assert "<svg" in section and "How the 300 runs rose on belarus" in section
    assert "Narratives" in section and "What must be true" in section
    assert main(["report", SEED, "--runs", "100", "--no-explain", "--out", str(out)]) == 0
    assert '<section id="explain">' not in out.read_text()


def test_without_the_scenario_the_drivers_read_the_same_columns(seed_explained):
    from sim.analyses.drivers import driver_columns
    from sim.analyses.explain import _columns

    inputs, _ = seed_explained
    with_file = driver_columns(inputs.scenario, inputs.runs)
    assert sorted(_columns(inputs.runs, inputs.summary)) == sorted(with_file)
    assert any(kind == "drawn" for _, kind in with_file)
