"""The bundled library: every ladder and scenario validates, the library ladders cite their
sources stage by stage, and Kahn's ladder keeps his 44 rungs and six thresholds exactly.

Kahn's names are hard-coded below, copied from REFERENCE.md section 4 (the project's fact
sheet, kept outside this repository). When REFERENCE.md is available (next to the checkout
at ../shared/REFERENCE.md, or wherever LADDER_REFERENCE points), a test parses its list and
checks the copy against it, so the copy cannot drift from the source unnoticed.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from sim.cli import main
from sim.format.ladder import Ladder, load_ladder
from sim.format.validate import validate_file, yaml_files
from sim.present.diagrams import render_mermaid
from sim.present.show import render_text

ROOT = Path(__file__).resolve().parents[1]
LADDERS = ROOT / "ladders"
DOCS = (ROOT / "docs" / "ladders.md").read_text(encoding="utf-8")

BUNDLED_FILES = yaml_files([str(LADDERS), str(ROOT / "scenarios")])[0]
LADDER_FILES = sorted(LADDERS.glob("*.yaml"))
# Teaching ladders (`examples-*.yaml`, used by scenarios/examples/ and the docs of the exact
# analysis) are not encodings of a doctrine: they need top-level sources, but not a
# description and a source on every stage. Every other ladder is a library ladder.
LIBRARY_FILES = [p for p in LADDER_FILES if not p.name.startswith("examples-")]

# Copied from REFERENCE.md section 4 (Herman Kahn, On Escalation, 1965), rung 1 first.
KAHN_RUNGS = [
    "Ostensible Crisis",
    "Political, Economic, and Diplomatic Gestures",
    "Solemn and Formal Declarations",
    "Hardening of Positions—Confrontation of Wills",
    "Show of Force",
    "Significant Mobilization",
    '"Legal" Harassment—Retortions',
    "Harassing Acts of Violence",
    "Dramatic Military Confrontations",
    "Provocative Breaking Off of Diplomatic Relations",
    "Super-Ready Status",
    "Large Conventional War (or Actions)",
    "Large Compound Escalation",
    "Declaration of Limited Conventional War",
    "Barely Nuclear War",
    'Nuclear "Ultimatums"',
    "Limited Evacuation (Approximately 20 Percent)",
    "Spectacular Show or Demonstration of Force",
    '"Justifiable" Counterforce Attack',
    '"Peaceful" World-Wide Embargo or Blockade',
    "Local Nuclear War—Exemplary",
    "Declaration of Limited Nuclear War",
    "Local Nuclear War—Military",
    "Unusual, Provocative, and Significant Countermeasures",
    "Evacuation (Approximately 70 Percent)",
    "Demonstration Attack on Zone of Interior",
    "Exemplary Attack on Military",
    "Exemplary Attacks Against Property",
    "Exemplary Attacks on Population",
    "Complete Evacuation (Approximately 95 Percent)",
    "Reciprocal Reprisals",
    'Formal Declaration of "General" War',
    'Slow-Motion Counter-"Property" War',
    "Slow-Motion Counterforce War",
    "Constrained Force-Reduction Salvo",
    "Constrained Disarming Attack",
    "Counterforce-with-Avoidance Attack",
    "Unmodified Counterforce Attack",
    "Slow-Motion Countercity War",
    "Countervalue Salvo",
    "Augmented Disarming Attack",
    "Civilian Devastation Attack",
    "Some Other Kinds of Controlled General War",
    "Spasm or Insensate War",
]
# (group name, threshold above it, first rung, last rung), from REFERENCE.md section 4.
KAHN_GROUPS = [
    ("Subcrisis maneuvering", "Don't Rock the Boat", 1, 3),
    ("Traditional crises", "Nuclear War Is Unthinkable", 4, 9),
    ("Intense crises", "No Nuclear Use", 10, 20),
    ("Bizarre crises", "Central Sanctuary", 21, 25),
    ("Exemplary central attacks", "Central War", 26, 31),
    ("Military central wars", "City Targeting", 32, 38),
    ("Civilian central wars", "", 39, 44),
]


@pytest.fixture(scope="module")
def kahn() -> Ladder:
    return load_ladder(LADDERS / "kahn-1965.yaml")


# -- every bundled file -------------------------------------------------------------------------


@pytest.mark.parametrize("path", BUNDLED_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_bundled_file_validates(path):
    errors = [str(p) for p in validate_file(path) if not p.warning]
    assert errors == []


def test_cli_validates_ladders_and_scenarios(capsys):
    assert main(["validate", str(LADDERS), str(ROOT / "scenarios")]) == 0
    assert " 0 error(s)" in capsys.readouterr().err


@pytest.mark.parametrize("path", LADDER_FILES, ids=lambda p: p.name)
def test_every_ladder_has_sources(path):
    ladder = load_ladder(path)
    assert ladder.sources and all(s.strip() for s in ladder.sources), ladder.id


@pytest.mark.parametrize("path", LIBRARY_FILES, ids=lambda p: p.name)
def test_library_ladder_cites_every_stage(path):
    ladder = load_ladder(path)
    assert ladder.description.strip(), ladder.id
    assert [s.id for s in ladder.stages if not s.description.strip()] == []
    assert [s.id for s in ladder.stages if not s.source.strip()] == []


@pytest.mark.parametrize("path", LIBRARY_FILES, ids=lambda p: p.name)
def test_library_ladder_is_documented(path):
    ladder = load_ladder(path)
    assert f"## {ladder.id}" in DOCS and f"ladders/{path.name}" in DOCS, ladder.id


# -- Kahn's ladder ------------------------------------------------------------------------------


def test_kahn_has_44_rungs_in_order(kahn):
    assert [s.name for s in kahn.stages] == KAHN_RUNGS
    assert [s.level for s in kahn.stages] == list(range(1, 45))
    assert [s.id for s in kahn.stages if s.absorbing] == ["spasm_war"]


def test_kahn_thresholds_are_groups(kahn):
    ids = kahn.stage_ids
    got = [(g.name, g.threshold, ids.index(g.first) + 1, ids.index(g.last) + 1)
           for g in kahn.groups]
    assert got == KAHN_GROUPS


# The thresholds the ladder makes firebreaks: the rung below each has no `up` (header comment).
KAHN_FIREBREAKS = {"No Nuclear Use", "Central Sanctuary", "City Targeting"}


def test_kahn_threshold_numbers_follow_the_rule_in_the_header(kahn):
    """up(r) = entry(r + 1), down(r) = entry(r) - 1.5, entry(r) = r + 2 * thresholds below r;
    the rung just below a firebreak has no up."""
    bounds = [last for _, threshold, _, last in KAHN_GROUPS if threshold]
    below_firebreaks = {last for _, threshold, _, last in KAHN_GROUPS
                        if threshold in KAHN_FIREBREAKS}
    assert below_firebreaks == {20, 25, 38}

    def entry(r: int) -> float:
        return r + 2 * sum(b < r for b in bounds)

    for r, stage in enumerate(kahn.stages[:-1], start=1):
        assert stage.up == (None if r in below_firebreaks else entry(r + 1)), stage.id
        assert stage.down == (None if r == 1 else entry(r) - 1.5), stage.id
        assert stage.dwell == 1, stage.id


def reference_path() -> Path | None:
    candidates = [os.environ.get("LADDER_REFERENCE"), ROOT.parent / "shared" / "REFERENCE.md",
                  ROOT / "REFERENCE.md"]
    for c in candidates:
        if c and Path(c).is_file():
            return Path(c)
    return None


def parse_kahn(text: str) -> tuple[list[str], list[tuple[str, str, int, int]]]:
    """Rungs and groups from REFERENCE.md section 4 (`Group: 1 Name · 2 Name ...`, with
    `— *Name* threshold —` between groups), in the shape of KAHN_RUNGS and KAHN_GROUPS."""
    section = re.search(r"^## 4\..*?$(.*?)^## 5\.", text, re.S | re.M)
    assert section, "REFERENCE.md has no section 4"
    body = section.group(1).split("\n(List checked")[0]
    flat = " ".join(line.strip() for line in body.strip().splitlines())
    parts = re.split(r"\s*— \*(.+?)\* threshold —\s*", flat)
    blocks, thresholds = parts[0::2], parts[1::2] + [""]
    rungs: list[str] = []
    groups = []
    for block, threshold in zip(blocks, thresholds, strict=True):
        name, _, items = block.partition(": ")
        first = len(rungs) + 1
        for item in items.rstrip(".").split(" · "):
            number, rung = re.fullmatch(r"(\d+) (.+)", item.strip()).groups()
            assert int(number) == len(rungs) + 1, item
            rungs.append(rung)
        groups.append((name, threshold, first, len(rungs)))
    return rungs, groups


def test_kahn_copy_matches_reference():
    path = reference_path()
    if path is None:
        pytest.skip("REFERENCE.md not found (set LADDER_REFERENCE to its path)")
    text = path.read_text(encoding="utf-8")
    rungs, groups = parse_kahn(text)
    assert rungs == KAHN_RUNGS
    assert groups == KAHN_GROUPS
    after = re.search(r"thresholds fall after rungs ([\d, and]+)", text)
    assert after, "REFERENCE.md no longer says where the thresholds fall"
    assert [int(n) for n in re.findall(r"\d+", after.group(1))] == [
        last for _, threshold, _, last in KAHN_GROUPS if threshold]


def test_kahn_text_view_shows_thresholds_between_the_right_rungs(kahn):
    lines = render_text(kahn).splitlines()
    rows = [i for i, line in enumerate(lines) if re.match(r"\s+\d+\s", line)]
    assert len(rows) == 44
    assert [lines[i].split()[1] for i in rows] == list(reversed(kahn.stage_ids))
    for _, threshold, _, last in KAHN_GROUPS[:-1]:
        at = lines.index(f"--- {threshold} ---")
        above = [i for i in rows if i < at][-1]
        below = [i for i in rows if i > at][0]
        assert int(lines[above].split()[0]) == last + 1, threshold
        assert int(lines[below].split()[0]) == last, threshold


def test_kahn_mermaid_view_draws_every_rung(kahn):
    text = render_mermaid(kahn)
    assert text.startswith("stateDiagram-v2\n")
    states = re.findall(r'^    state "([^"]*)" as (\w+)$', text, re.M)
    assert [sid for _, sid in states] == list(kahn.stage_ids)
    # Mermaid cannot show a double quote inside a state name: the renderer uses ' instead.
    assert [name for name, _ in states] == [n.replace('"', "'") for n in KAHN_RUNGS]
    moves = re.findall(r"^    (\w+) --> (\w+) : ", text, re.M)
    assert len(moves) == 43 + 42  # 43 rungs move up, 42 of them (all but rung 1) move down
    # the three firebreaks are drawn as moves by decision, not by tension
    assert re.findall(r"^    (\w+) --> (\w+) : trigger$", text, re.M) == [
        ("world_wide_embargo", "local_nuclear_exemplary"),
        ("evacuation_70", "demonstration_attack"),
        ("unmodified_counterforce", "slow_countercity_war")]
    assert "    spasm_war --> [*]" in text


# -- the doctrine ladders: decisions are never drift --------------------------------------------


@pytest.mark.parametrize("ladder_file, top", [
    ("russia-2024-nuclear.yaml", "nuclear_use"),
    ("poland-nato-response.yaml", "article_5"),
    ("belarus-2024.yaml", "nuclear_use"),
])
def test_top_rung_is_reached_only_by_decision(ladder_file, top):
    ladder = load_ladder(LADDERS / ladder_file)
    i = ladder.index(top)
    assert ladder.stages[i].absorbing
    below = ladder.stages[i - 1]
    assert below.absorbing or below.up is None, "no drift into the top rung"


def test_russia_conditions_lead_to_nuclear_use_by_decision_only():
    ladder = load_ladder(LADDERS / "russia-2024-nuclear.yaml")
    into = {e.source for e in ladder.edges if e.target == "nuclear_use"}
    assert into == {"critical_threat", "massive_air_attack", "ballistic_launch",
                    "critical_sites_attack", "wmd_use"}
    lower = ladder.stage_ids[:ladder.index("critical_threat")]
    assert not any(e.target == "nuclear_use" for e in ladder.edges if e.source in lower)


# -- docs/scenarios.md: the worked example works as written -----------------------------------

SCENARIOS_DOC = ROOT / "docs" / "scenarios.md"
_BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```$", re.S | re.M)


def doc_blocks(path: Path = SCENARIOS_DOC) -> list[tuple[str, str | None, str]]:
    """(language, title or None, text) of every fenced block, in order."""
    out = []
    for lang, info, text in _BLOCK.findall(path.read_text(encoding="utf-8")):
        title = re.search(r'title="([^"]+)"', info)
        out.append((lang, title.group(1) if title else None, text))
    return out


def contained(part: object, whole: object) -> bool:
    """A YAML fragment is part of a file: its mappings' keys are there with contained values,
    each of its list items is one of the file's items, and its scalars are equal."""
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(
            k in whole and contained(v, whole[k]) for k, v in part.items())
    if isinstance(part, list):
        return isinstance(whole, list) and all(
            any(contained(p, w) for w in whole) for p in part)
    return part == whole


def test_scenarios_doc_worked_example_runs_as_written(tmp_path, monkeypatch, capsys):
    """Every titled YAML block is written and must load; every untitled fragment must be part
    of the next full file; every `ladder ...` command must exit 0; a text block right after a
    command block must be (apart from '...' lines) in what those commands printed."""
    import shlex

    import yaml

    from sim.format.scenario import read_scenario

    shutil.copytree(LADDERS, tmp_path / "ladders")
    monkeypatch.chdir(tmp_path)
    blocks = doc_blocks()
    assert sum(1 for lang, title, _ in blocks if lang == "yaml" and title) >= 3
    fragments: list[object] = []
    last_output: str | None = None
    checked_outputs = 0
    for lang, title, text in blocks:
        if lang == "yaml" and title:
            path = tmp_path / title
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            read_scenario(path)  # raises on any error
            whole = yaml.safe_load(text)
            for fragment in fragments:
                assert contained(fragment, whole), (title, fragment)
            fragments = []
            last_output = None
        elif lang == "yaml":
            fragments.append(yaml.safe_load(text))
            last_output = None
        elif lang == "sh":
            capsys.readouterr()
            for line in text.splitlines():
                words = shlex.split(line, comments=True)
                if words and words[0] == "ladder":
                    assert main(words[1:]) == 0, line
            captured = capsys.readouterr()
            last_output = captured.out + captured.err
        elif lang == "text" and last_output is not None:
            for line in text.splitlines():
                if line.strip() != "...":
                    assert line in last_output, line
            checked_outputs += 1
            last_output = None
        else:
            last_output = None
    assert not fragments, "fragments after the last full file"
    assert checked_outputs >= 3


def test_scenarios_doc_error_example_is_real(tmp_path, capsys):
    """The misspelt weight of section 3 gives the error the doc shows."""
    shutil.copytree(LADDERS, tmp_path / "ladders")
    first = next(text for lang, title, text in doc_blocks()
                 if lang == "yaml" and title == "my-scenarios/border.yaml")
    path = tmp_path / "my-scenarios" / "border.yaml"
    path.parent.mkdir()
    path.write_text(first.replace("push: 4,", "pussh: 4,"), encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    out = capsys.readouterr().out.strip()
    expected = out.replace(str(path), "my-scenarios/border.yaml")
    assert expected in SCENARIOS_DOC.read_text(encoding="utf-8")


def test_scenarios_doc_and_validation_doc_are_listed_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for doc in ("docs/scenarios.md", "docs/validation.md", "docs/ladders.md"):
        assert f"`{doc}`" in readme, doc
