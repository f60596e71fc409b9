"""`ladder run --out` writes its per-run tables chunk by chunk (sim/engine/stream.py): the
same bytes as the whole table written at once, a parquet row group per chunk, only the
chunks' rows in memory; and `compare` reads back only the columns it pairs runs on."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.analyses.compare import from_folder, from_result
from sim.engine import memory
from sim.engine.results import write_results
from tests.helpers import ROOT
from tests.test_cli import cli

GAMBLER = ROOT / "scenarios" / "examples" / "gamblers-ruin.yaml"
SEED = ROOT / "scenarios" / "belarus-poland-2024.yaml"  # three ladders: coupled columns
RUNS = 20_001  # three chunks, the last of one run


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> tuple[Path, Path]:
    """The same runs streamed by the CLI and written at once from a run kept in memory."""
    tmp = tmp_path_factory.mktemp("stream")
    streamed, whole = tmp / "streamed", tmp / "whole"
    assert sim.cli.main(["run", str(GAMBLER), "--runs", str(RUNS), "--seed", "5",
                         "--json", "--out", str(streamed)]) == 0
    result = sim.run(sim.load_scenario(GAMBLER), runs=RUNS, seed=5)
    write_results(result, whole)
    return streamed, whole


def test_streamed_tables_are_the_whole_tables_byte_for_byte(folders):
    streamed, whole = folders
    for name in ("runs.csv", "moves.csv", "occupancy.csv", "incidence.csv", "tension.csv"):
        assert (streamed / name).read_bytes() == (whole / name).read_bytes(), name
    a, b = (json.loads((f / "summary.json").read_text()) for f in folders)
    a.pop("timing"), b.pop("timing")
    assert a == b
    manifest = json.loads((streamed / "manifest.json").read_text())
    assert list(manifest["files"])[:3] == ["summary.json", "runs.csv", "runs.parquet"]
    assert manifest["runs"] == RUNS and manifest["partial"] is False


def test_parquet_has_a_row_group_per_chunk_and_the_same_rows(folders):
    pq = pytest.importorskip("pyarrow.parquet")
    streamed, whole = folders
    for name in ("runs.parquet", "moves.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(streamed / name),
                                      pd.read_parquet(whole / name))
    assert pq.ParquetFile(streamed / "runs.parquet").num_row_groups == 3
    loaded = sim.load_results(streamed)
    assert len(loaded.runs) == RUNS and loaded.runs["run"].tolist()[-2:] == [19_999, 20_000]


def test_compact_integer_types_in_the_table_and_the_kept_arrays(folders):
    runs = sim.load_results(folders[0]).runs
    counts = [c for c in runs.columns if c.count(".") == 1]
    assert counts and all(str(runs[c].dtype) == "int32" for c in [*counts, "steps"])
    assert str(runs["run"].dtype) == "int64"
    part = sim.run(sim.load_scenario(GAMBLER), runs=50, seed=5).totals.per_run[0]
    assert part["peak"].dtype.name == "int8" and part["first"].dtype.name == "int32"


def test_compare_reads_only_the_outcome_columns(folders, monkeypatch):
    """The per-run table is read with only peak, final, absorbed and first_<stage> (its
    column names are read for pairing), and gives the outcomes of the same runs in memory."""
    pytest.importorskip("pyarrow")  # compare reads runs.parquet when it can
    streamed = folders[0]
    asked = []
    real = pd.read_parquet

    def read_parquet(path, columns=None, **kw):
        asked.append(columns)
        return real(path, columns=columns, **kw)

    monkeypatch.setattr(pd, "read_parquet", read_parquet)
    outcomes = from_folder(streamed)
    stages = json.loads((streamed / "summary.json").read_text())["stages"]
    assert asked == [["peak", "final", "absorbed", *(f"first_{s}" for s in stages)]]
    kept = from_result(sim.run(sim.load_scenario(GAMBLER), runs=RUNS, seed=5), "memory")
    for field in ("peak", "final", "first", "absorbed"):
        assert (getattr(outcomes, field) == getattr(kept, field)).all(), field
    assert outcomes.structure == kept.structure


def test_a_coupled_scenario_streams_its_ladders_columns(tmp_path, capsys):
    out = tmp_path / "o"
    code, _, _ = cli(capsys, "run", SEED, "--runs", 300, "--horizon", 40, "--out", out)
    assert code == 0
    runs = pd.read_csv(out / "runs.csv")
    assert {"nato.peak", "russia.final"} <= set(runs.columns) and len(runs) == 300
    result = sim.run(sim.load_scenario(SEED, {"clock.horizon": 40}), runs=300)
    write_results(result, tmp_path / "w")
    assert (out / "runs.csv").read_bytes() == (tmp_path / "w" / "runs.csv").read_bytes()


def test_the_estimate_of_a_streamed_run_does_not_grow_with_runs():
    scenario = sim.load_scenario(SEED)
    small, large = (memory.estimate([scenario], n, streamed=True).total
                    for n in (30_000, 10_000_000))
    assert small == large
    held = memory.estimate([scenario], 10_000_000, models=2, streamed=True)
    assert held.kept == 3 * 10_000 * memory.per_run_bytes(scenario, True)


def test_a_run_whose_tables_will_not_fit_stops_after_its_first_chunk(tmp_path, capsys,
                                                                    monkeypatch):
    """The bytes a run took on the first chunk, times the runs asked for, against the free
    disk: refused at once (exit 2), the previous folder intact, no temporary left."""
    import shutil

    from sim.engine import stream

    out = tmp_path / "o"
    assert cli(capsys, "run", GAMBLER, "--runs", 100, "--out", out)[0] == 0
    before = (out / "manifest.json").read_bytes()
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(stream.shutil, "disk_usage",
                        lambda path: usage._replace(free=2 * 1024**2))
    code, _, err = cli(capsys, "run", GAMBLER, "--runs", 10_000_000, "--out", out)
    assert code == 2
    assert err.startswith(f"ladder: error: cannot write {out}: its per-run tables need about ")
    assert "for 10,000,000 runs (" in err and "bytes a run on the first chunk) and the disk " \
        "has only 2.0 MiB free; the previous folder is intact" in err
    assert (out / "manifest.json").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["o"]
