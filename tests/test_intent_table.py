"""docs/intent_table.py, which generates the intent and checkpoint tables of docs/scenarios.md,
at a small size."""

from __future__ import annotations

import importlib.util
import re
import sys

from tests.helpers import ROOT

spec = importlib.util.spec_from_file_location("intent_table", ROOT / "docs" / "intent_table.py")
intent_table = importlib.util.module_from_spec(spec)
sys.modules["intent_table"] = intent_table  # its dataclass looks its module up
spec.loader.exec_module(intent_table)

ROW = re.compile(r"^\| (Casus-belli|Iron curtain|Kremlin|Sanctions)")
CELL = r"[+-]?\d+\.\d+%? \[[+-]?\d+\.\d+, [+-]?\d+\.\d+\]"


def rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if ROW.match(line)]


def test_the_script_measures_every_reading_with_intervals(capsys):
    assert intent_table.main(["--runs", "200", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "200 runs per reading and probe, seed 3" in out
    got = rows(out)
    # four readings in the outcome table, three against the seed's, four indicator rows
    assert len(got) == 11
    for line in got[:4]:
        assert len(re.findall(CELL, line)) == 3, line
    for line in got[4:7]:  # (a stage no run of either reached is not compared)
        found = len(re.findall(CELL, line))
        assert found + line.count("no run reached it") == 3 and found >= 2, line
        assert line.count(", p ") == found, line
    for line in got[7:]:
        assert len(re.findall(CELL, line)) == 4, line
    checkpoint = [line for line in out.splitlines()
                  if line.startswith(("| checkpoint-opened", "| minsk-reciprocates"))]
    assert len(checkpoint) == 4
    for line in checkpoint:
        assert len(re.findall(CELL, line)) == 3, line


def test_the_doc_holds_the_generated_table():
    doc = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    block = doc.split(intent_table.START)[1].split(intent_table.END)[0]
    assert "10,000 runs per reading and probe, seed 7" in block
    assert len(rows(block)) == 11
    block = doc.split(intent_table.CP_START)[1].split(intent_table.CP_END)[0]
    assert "10,000 runs each, seed 7" in block
    assert block.count("| checkpoint-opened |") == 2 and block.count("| minsk-reciprocates |") == 2


def test_the_readings_differ_where_their_headers_say():
    """The sanctions bargainer answers the open crossing; the iron curtain pushes back."""
    bargainer = intent_table.measure("sanctions-bargainer", 300, 7)
    curtain = intent_table.measure("iron-curtain", 300, 7)
    assert bargainer["checkpoint"].lo > 0.1
    assert curtain["checkpoint"].hi < 0


def test_without_its_direct_effect_the_signal_still_works_through_minsk():
    """The checkpoint's direct effect set to 0: a Minsk that answers the open crossing
    still lowers P(border_incident); one that does not answer it changes nothing clear."""
    none = {**intent_table.NO_DIRECT_ACTION, **intent_table.NO_DIRECT_EVENT}
    base = intent_table.runs_of("belarus-poland-2024", intent_table.NO_DIRECT_ACTION, 600, 7)
    answered = intent_table.runs_of("minsk-reciprocates", none, 600, 7)
    ignored = intent_table.runs_of("checkpoint-opened", none, 600, 7)

    def change(runs):
        return intent_table.mean_of(intent_table.reached(runs, "border_incident")
                                    - intent_table.reached(base, "border_incident"))

    assert change(answered).hi < -0.05
    assert change(ignored).lo < 0 < change(ignored).hi
