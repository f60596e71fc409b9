"""Figures quoted in a bundled file's comments are re-measured, so they cannot go stale.

A file quotes them under a marker line, then indented comment lines of `stage p% [lo, hi]`:

    # measured: ladder run --seed 7 --runs 10000 gives P(reach) (Wilson 95%):
    #   border_incident 69.9% [69.0, 70.8], mp_crisis 15.1% [14.4, 15.8]

The test runs exactly that command and compares each figure at the one decimal quoted. A
figure named `key:stage` is a stage of the coupled ladder `key`.
"""

from __future__ import annotations

import json
import re

import pytest

from sim.cli import main
from tests.helpers import ROOT

MARKER = re.compile(r"^# measured: ladder run --seed (\d+) --runs (\d+) gives P\(reach\) "
                    r"\(Wilson 95%\):$")
FIGURE = re.compile(r"([\w:]+) ([\d.]+)% \[([\d.]+), ([\d.]+)\]")  # `key:stage`: a coupled ladder


def quoted(path):
    """(seed, runs, {stage: (p, lo, hi) as quoted}) for each marker in the file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        m = MARKER.match(line)
        if not m:
            continue
        figures = {}
        for follow in lines[i + 1:]:
            if not follow.startswith("#   "):
                break
            figures |= {f[0]: f[1:] for f in FIGURE.findall(follow)}
        yield int(m[1]), int(m[2]), figures


FILES = [p for p in sorted((ROOT / "scenarios").rglob("*.yaml")) if list(quoted(p))]


def test_the_seed_file_quotes_measured_figures():
    assert ROOT / "scenarios" / "belarus-poland-2024.yaml" in FILES


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_quoted_figures_are_what_a_run_gives(path, capsys):
    for seed, runs, figures in quoted(path):
        assert figures, f"{path.name}: a marker with no figures under it"
        assert main(["run", str(path), "--seed", str(seed), "--runs", str(runs),
                     "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        for stage, (p, lo, hi) in figures.items():
            key, _, name = stage.rpartition(":")
            got = (out["ladders"][key]["reach"] if key else out["reach"])[name]
            assert (f"{100 * got['p']:.1f}", f"{100 * got['lo']:.1f}",
                    f"{100 * got['hi']:.1f}") == (p, lo, hi), (path.name, stage)
