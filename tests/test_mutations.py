"""Mutations of every bundled file never give a traceback (issue 12, item 8).

Hypothesis takes a bundled ladder or scenario, makes one mutation at one place in it (delete
a key or item, a wrong type, an unknown id, an extreme number) and runs `ladder validate` on
the result inside a copy of the project. The command must end with exit 0, or exit 2 and a
message that names the file; never an exception. A mutant that validates is also simulated
briefly, and every number in its summary must be finite (no silently wrong answer from an
extreme value that got through).
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.cli import main
from tests.helpers import ROOT

BUNDLED = sorted([*ROOT.glob("ladders/*.yaml"), *ROOT.glob("scenarios/**/*.yaml")])
WRONG_TYPES = [[], {}, "text", 3, True, None, [1, 2], {"uniform": [1, 2]}]
EXTREMES = [1e308, -1e308, 1e-300, 10**20, 0, -1, 1e6, 0.5]


def places(tree: object, path: tuple = ()) -> list[tuple]:
    """Every path to a value inside a YAML tree (keys of mappings, indexes of lists)."""
    out = []
    if isinstance(tree, dict):
        for key, value in tree.items():
            out.append((*path, key))
            out += places(value, (*path, key))
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            out.append((*path, i))
            out += places(value, (*path, i))
    return out


def mutate(tree: object, where: tuple, kind: str, pick: int) -> None:
    parent = tree
    for step in where[:-1]:
        parent = parent[step]
    key, value = where[-1], parent[where[-1]]
    if kind == "delete":
        del parent[key]
    elif kind == "wrong_type":
        parent[key] = WRONG_TYPES[pick % len(WRONG_TYPES)]
    elif kind == "unknown_id":
        parent[key] = "no_such_id" if isinstance(value, str) else value
    elif kind == "extreme":
        parent[key] = EXTREMES[pick % len(EXTREMES)] if isinstance(value, int | float) \
            and not isinstance(value, bool) else value


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the bundled ladders and scenarios, to write mutants beside."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT / "ladders", root / "ladders")
    shutil.copytree(ROOT / "scenarios", root / "scenarios")
    return root


def finite_numbers(node: object) -> bool:
    if isinstance(node, dict):
        return all(finite_numbers(v) for v in node.values())
    if isinstance(node, list):
        return all(finite_numbers(v) for v in node)
    if isinstance(node, float):
        return math.isfinite(node)
    return True


@settings(max_examples=120, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_a_mutated_bundled_file_exits_0_or_2_never_a_traceback(data, project, capsys):
    source = data.draw(st.sampled_from(BUNDLED), label="file")
    tree = yaml.safe_load(source.read_text(encoding="utf-8"))
    where = data.draw(st.sampled_from(places(tree)), label="where")
    kind = data.draw(st.sampled_from(["delete", "wrong_type", "unknown_id", "extreme"]),
                     label="kind")
    mutate(tree, where, kind, data.draw(st.integers(0, 100), label="pick"))
    folder = "ladders" if source.parent.name == "ladders" else "scenarios"
    mutant = project / folder / f"mutant-{source.stem}.yaml"
    mutant.write_text(yaml.safe_dump(tree, sort_keys=False, allow_unicode=True),
                      encoding="utf-8")
    try:
        code = main(["validate", str(mutant)])
        out = capsys.readouterr()
        assert code in (0, 2), (code, out)
        if code == 2:
            assert str(mutant) in out.out + out.err or "ladder: error:" in out.err, out
        elif folder == "scenarios":
            code = main(["run", str(mutant), "--runs", "200", "--horizon", "10", "--json"])
            out = capsys.readouterr()
            assert code in (0, 2), (code, out)
            if code == 0:
                assert finite_numbers(json.loads(out.out)), out.out
                result = sim.run(sim.load_scenario(mutant, {"clock.horizon": 10}), runs=200)
                assert np.isfinite(result.mean_tension.to_numpy()).all(), "tension not finite"
    finally:
        mutant.unlink()
