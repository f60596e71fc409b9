"""The historical replay (sim/analyses/history.py, docs/validation.md): the mapping covers
every dated event of the replay file, the doc's tables are the code's output, and a fresh small
run gives the doc's coverage figure within a tolerance."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.analyses import history
from sim.format.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(history.REPLAY)


@pytest.fixture(scope="module")
def small():
    return history.replay(runs=300, seed=3)


def doc_rows() -> list[list[str]]:
    """The monthly table of the doc, as cells."""
    rows = re.findall(r"^\| (20\d\d-\d\d) \|(.*)\|$", DOC, re.M)
    return [[month, *(c.strip() for c in rest.split("|"))] for month, rest in rows]


def test_every_dated_event_of_the_file_is_mapped_on_its_date(scenario):
    assert history.check_mapping(scenario) == []
    dated = history.modelled_events(scenario)
    assert len(dated) == sum(m.modelled for m in history.TIMELINE) == 15
    assert all(e.stage is None for e in scenario.events if e.at is not None)  # nothing forced


def test_the_mapping_uses_stages_of_the_ladder(scenario):
    ids = scenario.ladder.stage_ids
    assert all(m.stage in ids for m in history.TIMELINE if m.stage is not None)
    assert history.START.stage == scenario.start


def test_the_historical_path_by_month(small):
    table = small.table.set_index("month")
    assert len(table) == 38
    assert table.loc["2021-05", "history"] == "hybrid_pressure"   # from 26 May
    assert table.loc["2021-11", "history"] == "border_incident"
    assert table.loc["2021-12", "history"] == "hybrid_pressure"
    assert table.loc["2024-05", "history"] == "border_incident"   # from 28 May
    incident_months = list(table.index[table.history == "border_incident"])
    assert incident_months == ["2021-11", "2024-05", "2024-06"]


def test_the_doc_shows_the_mapping_and_the_months_of_the_code(small):
    assert history.mapping_markdown() in DOC
    rows = doc_rows()
    short = {"peace": "peacetime", "hybrid": "hybrid_pressure", "incident": "border_incident"}
    assert [r[0] for r in rows] == list(small.table.month)
    assert [short[r[1]] for r in rows] == list(small.table.history)


def test_a_fresh_run_gives_the_doc_coverage_within_tolerance(small):
    m = re.search(r"inside the band: (\d+) of (\d+) months \((\d+)%\)", DOC)
    assert m, "docs/validation.md has no coverage line"
    inside, months = int(m[1]), int(m[2])
    assert months == len(small.table)
    # 300 runs instead of 2,000: a band edge may move in a month or three
    assert abs(small.coverage - inside / months) <= 0.1
    doc_verdicts = [r[3] for r in doc_rows()]
    agree = sum(a == b for a, b in zip(doc_verdicts, small.table.verdict, strict=True))
    assert agree >= months - 4


def test_the_band_and_shares_are_consistent(small):
    order = {s: i for i, s in enumerate(small.result.scenario.ladder.stage_ids)}
    for r in small.table.itertuples():
        assert order[r.p10] <= order[r.p50] <= order[r.p90]
        assert 0 <= r.crisis_share <= r.incident_share <= 1
        assert r.inside == (order[r.p10] <= order[r.history] <= order[r.p90])


def test_the_entry_point_runs(capsys):
    assert history.main(["--mapping"]) == 0
    assert capsys.readouterr().out.strip() == history.mapping_markdown()
    assert history.main(["--runs", "40", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "inside the band:" in out and "| 2024-06 |" in out and "P(reach) by 2024-06-30" in out


def test_the_sensitivity_variant_in_the_doc_loads(tmp_path):
    """The `extends` file shown in docs/validation.md is a valid variant of the replay."""
    import shutil

    block = re.search(r"```yaml\n(# scenarios/history/levels-everywhere\.yaml.*?)```", DOC, re.S)
    assert block, "docs/validation.md no longer shows the levels-everywhere variant"
    shutil.copytree(ROOT / "ladders", tmp_path / "ladders")
    (tmp_path / "scenarios" / "history").mkdir(parents=True)
    shutil.copy(ROOT / "scenarios" / "belarus-poland-2024-tension.yaml", tmp_path / "scenarios")
    shutil.copy(history.REPLAY, tmp_path / "scenarios" / "history")
    path = tmp_path / "scenarios" / "history" / "levels-everywhere.yaml"
    path.write_text(block.group(1), encoding="utf-8")
    variant = load_scenario(path)
    base = load_scenario(history.REPLAY)
    (camp,) = [e for e in variant.events if e.name == "Camp cleared; repatriation flights"]
    assert camp.set["actors.minsk.policy.stages.border_incident.push_migrants"] == 3
    assert len(variant.events) == len(base.events)
