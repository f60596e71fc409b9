"""The modelling guide's scenarios (scenarios/modelling/, docs/modelling.md): each file
validates and runs, its mechanism shows in the numbers (the same file with the mechanism
turned off by `--set` gives a different answer, in the direction the guide says), and every
figure the guide quotes is what a fresh run gives, so the guide cannot go stale.

The guide marks each figure as `<!-- measured: FILE reach:STAGE RUNS SEED [PATH=VALUE ...] -->`
followed by `**P** (95% Wilson interval LO to HI, n = RUNS)`.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim import EscalationModel
from sim.cli import main
from sim.engine.notes import RULE_ACCIDENT, RULE_JOINT
from sim.format.validate import validate_file

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "scenarios" / "modelling"
FILES = sorted(FOLDER.glob("*.yaml"))
GUIDE = ROOT / "docs" / "modelling.md"
EXPECTED = {"accidents", "deterrence", "dual-key", "misperception", "probing-and-learning",
            "reciprocity", "spiral", "standing-policies", "unanswered-signals"}
RUNS, SEED = 2000, 1

MARKER = re.compile(
    r"<!-- measured: (?P<file>\S+) reach:(?P<stage>\w+) (?P<runs>\d+) (?P<seed>\d+)"
    r"(?P<sets>(?: \S+=\S+)*) -->\s*"
    r"\*\*(?P<p>[\d.]+)\*\* \(95% Wilson interval (?P<lo>[\d.]+) to (?P<hi>[\d.]+), "
    r"n = (?P<n>\d+)\)")


@cache
def summary(name: str, runs: int = RUNS, seed: int = SEED, sets: tuple[str, ...] = ()) -> dict:
    """`ladder run FILE --json` in-process (cached: the doc test and the mechanism tests share
    runs)."""
    args = ["run", str(FOLDER / f"{name}.yaml"), "--runs", str(runs), "--seed", str(seed),
            "--json"]
    for s in sets:
        args += ["--set", s]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(args) == 0, args
    return json.loads(out.getvalue())


def reach(name: str, stage: str, *sets: str) -> float:
    return summary(name, sets=tuple(sets))["reach"][stage]["p"]


def figure(entry: dict, n: int) -> str:
    """How the guide writes P(reach): `**0.262** (95% Wilson interval 0.243 to 0.282, n = 2000)`."""
    return (f"**{entry['p']:.3f}** (95% Wilson interval {entry['lo']:.3f} to "
            f"{entry['hi']:.3f}, n = {n})")


# -- every file --------------------------------------------------------------------------------

def test_the_folder_has_one_file_per_dynamic():
    assert {p.stem for p in FILES} == EXPECTED


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_file_validates_and_cites_the_guide(path):
    assert [str(p) for p in validate_file(path) if not p.warning] == []
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert any("docs/modelling.md" in s for s in data["sources"]), path.name
    assert "illustrative judgement" in data["description"].lower()
    assert "illustrative judgement" in " ".join(data["sources"]).lower()
    # the guide has a section on it, and quotes at least two measured figures of it
    assert f"scenarios/modelling/{path.name}" in GUIDE.read_text(encoding="utf-8")
    quoted = [m for m in MARKER.finditer(GUIDE.read_text(encoding="utf-8"))
              if m["file"] == f"scenarios/modelling/{path.name}"]
    assert len(quoted) >= 2, path.name


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_file_runs(path):
    result = summary(path.stem)
    assert result["runs"] == RUNS
    assert result["reach"][result["stages"][0]]["p"] >= 0


# -- each mechanism shows in the numbers ---------------------------------------------------------

def test_deterrence_lowers_the_chance_of_crisis():
    with_it = reach("deterrence", "crisis")
    without = reach("deterrence", "crisis", "actors.blue.policy.weights.deter=0")
    assert with_it + 0.3 < without


SPIRAL_OFF = ("actors.red.policy.modifiers.0.scale.arm=1",
              "actors.blue.policy.modifiers.0.scale.arm=1")


def test_spiral_reaction_drives_escalation():
    assert reach("spiral", "standoff") > reach("spiral", "standoff", *SPIRAL_OFF) + 0.5
    assert reach("spiral", "crisis") > 0.02 and reach("spiral", "crisis", *SPIRAL_OFF) == 0


RECIPROCITY_OFF = ("actors.red.policy.modifiers.0.scale.press=1",
                   "actors.red.policy.modifiers.1.scale.concede=1")
BLUE_PRESSES = ("actors.blue.policy.weights.press=2", "actors.blue.policy.weights.concede=1")


def test_reciprocity_amplifies_blues_line():
    gap_with = (reach("reciprocity", "crisis", *BLUE_PRESSES)
                - reach("reciprocity", "crisis"))
    gap_without = (reach("reciprocity", "crisis", *BLUE_PRESSES, *RECIPROCITY_OFF)
                   - reach("reciprocity", "crisis", *RECIPROCITY_OFF))
    assert gap_with > gap_without + 0.2
    assert reach("reciprocity", "crisis", *BLUE_PRESSES) > reach(
        "reciprocity", "crisis", *BLUE_PRESSES, *RECIPROCITY_OFF) + 0.2


def test_lost_signals_lead_to_pressure():
    lost = reach("unanswered-signals", "standoff")
    heard = reach("unanswered-signals", "standoff", "actors.red.actions.offer.signal.p=0")
    assert lost > heard + 0.3


LAX = ("actors.blue.policy.weights.rebuff=1", "actors.blue.policy.weights.let_pass=3")
NO_LEARNING = ("actors.red.policy.modifiers.0.scale.probe=1",
               "actors.red.policy.modifiers.1.scale.probe=1")


def test_learning_makes_red_answer_blues_resolve():
    firm, lax = reach("probing-and-learning", "standoff"), reach(
        "probing-and-learning", "standoff", *LAX)
    firm_blind = reach("probing-and-learning", "standoff", *NO_LEARNING)
    lax_blind = reach("probing-and-learning", "standoff", *LAX, *NO_LEARNING)
    assert firm + 0.2 < lax  # learning: a firm blue is probed less
    assert firm_blind > lax_blind  # without it, blue's firmness only adds tension
    assert firm + 0.2 < firm_blind


def test_dual_key_needs_both_keys():
    assert reach("dual-key", "war") > 0.2
    assert reach("dual-key", "war", "actors.patron.policy.stages.crisis.authorise=0") == 0
    # a narrower window (the same step only) turns the keys together less often
    assert 0 < reach("dual-key", "war", "actors.red.actions.launch.within=0") < reach(
        "dual-key", "war")


def test_standing_policy_weighs_while_in_force():
    base = reach("standing-policies", "standoff")
    assert base > 0.5
    assert reach("standing-policies", "standoff", "actors.blue.policy.weights.impose=0") == 0
    assert reach("standing-policies", "standoff", "actors.blue.policy.weights.lift=10") < base / 4


def test_misperception_raises_the_chance_of_crisis():
    seen = "actors.red.perceives.tension"
    truthful = reach("misperception", "crisis", f"{seen}.bias=0", f"{seen}.noise=0",
                     f"{seen}.lag=0")
    assert reach("misperception", "crisis") > truthful + 0.15


def test_accidents_cause_every_war():
    assert reach("accidents", "war") > 0.03
    assert reach("accidents", "war", "hazards.0.p=0") == 0
    assert reach("accidents", "war", "actors.blue.policy.weights.alert=0.2") < reach(
        "accidents", "war") / 4


def causes_of_entering(name: str, stage: str, runs: int = 2000, seed: int = 3) -> list[int]:
    """The rule code (sim.engine.notes) of every step in which a run entered `stage`."""
    model = EscalationModel(FOLDER / f"{name}.yaml", n=runs, rng=seed)
    target = model.ladder.index(stage)
    causes: list[int] = []
    while model.running:
        before = model.stage.copy()
        model.step()
        entered = (model.stage == target) & (before != target)
        causes += model.main.rule[entered].tolist()
    return causes


def test_accidents_move_only_by_accident():
    causes = causes_of_entering("accidents", "war")
    assert len(causes) > 20 and set(causes) == {RULE_ACCIDENT}


def test_dual_key_moves_only_by_joint_decision():
    causes = causes_of_entering("dual-key", "war")
    assert len(causes) > 20 and set(causes) == {RULE_JOINT}


def test_trace_names_the_accident():
    out = io.StringIO()
    for seed in range(1, 40):
        out.seek(0)
        out.truncate()
        with contextlib.redirect_stdout(out):
            assert main(["run", str(FOLDER / "accidents.yaml"), "--trace", "--seed", str(seed),
                         "--set", "hazards.0.p=0.5"]) == 0
        if "final stage: war" in out.getvalue():
            break
    else:
        pytest.fail("no traced run of accidents.yaml reached war")
    moves = [line.strip() for line in out.getvalue().splitlines() if "-> war" in line]
    assert moves == ["MOVE crisis -> war by accident (A clash between forces on alert that no "
                     "one ordered.)"]  # the hazard's description, as moves.csv names it


# -- the guide quotes fresh numbers --------------------------------------------------------------

def quoted() -> list[re.Match]:
    return list(MARKER.finditer(GUIDE.read_text(encoding="utf-8")))


def test_guide_quotes_enough_figures():
    text = GUIDE.read_text(encoding="utf-8")
    assert len(quoted()) >= 2 * len(EXPECTED)
    # every marker is well formed (a marker the pattern does not read would go unchecked)
    # (`<!-- measured:` in backticks is the page describing the marker)
    assert len(re.findall(r"(?<!`)<!-- measured:", text)) == len(quoted())


@pytest.mark.parametrize("m", quoted(), ids=lambda m: m.group(0).split("-->")[0][15:].strip())
def test_guide_figure_matches_a_fresh_run(m):
    name = Path(m["file"]).stem
    assert (ROOT / m["file"]).is_file() and Path(m["file"]).parent == Path("scenarios/modelling")
    runs, seed = int(m["runs"]), int(m["seed"])
    assert int(m["n"]) == runs
    result = summary(name, runs, seed, tuple(m["sets"].split()))
    assert m.group(0).split("-->")[1].strip() == figure(result["reach"][m["stage"]], runs)


def test_figure_format_is_what_the_pattern_reads():
    entry = {"p": 0.25, "lo": 0.2312, "hi": 0.27}
    text = f"<!-- measured: scenarios/modelling/x.yaml reach:war 10 1 a.b=1 --> {figure(entry, 10)}"
    m = MARKER.search(text)
    assert m and (m["p"], m["lo"], m["hi"], m["sets"]) == ("0.250", "0.231", "0.270", " a.b=1")
    assert np.isclose(float(m["p"]), 0.25)
