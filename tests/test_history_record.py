"""The history record (scenarios/history/record-2021-2024.yaml) and its replay
(scenarios/history/seed-2021-2024.yaml): the record loads, its months run without a gap to
June 2024 with a source each, its counts are the documented ones and nothing past the sources
is given; its inputs and the replay's events agree both ways; the loader names file, line and
field for each problem; and `ladder validate`, `ladder list` and `ladder run` treat the
record as data, not as a scenario.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from sim.cli import main
from sim.errors import ValidationError
from sim.format.history_record import BASES, READINGS, Record, load_record
from sim.format.library import bundled_scenarios, catalog
from sim.format.scenario import Scenario, load_scenario
from tests.helpers import ROOT

HISTORY = ROOT / "scenarios" / "history"
RECORD = HISTORY / "record-2021-2024.yaml"
REPLAY = HISTORY / "seed-2021-2024.yaml"
SEED = ROOT / "scenarios" / "belarus-poland-2024.yaml"


@pytest.fixture(scope="module")
def record() -> Record:
    return load_record(RECORD)


@pytest.fixture(scope="module")
def replay() -> Scenario:
    return load_scenario(REPLAY)


def _months(first: str, last: str) -> list[str]:
    out, (y, m) = [], (int(first[:4]), int(first[5:]))
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


# -- the bundled record ---------------------------------------------------------------------


def test_the_bundled_record_loads_by_path_and_by_id(record):
    assert record.id == "record-2021-2024" == RECORD.stem
    assert load_record("record-2021-2024").sha256 == record.sha256
    assert record.path == str(RECORD) and len(record.sha256) == 64


def test_the_ladders_are_the_seed_scenarios(record):
    seed = load_scenario(SEED)
    ladders = {seed.key: seed.ladder.id} | {c.key: c.ladder.id for c in seed.coupled}
    assert record.ladders == {k: ladders[k] for k in ("belarus", "nato")}


def test_months_run_without_a_gap_from_may_2021_to_june_2024(record):
    assert [m.month for m in record.months] == _months("2021-05", "2024-06")


def test_every_month_has_a_source_a_stage_and_a_basis_for_each_ladder(record):
    for m in record.months:
        assert m.source.strip() and "docs/sources.md#" in m.source, m.month
        assert set(m.stages) == set(m.basis) == set(record.ladders), m.month
        assert set(m.basis.values()) <= set(BASES)
        assert set(m.observed) == set(record.quantities), m.month
    assert {q.reading for q in record.quantities.values()} <= set(READINGS)


def test_the_documented_counts(record):
    may, april = record.month("2024-05"), record.month("2024-04")
    assert may.observed["crossing_attempts"] == 7500
    assert april.observed["crossing_attempts"] == 3400
    (span,) = [s for s in record.spans if s.quantity == "crossing_attempts"]
    assert (span.first, span.last, span.value) == ("2024-01", "2024-03", 17000 - 3400 - 7500)
    assert may.observed["violent_incidents"] == 1 and may.observed["injuries"] == 1
    assert record.month("2021-11").observed["violent_incidents"] == 1
    june = record.month("2024-06").observed
    assert (june["soldiers_deployed"], june["border_guard_deployed"]) == (6000, 2000)
    # the documented stages: border incidents in November 2021 and May 2024, the Polish
    # measures on their rungs
    assert record.month("2021-11").stages["belarus"] == "border_incident"
    assert record.month("2024-05").stages["belarus"] == "border_incident"
    assert record.month("2021-09").stages["nato"] == "state_of_emergency"
    assert record.month("2023-02").stages["nato"] == "border_closure"
    assert record.month("2024-06").stages["nato"] == "buffer_zone"


def test_nothing_past_the_sources_is_given(record):
    """No month after June 2024; no crossing count before April 2024 (only the span);
    no Polish Article 4 request documented (null, not 0); every number is one the notes
    explain."""
    assert record.months[-1].month == "2024-06"
    for m in record.months:
        if m.month < "2024-04":
            assert m.observed["crossing_attempts"] is None, m.month
        assert m.observed["article_4_requests"] is None, m.month
        given = [k for k, v in m.observed.items() if v is not None]
        for key in given:
            assert key in m.note, (m.month, key)
    assert "none documented" in RECORD.read_text(encoding="utf-8")


def test_judgement_is_labelled(record):
    for m in record.months:
        for key, basis in m.basis.items():
            if basis == "judgement":
                assert "judgement" in m.note, (m.month, key)


# -- the record and its replay ------------------------------------------------------------


def test_inputs_and_the_replays_events_agree_both_ways(record, replay):
    events = {e.name: e for e in replay.events}
    seed_events = {e.name for e in load_scenario(SEED).events}
    inputs = {i.event: i for i in record.inputs}
    assert set(inputs) <= set(events)
    assert set(events) - seed_events <= set(inputs)
    for name, given in inputs.items():
        event = events[name]
        assert event.at is not None and replay.clock.date_of(event.at) == given.date, name


def test_no_event_of_the_replay_sets_a_stage(record, replay):
    for e in replay.events:
        assert e.stage is None and e.stage_on is None, e.name


def test_the_replay_covers_the_record(record, replay):
    first = record.months[0]
    assert replay.clock.start_date == dt.date.fromisoformat(first.month + "-01")
    assert replay.clock.date_of(replay.clock.horizon) == dt.date(2024, 6, 30)
    assert replay.ladder.id == record.ladders["belarus"] and replay.start == first.stages["belarus"]
    (nato,) = [c for c in replay.coupled if c.key == "nato"]
    assert (nato.ladder.id, nato.start) == (record.ladders["nato"], first.stages["nato"])
    assert [Path(p).name for p in replay.extends] == ["belarus-poland-2024.yaml"]


# -- problems in a record -----------------------------------------------------------------


def _bad(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    """The bundled record with its one `old` replaced by `new`, and that line's number."""
    text = RECORD.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    line = text[:text.index(old)].count("\n") + 1
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path, line


def _problems(path: Path) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ValidationError) as info:
        load_record(path)
    assert all(p.file == str(path) for p in info.value.problems)
    return [(p.line, p.field, p.message) for p in info.value.problems]


def test_an_unknown_stage_names_file_line_and_field(tmp_path):
    path, line = _bad(tmp_path, "  - month: 2023-02\n    stages: {belarus: hybrid_pressure, "
                      "nato: border_closure}", "  - month: 2023-02\n    stages: {belarus: "
                      "hybrid_pressure, nato: border_closer}")
    ((at, field, message),) = _problems(path)
    assert (at, field) == (line + 1, "months[21].stages.nato")
    assert "did you mean 'border_closure'" in message and "stages:" in message
    assert "expected a stage of the ladder 'nato' or null (unknown), got " in message
    assert "{type_name" not in message


def test_an_unknown_ladder_is_reported(tmp_path):
    path, line = _bad(tmp_path, "nato: poland-nato-response}", "nato: poland-nato}")
    found = _problems(path)
    assert found[0][:2] == (line, "ladders.nato")
    assert "unknown ladder 'poland-nato'" in found[0][2]


def test_months_out_of_order_repeated_or_missing(tmp_path):
    path, line = _bad(tmp_path, "  - month: 2021-06\n", "  - month: 2021-05\n")
    ((at, field, message),) = _problems(path)
    assert (at, field) == (line, "months[1].month")
    assert "repeated" in message and "expected 2021-06" in message
    path, line = _bad(tmp_path, "  - month: 2022-01\n", "  - month: 2022-02\n")
    found = _problems(path)
    assert (line, "months[8].month") == found[0][:2] and "2022-01 is missing" in found[0][2]


def test_a_month_without_a_source(tmp_path):
    text = RECORD.read_text(encoding="utf-8")
    start = text.index("  - month: 2022-03\n")
    old = text[start:text.index("    note:", start)]
    src = old[old.index("    source:"):]
    path, line = _bad(tmp_path, old, old.replace(src, ""))
    ((at, field, message),) = _problems(path)
    assert (at, field) == (line, "months[10]") and "missing required key 'source'" in message


def test_an_undeclared_quantity_and_a_missing_one(tmp_path):
    path, line = _bad(tmp_path, "crossing_attempts: 3400,", "crossing_attemps: 3400,")
    found = _problems(path)
    assert (line, "months[35].observed.crossing_attemps") == found[0][:2]
    assert "not declared; did you mean 'crossing_attempts'" in found[0][2]
    assert found[1][1] == "months[35].observed" and "missing crossing_attempts" in found[1][2]


def test_bad_dates_and_months(tmp_path):
    path, line = _bad(tmp_path, "{date: 2021-08-15,", "{date: 2021-08-32,")
    ((at, field, message),) = _problems(path)
    assert (at, field) == (line, "inputs[1].date") and "expected a date YYYY-MM-DD" in message
    path, line = _bad(tmp_path, "{date: 2021-05-26,", "{date: 2021-04-26,")
    ((at, field, message),) = _problems(path)
    assert (at, field) == (line, "inputs[0].date") and "from 2021-05-01" in message
    path, line = _bad(tmp_path, "  - from: 2024-01\n", "  - from: 2024-13\n")
    assert _problems(path)[0][:2] == (line, "spans[0].from")


def test_a_wrong_kind_and_a_bad_reading(tmp_path):
    path, line = _bad(tmp_path, "kind: history-record\n", "kind: history-recrd\n")
    # (no longer a record by kind: load_record still reads it and says what kind it wants)
    assert _problems(path)[0][:2] == (line, "kind")
    path, line = _bad(tmp_path, "reading: level\n    description: \"Soldiers",
                      "reading: levels\n    description: \"Soldiers")
    found = _problems(path)
    assert found[0][:2] == (line, "quantities.soldiers_deployed.reading")
    assert "expected one of count, at_least, level" in found[0][2]


# -- the record in the library ------------------------------------------------------------


def test_ladder_validate_checks_the_record_with_the_scenarios(capsys, tmp_path):
    assert main(["validate", str(ROOT / "scenarios")]) == 0
    assert " 0 error(s)" in capsys.readouterr().err
    path, _ = _bad(tmp_path, "nato: poland-nato-response}", "nato: poland-nato}")
    assert main(["validate", str(path)]) == 2
    assert "ladders.nato: unknown ladder 'poland-nato'" in capsys.readouterr().out


def test_ladder_list_shows_the_record_apart_from_the_scenarios(capsys):
    found = catalog()
    assert "record-2021-2024" in bundled_scenarios()  # by id, like any bundled file
    assert "record-2021-2024" not in [s["id"] for s in found["scenarios"]]
    assert found["records"] == [{"id": "record-2021-2024", "title": load_record(RECORD).title,
                                 "first": "2021-05", "last": "2024-06", "path": str(RECORD)}]
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "history records (1;" in out and "record-2021-2024  2021-05..2024-06" in out
    assert main(["list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["records"][0]["id"] == "record-2021-2024"


def test_a_record_is_not_run(capsys):
    assert main(["run", "record-2021-2024", "--runs", "10"]) == 2
    out = capsys.readouterr()
    assert "a history record (data, not a scenario)" in out.out + out.err
