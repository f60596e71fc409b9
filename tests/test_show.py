"""Tests for sim.present.show: text, Mermaid and Graphviz DOT views of ladders and scenarios."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.errors import InputError
from sim.format.ladder import Ladder, load_ladder
from sim.format.scenario import load_scenario
from sim.present.diagrams import mermaid_label, render_dot, render_mermaid
from sim.present.show import FORMATS, render, render_scenario_text, render_text

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "ladders" / "belarus-2024.yaml"

TOY = """\
id: toy
title: "Toy ladder: a test"
stages:
  - id: calm
    name: Calm
    up: 2
  - id: tense
    name: 'Tense: "hot" {phase}; #1'
    up: 5
    down: 1
    dwell: 3
  - id: crisis
    name: Crisis
    down: 3
  - id: war
    name: War
    absorbing: true
  - id: nuke
    name: Nuclear
    absorbing: true
edges:
  - from: crisis
    to: nuke
    guard: "tension >= 8"
  - from: calm
    to: tense
    guard: "step >= 2"
groups:
  - id: low
    name: Low rungs
    first: calm
    last: tense
  - id: high
    name: High rungs
    first: crisis
    last: nuke
    threshold: "Don't Rock the Boat"
"""

TOY_SCENARIO = """\
id: toy-scenario
title: Toy scenario
ladder: ladder.yaml
start: tense
clock: {step: day, horizon: 10, start_date: 2024-05-27}
tension: {initial: 1.5, decay: {beta: [9, 1]}}
actors:
  red:
    name: Red state
    kind: state
    actions:
      push: {effect: 0.5}
      escalate: {effect: 1, trigger: crisis, allowed: [tense]}
      strike: {trigger: nuke, allowed: [crisis]}
    policy:
      weights: {push: 2, escalate: 0.1, strike: 0.01}
  crowd:
    kind: population
    count: {uniform: [20, 60]}
    actions:
      gather: {effect: 0.01}
      disperse: {effect: -0.01}
    policy:
      weights: {gather: 1, disperse: 1}
events:
  - name: Border closed
    at: 2024-05-30
    set: {actors.red.policy.weights.push: 3}
  - name: Talks
    when: "stage >= crisis"
    tension: {add: -1}
"""

TRANSITION = re.compile(r'^\s+(\[\*\]|\w+) --> (\[\*\]|\w+)( : [^:;{}"]+)?$')
STAGE_ROW = re.compile(r"^\s+-?\d+\s+([a-z_][a-z0-9_]*)\s")
DOT_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


@pytest.fixture
def toy_path(tmp_path: Path) -> Path:
    path = tmp_path / "ladder.yaml"
    path.write_text(TOY, encoding="utf-8")
    return path


@pytest.fixture
def toy(toy_path: Path) -> Ladder:
    return load_ladder(toy_path)


@pytest.fixture
def scenario_path(toy_path: Path) -> Path:
    path = toy_path.parent / "scenario.yaml"
    path.write_text(TOY_SCENARIO, encoding="utf-8")
    return path


@pytest.fixture(params=["toy", "bundled"])
def any_ladder(request: pytest.FixtureRequest, toy: Ladder) -> Ladder:
    if request.param == "toy":
        return toy
    if not BUNDLED.is_file():
        pytest.skip("ladders/belarus-2024.yaml is not there yet")
    return load_ladder(BUNDLED)


def stage_order(text: str) -> list[str]:
    """Stage ids in the order their rows appear in a text view."""
    return [m.group(1) for line in text.splitlines() if (m := STAGE_ROW.match(line))]


def row_of(text: str, stage_id: str) -> str:
    return next(line for line in text.splitlines()
                if (m := STAGE_ROW.match(line)) and m.group(1) == stage_id)


def dot_skeleton(dot: str) -> str:
    """DOT source with every quoted string replaced by a placeholder."""
    return DOT_STRING.sub('"S"', dot)


def dot_unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


# -- text -------------------------------------------------------------------------------------


def test_text_lists_stages_top_down(any_ladder: Ladder) -> None:
    text = render_text(any_ladder)
    assert text.splitlines()[0] == f"{any_ladder.id}: {any_ladder.title}"
    assert stage_order(text) == list(reversed(any_ladder.stage_ids))
    assert "<- start" not in text
    assert "\x1b" not in text


def test_text_marks_absorbing_start_and_thresholds(toy: Ladder) -> None:
    text = render_text(toy, start="tense")
    assert "[absorbing]" in row_of(text, "war")
    assert "[absorbing]" in row_of(text, "nuke")
    assert "[absorbing]" not in row_of(text, "crisis")
    tense = row_of(text, "tense")
    assert "up >= 5" in tense and "down <= 1 (dwell 3)" in tense and "<- start" in tense
    assert "<- start" not in row_of(text, "calm")
    assert "up >= 2" in row_of(text, "calm")
    assert "down <= 3 (dwell 1)" in row_of(text, "crisis")
    assert text.count("<- start") == 1


def test_text_shows_groups_and_threshold_separator(toy: Ladder) -> None:
    lines = render_text(toy).splitlines()
    sep = lines.index("--- Don't Rock the Boat ---")
    high = next(i for i, line in enumerate(lines) if "[High rungs]" in line)
    low = next(i for i, line in enumerate(lines) if "[Low rungs]" in line)
    nuke = lines.index(row_of("\n".join(lines), "nuke"))
    tense = lines.index(row_of("\n".join(lines), "tense"))
    crisis = lines.index(row_of("\n".join(lines), "crisis"))
    assert sep < high < nuke < crisis < low < tense


def test_text_lists_jumps_and_guarded_edges(toy: Ladder) -> None:
    text = render_text(toy)
    assert "crisis -> nuke  jump, trigger only, guard: tension >= 8" in text
    assert "calm -> tense  neighbour move, guard: step >= 2" in text


def test_text_bundled_jump() -> None:
    if not BUNDLED.is_file():
        pytest.skip("ladders/belarus-2024.yaml is not there yet")
    text = render_text(load_ladder(BUNDLED))
    assert re.search(r"mp_crisis -> nuclear_use  jump, trigger only", text)


def test_text_unknown_start(toy: Ladder) -> None:
    with pytest.raises(InputError, match="unknown start stage"):
        render_text(toy, start="nowhere")


# -- scenario text ----------------------------------------------------------------------------


def test_scenario_text(scenario_path: Path) -> None:
    scenario = load_scenario(scenario_path)
    text = render_scenario_text(scenario)
    assert text.startswith("toy-scenario: Toy scenario\n")
    assert "toy: Toy ladder: a test" in text
    assert "<- start" in row_of(text, "tense")
    assert stage_order(text) == list(reversed(scenario.ladder.stage_ids))
    assert "step day" in text and "horizon 10 steps" in text and "2024-05-27" in text
    assert "initial 1.5" in text and "decay beta(9, 1)" in text
    assert "red: Red state (state)" in text
    assert "crowd: crowd (population, count uniform(20, 60))" in text
    assert re.search(r"escalate: effect 1; trigger -> crisis; allowed at tense; weight 0.1", text)
    assert "push: effect 0.5; weight 2" in text
    assert "Border closed: at step 3 (2024-05-30): set actors.red.policy.weights.push = 3" in text
    assert "Talks: when stage >= crisis: tension add -1" in text
    assert render(scenario, "text") == text


# -- Mermaid ----------------------------------------------------------------------------------


def test_mermaid_structure(any_ladder: Ladder) -> None:
    out = render_mermaid(any_ladder)
    lines = out.splitlines()
    assert lines[0] == "stateDiagram-v2"
    for sid in any_ladder.stage_ids:
        assert sum(1 for line in lines if re.fullmatch(rf'\s+state "[^"]*" as {sid}', line)) == 1
    assert sum(1 for line in lines if " as " in line and "state " in line) == len(
        any_ladder.stages)
    transitions = [line for line in lines if "-->" in line]
    assert transitions
    for line in transitions:
        assert TRANSITION.match(line), line
    first = any_ladder.stage_ids[0]
    assert f"    [*] --> {first}" in lines
    for s in any_ladder.stages:
        assert (f"    {s.id} --> [*]" in lines) == s.absorbing
        if s.absorbing:
            assert [line for line in transitions if line.startswith(f"    {s.id} --> ")] == [
                f"    {s.id} --> [*]"]
    for e in any_ladder.edges:
        if e.jump:
            assert any(line.startswith(f"    {e.source} --> {e.target} : jump (trigger only)")
                       for line in lines)


def test_mermaid_labels(toy: Ladder) -> None:
    lines = render_mermaid(toy, start="tense").splitlines()
    assert "    [*] --> tense" in lines
    assert "    calm --> tense : tension >= 2 if step >= 2" in lines
    assert "    tense --> calm : tension <= 1 for 3 steps" in lines
    assert "    crisis --> tense : tension <= 3 for 1 step" in lines
    assert "    crisis --> war : trigger" in lines
    assert "    crisis --> nuke : jump (trigger only) if tension >= 8" in lines
    assert not any(line.startswith("    war --> ") and "[*]" not in line for line in lines)


def test_mermaid_escapes_names(toy: Ladder) -> None:
    out = render_mermaid(toy)
    line = next(line for line in out.splitlines() if line.endswith(" as tense"))
    assert re.fullmatch(r'\s+state "[^"#]*" as tense', line), line
    assert "'hot'" in line and "Tense:" in line


def test_mermaid_label_sanitizer() -> None:
    label = mermaid_label('a: b; {c} "d" #e\nf')
    assert re.fullmatch(r'[^:;{}"#\n]+', label)
    assert mermaid_label("") == "-"


# -- DOT --------------------------------------------------------------------------------------


def test_dot_structure(any_ladder: Ladder) -> None:
    out = render_dot(any_ladder)
    assert out.startswith(f'digraph "{any_ladder.id}" {{')
    assert "rankdir=BT;" in out
    skeleton = dot_skeleton(out)
    depth = 0
    for ch in skeleton:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0
    assert skeleton.rstrip().endswith("}")
    assert skeleton.count('"') % 2 == 0
    for s in any_ladder.stages:
        node = re.search(rf'^  "{s.id}" \[(.*)\];$', out, re.M)
        assert node, s.id
        assert ("peripheries=2" in node.group(1)) == s.absorbing
    for e in any_ladder.edges:
        if e.jump:
            assert re.search(rf'"{e.source}" -> "{e.target}" \[label="jump \(trigger only\)', out)


def test_dot_edges_match_mermaid(toy: Ladder) -> None:
    dot = render_dot(toy)
    drawn = set(re.findall(r'^  "(\w+)" -> "(\w+)" \[label=', dot, re.M))
    mermaid = {(a, b) for a, b in re.findall(r"^\s+(\w+) --> (\w+) : ", render_mermaid(toy), re.M)}
    assert drawn == mermaid
    assert '"crisis" -> "nuke" [label="jump (trigger only) if tension >= 8"' in dot
    assert '"__start" -> "calm"' in dot


def test_dot_escapes_names(toy: Ladder) -> None:
    dot = render_dot(toy)
    node = re.search(r'^  "tense" \[label=("(?:[^"\\]|\\.)*")', dot, re.M)
    assert node
    assert r'\"hot\"' in node.group(1)
    assert dot_unquote(node.group(1)[1:-1]) == '1  Tense: "hot" {phase}; #1\ntense'
    assert 'label="--- Don\'t Rock the Boat ---\\nHigh rungs"' in dot


# -- dispatch ---------------------------------------------------------------------------------


def test_render_dispatch(toy: Ladder, toy_path: Path, scenario_path: Path) -> None:
    assert render(toy, "text") == render_text(toy)
    assert render(toy, "mermaid") == render_mermaid(toy)
    assert render(toy, "dot") == render_dot(toy)
    assert render(toy_path, "text") == render_text(toy)
    assert render(str(toy_path), "mermaid") == render_mermaid(toy)
    scenario = load_scenario(scenario_path)
    assert render(scenario, "mermaid") == render_mermaid(toy, start="tense")
    assert render(scenario, "dot") == render_dot(toy, start="tense")
    assert "    [*] --> tense" in render(scenario_path, "mermaid").splitlines()


def test_render_unknown_format(toy: Ladder) -> None:
    with pytest.raises(InputError) as info:
        render(toy, "svg")
    for fmt in FORMATS:
        assert fmt in str(info.value)


def test_render_rejects_other_objects() -> None:
    with pytest.raises(InputError):
        render(42, "text")  # type: ignore[arg-type]


# -- ladder order and actors in the diagrams ----------------------------------------------------

RUSSIA = ROOT / "ladders" / "russia-2024-nuclear.yaml"
BELARUS_POLAND = ROOT / "scenarios" / "belarus-poland-2024-tension.yaml"


def test_mermaid_lists_the_chain_up_first_then_down_then_jumps() -> None:
    """Mermaid (dagre) breaks the up/down cycles by a depth-first walk in the order edges are
    written: with the chain of moves up first, the walk climbs the ladder and the Russia
    ladder keeps its order (Mermaid 11 in chromium: deterrence at the bottom, nuclear_use at
    the top, each stage above the one before)."""
    ladder = load_ladder(RUSSIA)
    ids = ladder.stage_ids
    pairs = re.findall(r"^    (\w+) --> (\w+) : ", render_mermaid(ladder), re.M)
    steps = [ids.index(b) - ids.index(a) for a, b in pairs]
    chain = [(a, b) for a, b in zip(ids, ids[1:], strict=False)
             if not ladder.stages[ids.index(a)].absorbing]
    assert pairs[:len(chain)] == chain  # the whole chain, lowest first
    downs = [i for i, s in enumerate(steps) if s == -1]
    jumps = [i for i, s in enumerate(steps) if abs(s) > 1]
    assert downs and jumps and max(downs) < min(jumps) and min(downs) == len(chain)
    # DOT: the invisible chain holds the ranks; no drawn edge moves them
    dot = render_dot(ladder)
    invisible = re.findall(r'^  "(\w+)" -> "(\w+)" \[style=invis\];', dot, re.M)
    assert invisible == list(zip(ids, ids[1:], strict=False))
    drawn = re.findall(r'^  "\w+" -> "\w+" \[label=.*\];$', dot, re.M)
    assert drawn and all("constraint=false" in line for line in drawn)


def test_actors_and_their_triggers_in_mermaid_and_dot(capsys) -> None:
    from sim.cli import main

    scenario = load_scenario(BELARUS_POLAND)
    plain = render(scenario, "mermaid")
    out = render(scenario, "mermaid", actors=True)
    assert out.startswith(plain.rstrip("\n"))  # the ladder as without --actors, then actors
    lines = out.splitlines()
    for a in scenario.actors:
        assert f'    state "{a.name}" as actor_{a.id}' in lines
    assert "    actor_minsk --> mp_crisis : declare_mp_crisis (at border_incident)" in lines
    assert "    actor_minsk --> nuclear_use : preventive_nuclear_use (at mp_crisis)" in lines
    assert lines[-1].startswith("    class actor_minsk,") and lines[-1].endswith(" actor")
    assert any(line.startswith("    classDef actor ") for line in lines)
    for line in lines[1:]:
        assert TRANSITION.match(line) or "-->" not in line, line
    dot = render(scenario, "dot", actors=True)
    assert '  subgraph "cluster_actors" {' in dot
    assert ('  "actor_minsk" -> "use_of_force" [label="use_force (at mp_crisis)", '
            'constraint=false, style=dashed' in dot)
    assert dot.count("shape=ellipse") == len(scenario.actors)
    assert render(scenario, "dot") == render_dot(scenario.ladder, scenario.start)
    with pytest.raises(InputError, match="a ladder has none"):
        render(scenario.ladder, "mermaid", actors=True)
    assert main(["show", str(BELARUS_POLAND), "--format", "dot", "--actors"]) == 0
    assert capsys.readouterr().out == dot + "\n"
    assert main(["show", str(RUSSIA), "--format", "mermaid", "--actors"]) == 2
    assert "a ladder has none" in capsys.readouterr().err
