"""Tests for the `ladder` command line (sim.cli): validate, show and run.

Most tests call `sim.cli.main([...])` in this process (fast); a few run
`python -m sim.cli` in a subprocess to check exit codes, stderr and stdout end to end.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main
from sim.engine.results import RESULT_FILES, has_parquet

ROOT = Path(__file__).resolve().parents[1]
LADDER = ROOT / "ladders" / "belarus-2024-tension.yaml"
SCENARIO = ROOT / "scenarios" / "belarus-poland-2024-tension.yaml"
STAGES = ["peacetime", "hybrid_pressure", "border_incident", "mp_crisis", "use_of_force",
          "nuclear_use"]
ACTORS = ["minsk", "migrant_groups", "warsaw", "polish_border_forces", "nato", "russia"]
# The bundled scenario has dated events up to step 17 (13 June 2024); a horizon of 20 keeps
# the runs short and every event inside the run.
H = "20"

TOP_KEYS = {"scenario", "ladder", "runs", "seed", "horizon", "step", "stages", "reach", "final",
            "time_to", "absorbed", "provenance", "assumptions", "timing"}
PROVENANCE_KEYS = {"version", "seed", "runs", "scenario_sha256", "ladder_sha256", "mesa",
                   "numpy"}

MOVE_LADDER = """\
id: move
title: A two-rung ladder where any push moves up
stages:
  - id: a
    name: A
    up: 1
  - id: b
    name: B
    down: 0.5
"""

MOVE_SCENARIO = """\
id: move-scn
title: One actor that always pushes by +5
ladder: {ladder}
start: a
clock:
  horizon: {horizon}
actors:
  pusher:
    kind: state
    actions:
      push:
        effect: 5
    policy:
      weights: {{push: 1}}
"""

BAD_SCENARIO = f"""\
id: bad-scn
title: A scenario with a misspelt start stage
ladder: {LADDER}
start: hybrid_presure
clock:
  horizon: 10
actors:
  pusher:
    kind: state
    actions:
      push:
        effect: 0.1
    policy:
      weights: {{push: 1}}
"""

GOOD_SCENARIO = BAD_SCENARIO.replace("hybrid_presure", "hybrid_pressure").replace(
    "bad-scn", "good-scn")


def cli(capsys, *args) -> tuple[int, str, str]:
    """Run `ladder ARGS` in this process; return (exit code, stdout, stderr)."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # argparse: --help, usage errors
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    out, err = capsys.readouterr()
    return code, out, err


def cli_proc(*args, cwd=ROOT) -> subprocess.CompletedProcess:
    """Run `python -m sim.cli ARGS` in a subprocess."""
    return subprocess.run([sys.executable, "-m", "sim.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def run_json(capsys, *args) -> dict:
    code, out, err = cli(capsys, "run", SCENARIO, "--horizon", H, "--json", *args)
    assert code == 0, err
    return json.loads(out)


def without_timing(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k != "timing"}


def before_timing(text: str) -> str:
    """The JSON text up to the `timing` key (the last key): what must match byte for byte."""
    head, sep, _ = text.partition('"timing"')
    assert sep, "no timing key in the JSON output"
    return head


@pytest.fixture
def move_scenario(tmp_path) -> Path:
    (tmp_path / "move_ladder.yaml").write_text(MOVE_LADDER)
    path = tmp_path / "move.yaml"
    path.write_text(MOVE_SCENARIO.format(ladder="move_ladder.yaml", horizon=3))
    return path


# -- validate ---------------------------------------------------------------------------------


def test_validate_bundled_files(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, err = cli(capsys, "validate", "ladders", "scenarios")
    assert code == 0, out + err
    assert "0 error(s)" in err
    assert "Traceback" not in out + err


def test_validate_misspelt_stage_end_to_end(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_SCENARIO)
    proc = cli_proc("validate", bad)
    assert proc.returncode == 2
    text = proc.stdout + proc.stderr
    assert f"{bad}:4:" in text
    assert "did you mean 'hybrid_pressure'" in text
    assert "Traceback" not in text


def test_validate_folder_reports_only_the_bad_file(tmp_path, capsys):
    (tmp_path / "bad.yaml").write_text(BAD_SCENARIO)
    (tmp_path / "good.yaml").write_text(GOOD_SCENARIO)
    code, out, err = cli(capsys, "validate", tmp_path)
    assert code == 2
    assert "checked 2 file(s): 1 error(s)" in err
    errors = [line for line in out.splitlines() if line.strip() and "warning:" not in line]
    assert errors, out
    assert all(line.startswith(f"{tmp_path / 'bad.yaml'}:4: ") for line in errors), out
    # --quiet: errors only, so nothing at all about the good file
    code, out, err = cli(capsys, "validate", "--quiet", tmp_path)
    assert code == 2
    assert out.strip() and "good.yaml" not in out
    assert "did you mean 'hybrid_pressure'" in out


def test_validate_good_file_alone(tmp_path, capsys):
    (tmp_path / "good.yaml").write_text(GOOD_SCENARIO)
    code, out, err = cli(capsys, "validate", tmp_path / "good.yaml")
    assert code == 0, out + err


def test_validate_missing_path(tmp_path, capsys):
    missing = tmp_path / "nosuch"
    code, out, err = cli(capsys, "validate", missing)
    assert code == 2
    assert f"{missing}: no such file or folder" in out + err


# -- show -------------------------------------------------------------------------------------


def test_show_ladder_text_top_down(capsys):
    code, out, err = cli(capsys, "show", LADDER)
    assert code == 0, err
    positions = [out.index(f" {s} ") for s in STAGES]
    assert positions == sorted(positions, reverse=True), out


def test_show_mermaid_and_dot(capsys):
    code, out, err = cli(capsys, "show", LADDER, "--format", "mermaid")
    assert code == 0, err
    assert out.startswith("stateDiagram-v2")
    code, out, err = cli(capsys, "show", LADDER, "--format", "dot")
    assert code == 0, err
    assert out.startswith("digraph")


def test_show_scenario_lists_actors(capsys):
    code, out, err = cli(capsys, "show", SCENARIO)
    assert code == 0, err
    for actor in ACTORS:
        assert actor in out
    for stage in STAGES:
        assert stage in out


def test_show_bad_format_exits_2(capsys):
    code, _, err = cli(capsys, "show", LADDER, "--format", "svg")
    assert code == 2
    assert "invalid choice" in err


def test_show_into_closed_pipe_has_no_traceback():
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "show", str(LADDER)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # like `| head -0`: the reader is gone before anything is written
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    proc.stderr.close()
    assert "Traceback" not in err, err


# -- run: table and JSON ------------------------------------------------------------------------


def test_run_default_table(capsys):
    code, out, err = cli(capsys, "run", SCENARIO, "--runs", 2000, "--horizon", H)
    assert code == 0, err
    for stage in STAGES:
        assert stage in out
    assert "P(reach)" in out and "P(final)" in out
    assert "%" in out
    assert "not forecasts" in out
    assert any(line.startswith("provenance:") for line in out.splitlines()), out
    assert "2,000 runs of 20 days" in out


def test_run_json_end_to_end_is_pure_json():
    proc = cli_proc("run", SCENARIO, "--runs", 2000, "--horizon", H, "--seed", 3, "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)  # nothing but JSON on stdout
    assert summary["runs"] == 2000 and summary["seed"] == 3
    assert proc.stdout.endswith("}\n")
    assert "Traceback" not in proc.stderr


def check_proportion(entry: dict) -> None:
    assert set(entry) >= {"p", "lo", "hi", "se"}
    assert 0 <= entry["lo"] <= entry["p"] <= entry["hi"] <= 1


def test_run_json_contract(capsys):
    s = run_json(capsys, "--runs", 5000, "--seed", 7)
    assert set(s) == TOP_KEYS
    assert s["scenario"] == "belarus-poland-2024-tension"
    assert s["ladder"] == "belarus-2024-tension"
    assert (s["runs"], s["seed"], s["horizon"], s["step"]) == (5000, 7, 20, "day")
    assert s["stages"] == STAGES
    for part in ("reach", "final", "time_to"):
        assert list(s[part]) == STAGES, part
    for stage in STAGES:
        check_proportion(s["reach"][stage])
        check_proportion(s["final"][stage])
    check_proportion(s["absorbed"])
    assert abs(sum(s["final"][x]["p"] for x in STAGES) - 1) <= 1e-9
    reach = [s["reach"][x]["p"] for x in STAGES]
    assert all(a >= b for a, b in zip(reach, reach[1:], strict=False)), reach
    # stages at or below the start stage (hybrid_pressure) are reached at step 0
    for stage in STAGES[:2]:
        assert s["reach"][stage]["p"] == 1
        assert s["time_to"][stage] == {"reached": 5000, "median": 0, "q25": 0, "q75": 0,
                                       "median_ci": [0, 0], "q25_ci": [0, 0], "q75_ci": [0, 0]}
    for stage in STAGES:
        t = s["time_to"][stage]
        if t is None:
            assert s["reach"][stage]["p"] == 0
            continue
        assert set(t) == {"reached", "median", "q25", "q75", "median_ci", "q25_ci", "q75_ci"}
        assert 0 <= t["q25"] <= t["median"] <= t["q75"] <= 20
        for q in ("median", "q25", "q75"):  # each quantile inside its interval
            assert 0 <= t[f"{q}_ci"][0] <= t[q] <= t[f"{q}_ci"][1] <= 20, (stage, q)
        assert t["reached"] == round(s["reach"][stage]["p"] * 5000)
    # absorbed = ending in an absorbing stage
    assert s["absorbed"]["p"] == pytest.approx(
        s["final"]["use_of_force"]["p"] + s["final"]["nuclear_use"]["p"], abs=1e-9)
    prov = s["provenance"]
    assert set(prov) >= PROVENANCE_KEYS
    assert prov["seed"] == 7 and prov["runs"] == 5000
    assert prov["scenario_sha256"] == hashlib.sha256(SCENARIO.read_bytes()).hexdigest()
    assert prov["ladder_sha256"] == hashlib.sha256(LADDER.read_bytes()).hexdigest()
    assert set(s["timing"]) == {"seconds", "jobs"} and s["timing"]["jobs"] == 1


def test_run_jobs_do_not_change_results(capsys):
    outs = []
    for jobs in (1, 2):
        code, out, err = cli(capsys, "run", SCENARIO, "--runs", 25000, "--horizon", H,
                             "--seed", 11, "--jobs", jobs, "--json")
        assert code == 0, err
        outs.append(out)
    one, two = (json.loads(o) for o in outs)
    assert one["runs"] == two["runs"] == 25000
    assert (one["timing"]["jobs"], two["timing"]["jobs"]) == (1, 2)
    assert without_timing(one) == without_timing(two)
    assert before_timing(outs[0]) == before_timing(outs[1])  # byte for byte


def test_run_same_seed_same_numbers_other_seed_differs(capsys):
    texts = []
    for seed in (5, 5, 6):
        code, out, err = cli(capsys, "run", SCENARIO, "--runs", 3000, "--horizon", H,
                             "--seed", seed, "--json")
        assert code == 0, err
        texts.append(out)
    assert before_timing(texts[0]) == before_timing(texts[1])
    a, c = json.loads(texts[0]), json.loads(texts[2])
    assert a["seed"] == 5 and c["seed"] == 6
    assert a["reach"] != c["reach"]


def test_run_default_seed_and_runs_come_from_the_scenario(capsys):
    s = run_json(capsys, "--runs", 1000)
    assert s["seed"] == 7  # the scenario's `seed`
    assert s["provenance"]["seed_entropy"] == "7"


# -- run --out --------------------------------------------------------------------------------


def test_run_out_folder(tmp_path, capsys):
    out_dir = tmp_path / "results" / "base"  # parents are created
    runs = 12000  # two chunks, to check run numbering across chunks
    code, out, err = cli(capsys, "run", SCENARIO, "--runs", runs, "--horizon", H, "--seed", 2,
                         "--out", out_dir)
    assert code == 0, err
    assert "provenance:" in out
    names = sorted(p.name for p in out_dir.iterdir())
    expected = ["incidence.csv", "manifest.json", "moves.csv", "occupancy.csv", "runs.csv",
                "summary.json", "tension.csv"]
    if has_parquet():
        expected[3:3] = ["moves.parquet"]
        expected.insert(6, "runs.parquet")
    assert names == expected, names
    assert not list(out_dir.glob(".*.tmp")) and not list(out_dir.parent.glob(".base.*"))
    files = ", ".join(n for n in RESULT_FILES if n in names)
    assert f"wrote {out_dir} (12,000 runs): {files}, manifest.json" in err

    summary = json.loads((out_dir / "summary.json").read_text())
    plain = run_json(capsys, "--runs", runs, "--seed", 2)
    assert without_timing(summary) == without_timing(plain)

    with open(out_dir / "runs.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == runs
    columns = list(rows[0])
    assert columns[:5] == ["run", "peak", "final", "absorbed", "steps"]
    for stage in STAGES:
        assert f"first_{stage}" in columns and f"time_{stage}" in columns
    for col in ("minsk.push_migrants", "migrant_groups.attempt_crossing", "warsaw.harden",
                "polish_border_forces.patrol", "nato.monitor", "russia.back_minsk"):
        assert col in columns
    assert [int(r["run"]) for r in rows] == list(range(runs))
    finals = {stage: 0 for stage in STAGES}
    for r in rows[:2000]:
        assert r["peak"] in STAGES and r["final"] in STAGES
        assert STAGES.index(r["final"]) <= STAGES.index(r["peak"])
        assert sum(int(r[f"time_{x}"]) for x in STAGES) == int(r["steps"])
        assert r["absorbed"] == str(r["final"] in ("use_of_force", "nuclear_use"))
        assert r[f"first_{r['peak']}"] != ""
    for r in rows:
        finals[r["final"]] += 1
    for stage in STAGES:
        assert finals[stage] / runs == pytest.approx(summary["final"][stage]["p"], abs=1e-9)

    with open(out_dir / "occupancy.csv", newline="") as handle:
        occ = list(csv.DictReader(handle))
    assert len(occ) == int(H) + 1
    assert [int(r["step"]) for r in occ] == list(range(int(H) + 1))
    for r in occ:
        assert abs(sum(float(r[x]) for x in STAGES) - 1) <= 1e-9
    for stage in STAGES:  # the last row is where the runs ended
        assert float(occ[-1][stage]) == pytest.approx(summary["final"][stage]["p"], abs=1e-9)

    with open(out_dir / "incidence.csv", newline="") as handle:
        inc = list(csv.DictReader(handle))
    assert len(inc) == int(H) + 1
    for stage in STAGES:  # cumulative: never decreasing, ending at P(reach)
        values = [float(r[stage]) for r in inc]
        assert values == sorted(values)
        assert values[-1] == pytest.approx(summary["reach"][stage]["p"], abs=1e-9)


def test_run_out_with_json_keeps_stdout_pure(tmp_path, capsys):
    code, out, err = cli(capsys, "run", SCENARIO, "--runs", 500, "--horizon", H, "--json",
                         "--out", tmp_path / "r")
    assert code == 0, err
    assert json.loads(out) == json.loads((tmp_path / "r" / "summary.json").read_text())


def test_run_out_onto_a_file_exits_2(tmp_path, capsys):
    target = tmp_path / "a-file"
    target.write_text("x")
    code, _, err = cli(capsys, "run", SCENARIO, "--runs", 10, "--horizon", H, "--out", target)
    assert code == 2
    assert "not a folder" in err


def test_run_out_files_have_normal_permissions(tmp_path, capsys):
    code, _, err = cli(capsys, "run", SCENARIO, "--runs", 100, "--horizon", H,
                       "--out", tmp_path / "r")
    assert code == 0, err
    umask = os.umask(0)
    os.umask(umask)
    for name in ("summary.json", "runs.csv", "occupancy.csv"):
        mode = (tmp_path / "r" / name).stat().st_mode & 0o777
        assert mode == 0o666 & ~umask, (name, oct(mode))


# -- run --trace ------------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [[], ["--runs", "1"]])
def test_trace_bundled_scenario(capsys, extra):
    code, out, err = cli(capsys, "run", SCENARIO, "--horizon", H, "--trace", *extra)
    assert code == 0, err
    lines = out.splitlines()
    assert "step 1 (2024-05-28)" in lines
    for actor in ACTORS:
        assert any(line.startswith(f"  {actor}: ") for line in lines), actor
    assert "tension" in out
    assert "event: Polish soldier stabbed through the barrier" in out
    assert lines[-1].startswith("final stage: ")


def test_trace_shows_threshold_move(move_scenario, capsys):
    code, out, err = cli(capsys, "run", move_scenario, "--trace")
    assert code == 0, err
    assert "step 1" in out
    assert "  pusher: push" in out
    assert "  tension 5.00" in out
    assert "MOVE a -> b by threshold" in out
    assert "final stage: b" in out


def test_trace_with_many_runs_exits_2(capsys):
    code, out, err = cli(capsys, "run", SCENARIO, "--trace", "--runs", 5)
    assert code == 2
    assert "--trace" in err and "--runs 1" in err
    assert out == ""


# -- run --set --------------------------------------------------------------------------------


def test_set_changes_the_result(capsys):
    base = run_json(capsys, "--runs", 2000)
    changed = run_json(capsys, "--runs", 2000, "--set", "tension.decay=0.5")
    assert changed["reach"] != base["reach"]
    # much faster decay: tension falls far below the border_incident threshold
    assert changed["reach"]["border_incident"]["p"] < base["reach"]["border_incident"]["p"]


def test_set_unknown_actor(capsys):
    code, out, err = cli(capsys, "run", SCENARIO, "--runs", 10, "--set", "actors.nosuch.x=1")
    assert code == 2
    assert "actors.nosuch.x" in err and "nosuch" in err
    assert "minsk" in err  # lists the actors there are
    code, out, err = cli(capsys, "run", SCENARIO, "--runs", 10, "--set", "actors.minks.x=1")
    assert code == 2
    assert "actors.minks.x" in err
    assert "did you mean 'minsk'" in err


def test_set_misspelt_action(capsys):
    code, _, err = cli(capsys, "run", SCENARIO, "--runs", 10, "--set",
                       "actors.minsk.actions.push_migrant.effect=1")
    assert code == 2
    assert "did you mean 'push_migrants'" in err


def test_set_distribution_is_accepted(capsys):
    s = run_json(capsys, "--runs", 1000, "--set",
                 "actors.minsk.actions.push_migrants.effect={uniform: [0.1, 0.2]}")
    assert s["runs"] == 1000


@pytest.mark.parametrize("item", ["foo", "=1"])
def test_set_without_path_value_exits_2(capsys, item):
    code, _, err = cli(capsys, "run", SCENARIO, "--runs", 10, "--set", item)
    assert code == 2
    assert "PATH=VALUE" in err


def test_set_value_out_of_range_exits_2(capsys):
    code, _, err = cli(capsys, "run", SCENARIO, "--runs", 10, "--set", "tension.decay=2")
    assert code == 2
    assert "tension.decay" in err


def test_set_bad_yaml_exits_2(capsys):
    code, out, err = cli(capsys, "run", SCENARIO, "--runs", 10, "--set", "tension.decay=[1")
    assert code == 2
    assert "--set" in err and "tension.decay" in err and "YAML" in err
    assert out == ""


# -- run: horizon, runs, jobs, seed ------------------------------------------------------------


def test_horizon_override(move_scenario, capsys):
    code, out, err = cli(capsys, "run", move_scenario, "--runs", 100, "--horizon", 10, "--json")
    assert code == 0, err
    s = json.loads(out)
    assert s["horizon"] == 10
    assert s["time_to"]["b"]["median"] == 1


def test_horizon_override_bundled(capsys):
    assert run_json(capsys, "--runs", 100)["horizon"] == int(H)


def test_horizon_10_on_bundled_scenario(capsys):
    code, out, err = cli(capsys, "run", SCENARIO, "--runs", 100, "--horizon", 10, "--json")
    assert code == 0, err
    assert json.loads(out)["horizon"] == 10


def test_horizon_zero_exits_2(capsys):
    code, out, err = cli(capsys, "run", SCENARIO, "--runs", 10, "--horizon", 0)
    assert code == 2
    assert "clock.horizon" in err
    assert out == ""


@pytest.mark.parametrize("args, words", [
    (["--runs", "0"], "runs"),
    (["--runs", "-3"], "runs"),
    (["--runs", "10", "--jobs", "0"], "jobs"),
    (["--runs", "10", "--seed", "-1"], "seed"),
])
def test_bad_numbers_exit_2(capsys, args, words):
    code, out, err = cli(capsys, "run", SCENARIO, "--horizon", H, *args)
    assert code == 2
    assert words in err
    assert out == ""


def test_non_integer_runs_is_a_usage_error(capsys):
    code, _, err = cli(capsys, "run", SCENARIO, "--runs", "many")
    assert code == 2
    assert "argument --runs: expected a whole number, got 'many'" in err


def test_bad_input_has_no_traceback(tmp_path, capsys):
    for args in (["run", tmp_path / "nosuch.yaml"],
                 ["run", LADDER, "--runs", "10"],
                 ["show", tmp_path / "nosuch.yaml"]):
        code, out, err = cli(capsys, *args)
        assert code == 2, args
        assert err.strip() and out == "", args
    code, _, err = cli(capsys, "run", LADDER, "--runs", "10")
    assert f"{LADDER}:" in err and "missing required key 'ladder'" in err


def test_bad_input_end_to_end_has_no_traceback(tmp_path):
    proc = cli_proc("run", tmp_path / "nosuch.yaml", "--runs", "5")
    assert proc.returncode == 2
    assert "nosuch.yaml" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


# -- help -------------------------------------------------------------------------------------


def test_help_mentions_examples(capsys):
    code, out, _ = cli(capsys, "--help")
    assert code == 0
    assert "examples:" in out
    assert "ladder run scenarios/belarus-poland-2024.yaml" in out
    code, out, _ = cli(capsys, "run", "--help")
    assert code == 0
    assert "examples:" in out
    for option in ("--runs", "--seed", "--jobs", "--horizon", "--set", "--out", "--json",
                   "--trace"):
        assert option in out


def test_no_command_exits_2(capsys):
    code, out, err = cli(capsys)
    assert code == 2
    assert "usage: ladder" in out + err


def test_version(capsys):
    code, out, _ = cli(capsys, "--version")
    assert code == 0
    assert out.startswith("ladder ")
