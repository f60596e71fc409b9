"""`ladder debrief`: the hot wash of one transcript's record and the aggregation of several,
on hand-built records (tests/debrief_records.py), and its refusals."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sim.cli import main
from sim.workshop import hotwash, rooms
from sim.workshop.record_read import Transcript, read_transcript
from tests import debrief_records as dr

ROOT = Path(__file__).resolve().parents[1]


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def room1(tmp_path) -> Path:
    return dr.write(tmp_path / "room1.md", dr.room_one())


@pytest.fixture
def room2(tmp_path) -> Path:
    return dr.write(tmp_path / "room2.md", dr.room_two())


def test_one_room_hot_wash_has_its_sections_and_numbers(capsys, room1):
    code, out, err = cli(capsys, "debrief", room1)
    assert (code, err) == (0, "")
    assert max(len(line) for line in out.splitlines()) <= 80
    flat = " ".join(out.split())
    for title in ("Departures from policy", "Missed off-ramps", "Largest outlook swings",
                  "Control's judgements"):
        assert f"{title}\n{'-' * len(title)}" in out
    assert ("seed 3. Played: warsaw; the other actors follow their scenario policies. 5 turns "
            "(a turn is 1 step), 3 decision points, 1 act of Control, 1 fork. Ended (quit) at "
            "step 5 in border_incident") in flat
    assert ("Distributions under the scenario's stated assumptions, not predictions; each "
            "outlook run draws the scenario's uncertain numbers afresh") in flat
    # departures ranked by |diff| at use_of_force: -2.0 (Article 4), +0.8, +0.6
    first = flat.index("request_article4 (chosen; policy share 2%)")
    assert first < flat.index("harden (chosen; policy share 38%)") < flat.index(
        "harden (chosen; policy share 30%)")
    assert ("P(reach use_of_force): 8.0% [6.9, 9.3] under the policy, 6.0% [5.0, 7.1] with "
            "this move: -2.0 points [-2.7, -1.4], p < 0.001, n = 2,000 paired runs") in flat
    # the off-ramp at step 3 is clear; the one at step 0 is within Monte Carlo error
    assert ("Step 3, warsaw at border_incident: diplomatic_protest (policy share 45%) would "
            "have moved P(reach use_of_force) from 5.0% [4.1, 6.0] to 4.0% [3.2, 5.0]: -1.0 "
            "points [-1.5, -0.5]") in flat
    assert re.search(r"Step 0, warsaw at hybrid_pressure: diplomatic_protest .* -0\.2 points "
                     r"\[-0\.6, \+0\.2\], p = 0\.388, n = 2,000 paired runs: within Monte "
                     r"Carlo error", flat)
    # no off-ramp at step 2: Article 4 was the move that lowered it most
    assert "Step 2, warsaw at border_incident: request_article4 (policy share" not in flat
    # the largest swing is Control's inject, its cause named as Control's judgement
    swings = flat.split("Largest outlook swings")[1]
    assert swings.index("+3.0 points") < swings.index("-3.0 points")
    assert ("P(reach use_of_force) 4.0% [3.2, 5.0] -> 7.0% [6.0, 8.2], +3.0 points (n = 2,000 "
            "runs each). In between: step 1: Control inject: tension +2 (Control's judgement: "
            "a reported shooting") in swings
    assert "not a paired comparison" in swings
    assert ("Step 1, inject: tension +2. Control's judgement: \"a reported shooting at the "
            "crossing (exercise inject 3)\"") in flat


def test_stage_option_reads_everything_at_that_stage(capsys, room1):
    code, out, _ = cli(capsys, "debrief", room1, "--stage", "mp_crisis")
    flat = " ".join(out.split())
    assert code == 0
    assert ("P(reach mp_crisis): 40.0% [37.9, 42.2] under the policy, 33.0% [31.0, 35.1] with "
            "this move: -7.0 points") in flat
    assert "Swings and Control's acts are read at mp_crisis" in flat
    # at step 0 (hybrid_pressure) protest lowers mp_crisis by 3 points: a clear off-ramp
    assert re.search(r"Step 0, warsaw at hybrid_pressure: diplomatic_protest \(policy share "
                     r"30%\) would have moved P\(reach mp_crisis\) from 18\.0% \[16\.4, 19\.7\] "
                     r"to 15\.0% \[13\.5, 16\.6\]: -3\.0 points", flat)


def test_json_is_the_same_content(capsys, room1):
    code, out, _ = cli(capsys, "debrief", room1, "--json")
    data = json.loads(out)
    assert code == 0 and data["format"] == "ladder-debrief/1" and data["aggregation"] is None
    room = data["rooms"][0]
    assert room["headline"]["watched"] == "use_of_force"
    assert [d["chosen"] for d in room["departures"]] == ["request_article4", "harden", "harden"]
    top = room["departures"][0]["effect"]
    assert top["diff"] == pytest.approx(-0.02) and top["clear"] is True
    assert top["base"]["n"] == 2000 and top["base"]["p"] == pytest.approx(0.08)
    assert [(m["step"], m["option"]["action"], m["option"]["clear"])
            for m in room["missed_offramps"]] == [(3, "diplomatic_protest", True),
                                                  (0, "diplomatic_protest", False)]
    assert room["swings"][0]["change"] == pytest.approx(0.03)
    assert room["judgements"][0]["power"] == "inject"


def test_out_writes_markdown_atomically(capsys, room1, monkeypatch):
    import sim.engine.results as results

    written = []
    real = results.atomic_write
    monkeypatch.setattr(results, "atomic_write",
                        lambda path, write: (written.append(path), real(path, write)))
    out_file = room1.parent / "hotwash.md"
    code, out, err = cli(capsys, "debrief", room1, "--out", out_file)
    assert code == 0 and written == [out_file] and f"wrote {out_file}" in err
    md = out_file.read_text(encoding="utf-8")
    assert md.startswith("# Hot wash: Belarus-Poland border, one tension number\n")
    assert "## Missed off-ramps" in md and "1. Step 3, warsaw at border_incident" in md
    assert not [p for p in room1.parent.iterdir() if p.name.endswith(".tmp")]


def test_two_rooms_aggregate_against_the_policy(capsys, room1, room2):
    code, out, _ = cli(capsys, "debrief", room1, room2)
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= 80
    flat = " ".join(out.split())
    assert "Room 1 (" in flat and "Room 2 (" in flat and "Across the 2 rooms" in flat
    table = out.split("warsaw at border_incident: n = 4 decisions in 2 rooms")[1]
    lines = [" ".join(line.split()) for line in table.splitlines()[5:9]]
    assert lines == ["harden 2 50.0% [15.0, 85.0] 38%",
                     "diplomatic_protest 1 25.0% [4.6, 69.9] 45%",
                     "request_article4 1 25.0% [4.6, 69.9] 2%",
                     "hold 0 0.0% [0.0, 49.0] 15%"]
    assert "too few decisions to test" in flat.lower()
    assert "the decisions are not independent" in flat
    how = out.split("How the played moves came")[1]
    assert " ".join(how.splitlines()[-1].split()) == "warsaw 2 6 2"


def test_chi_square_when_expected_counts_allow(tmp_path):
    """Twelve rooms, one decision each at a stage where the policy splits 50/50: 10 against
    2 gives chi2 = (10-6)^2/6 + (2-6)^2/6 = 5.33 on 1 df, p = 0.021."""
    opts = {"hold": (0.5, {}), "harden": (0.5, {})}
    found = []
    for k in range(12):
        rec = dr.record([dr.decision(0, "hybrid_pressure", "harden" if k < 10 else "hold",
                                     "", opts)], seed=k)
        found.append(Transcript(tmp_path / f"r{k}.md", 1, rec))
    (stage,) = rooms.aggregate(found)["actors"][0]["stages"]
    assert stage["test"]["statistic"] == pytest.approx(16 / 3)
    assert stage["test"]["df"] == 1 and stage["test"]["p"] == pytest.approx(0.02092, abs=1e-5)
    assert stage["several_in_a_room"] is False
    assert [(m["action"], m["count"]) for m in stage["moves"]] == [("harden", 10), ("hold", 2)]


def test_a_chosen_move_the_policy_gives_no_weight_is_not_tested():
    test = rooms.fit_test([3, 0, 9], [0.0, 0.5, 0.5])
    assert test["method"] is None and "no weight" in test["reason"]


def test_an_argued_move_outside_the_repertoire_is_counted_apart(capsys, room1, tmp_path):
    rec = dr.room_two()
    rec["log"].insert(3, dr.decision(1, "border_incident", "talks at the crossing", "try",
                                     {"hold": (0.5, {}), "harden": (0.5, {})}, how="argued"))
    argued = dr.write(tmp_path / "argued.md", rec)
    code, out, _ = cli(capsys, "debrief", argued)
    assert code == 0
    assert ("talks at the crossing (argued; policy share none: outside the repertoire). Why: "
            "\"try\". Not among the legal moves") in " ".join(out.split())
    code, out, _ = cli(capsys, "debrief", room1, argued)
    flat = " ".join(out.split())
    assert code == 0
    assert "(argued, outside) 1 20.0% [3.6, 62.4] -" in flat
    assert "1 of the 5 decisions: an argued move outside the repertoire" in flat


def test_swing_causes_and_watched_stage():
    rec = dr.room_one()
    assert hotwash.watched_stage(rec) == "use_of_force"
    swings = hotwash.swings(rec, "border_incident")
    grown = next(s for s in swings if s["to_step"] == 2)
    assert grown["after"]["reached"] is True and grown["change"] == pytest.approx(1 - 0.85)
    assert "step 2: event Buffer zone reinstated" in grown["causes"]
    assert "minsk" not in " ".join(grown["causes"])  # an unplayed actor's policy move


# -- refusals ---------------------------------------------------------------------------------

def _one_error(capsys, *argv) -> str:
    code, out, err = cli(capsys, "debrief", *argv)
    assert code == 2 and out == "" and "Traceback" not in err
    (line,) = err.splitlines()
    return line


def test_missing_file(capsys, tmp_path):
    line = _one_error(capsys, tmp_path / "gone.md")
    assert line == (f"ladder: error: {tmp_path / 'gone.md'}: cannot read file: No such file or "
                    "directory")


def test_no_record_block(capsys, tmp_path):
    path = tmp_path / "old.md"
    path.write_text("# Workshop debrief\n\n## The session, in order\n", encoding="utf-8")
    assert f"{path}: no '## Record' section" in _one_error(capsys, path)
    path.write_text("# Workshop debrief\n\n## Record\n\nnothing\n", encoding="utf-8")
    assert f"{path}:3: the '## Record' section has no ```json block" in _one_error(capsys, path)
    path.write_text("## Record\n\n```json\n{}\n", encoding="utf-8")
    assert f"{path}:3: the record's ```json block is not closed" in _one_error(capsys, path)


def test_bad_json_names_the_line(capsys, tmp_path):
    text = dr.markdown(dr.room_one()).replace('"seed": 3,', '"seed": 3,,')
    path = tmp_path / "bad.md"
    path.write_text(text, encoding="utf-8")
    line_no = next(i for i, line in enumerate(text.splitlines(), 1) if '"seed": 3,,' in line)
    assert re.fullmatch(rf"ladder: error: {re.escape(str(path))}:{line_no}: the record is not "
                        r"valid JSON: .*\(column \d+\)", _one_error(capsys, path))


def test_wrong_format(capsys, tmp_path):
    rec = dr.room_one() | {"format": "ladder-transcript/0"}
    path = dr.write(tmp_path / "old.md", rec)
    fence = dr.markdown(rec).splitlines().index("```json") + 1
    assert _one_error(capsys, path) == (
        f"ladder: error: {path}:{fence}: the record's format is 'ladder-transcript/0', "
        "expected 'ladder-transcript/1' (a transcript from `ladder play --transcript`)")


def test_a_damaged_record_names_the_field(capsys, tmp_path):
    rec = dr.room_one()
    rec["log"][1]["options"][0]["share"] = "high"
    line = _one_error(capsys, dr.write(tmp_path / "t.md", rec))
    assert line.endswith("record: log[1] (decision).options[0].share should be a number, got "
                         "a string")
    rec = dr.room_one()
    rec["log"][0]["outlook"]["reached"] = "nowhere"
    assert "log[0] (start).outlook.reached is 'nowhere', not one of stage_ids" in _one_error(
        capsys, dr.write(tmp_path / "t.md", rec))


def test_different_scenarios_are_refused(capsys, room1, tmp_path):
    other = dr.write(tmp_path / "other.md", dr.record([], scenario="checkpoint-opened"))
    assert _one_error(capsys, room1, other) == (
        f"ladder: error: {other} is a record of scenario 'checkpoint-opened' but {room1} is of "
        "'belarus-poland-2024-tension': rooms are aggregated only over one scenario "
        "(different seeds are fine)")


def test_out_refuses_a_transcript_and_non_markdown(capsys, room1):
    assert "which the debrief would overwrite" in _one_error(capsys, room1, "--out", room1)
    assert "use a name ending in .md" in _one_error(capsys, room1, "--out",
                                                    room1.with_suffix(".html"))


def test_read_transcript_keeps_the_block_line(room1):
    t = read_transcript(room1)
    assert t.line == room1.read_text().splitlines().index("```json") + 1
    assert t.record["seed"] == 3


def test_the_worked_examples_in_the_docs_are_what_the_command_prints(capsys, tmp_path):
    doc = (ROOT / "docs" / "debrief.md").read_text(encoding="utf-8")
    dr.write(tmp_path / "room1.md", dr.room_one())
    dr.write(tmp_path / "room2.md", dr.room_two())
    examples = re.findall(r"<!-- example: ladder debrief (.*?) -->\n```text\n(.*?)```", doc,
                          re.DOTALL)
    assert len(examples) == 2
    for args, example in examples:
        code, out, _ = cli(capsys, "debrief", *[tmp_path / a for a in args.split()])
        assert code == 0 and example.strip() and example in out, args


def test_a_why_cannot_drive_the_terminal(capsys, tmp_path):
    rec = dr.room_one()
    rec["log"][1]["why"] = "red\x1b[31m alert\nsecond line"
    code, out, _ = cli(capsys, "debrief", dr.write(tmp_path / "t.md", rec))
    assert code == 0 and "\x1b" not in out
    assert 'Why: "red\\x1b[31m alert second line"' in " ".join(out.split())
