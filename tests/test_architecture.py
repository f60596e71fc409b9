"""The package's architecture holds (docs/architecture.md): imports point one way through the
layers, the file-format layer and the light commands load no numerical library, no module
passes 400 lines, and `python -m sim` is `ladder`."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

PACKAGE = ROOT / "sim"
# Lower layers first. A module may import from its own layer or a lower one. analyses and
# explore are one level: siblings that do not import each other.
LAYERS = {"errors": 0, "format": 1, "engine": 2, "analyses": 3, "explore": 3, "present": 4,
          "workshop": 5, "cli": 6}
HEAVY = ("mesa", "scipy", "pandas", "matplotlib")
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


def layer_of(module: str) -> str | None:
    """The layer of a dotted module name inside `sim` (None for the package itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def module_name(path: Path, root: Path = ROOT) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in a file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:  # `from . import x`: x is a module or a name
                    found += [(node.lineno, _module_or_package(root, target, a.name))
                              for a in node.names]
                    continue
            else:
                target = node.module or ""
            found.append((node.lineno, target))
    return found


def _module_or_package(root: Path, package: str, name: str) -> str:
    where = root.joinpath(*package.split("."), name)
    is_module = where.with_suffix(".py").is_file() or (where / "__init__.py").is_file()
    return f"{package}.{name}" if is_module else package


def test_every_module_is_in_a_layer():
    for path in MODULES:
        name = module_name(path)
        if name in ("sim", "sim.__main__"):
            continue
        assert layer_of(name) in LAYERS, f"{name} is in no layer of {sorted(LAYERS)}"


@pytest.mark.parametrize("path", MODULES, ids=[module_name(p) for p in MODULES])
def test_imports_point_down_the_layers(path):
    name = module_name(path)
    if name in ("sim", "sim.__main__"):  # the facade names every layer (lazily)
        return
    here = layer_of(name)
    wrong = []
    for line, target in imported_modules(path):
        if target != "sim" and not target.startswith("sim."):
            continue
        there = layer_of(target)
        if there is None or there == here:  # `from .. import __version__`, or its own layer
            continue
        if LAYERS[there] >= LAYERS[here]:
            wrong.append(f"{path.relative_to(ROOT)}:{line}: {name} ({here}) imports "
                         f"{target} ({there})")
    assert not wrong, "imports that point up (or sideways):\n" + "\n".join(wrong)


def test_the_import_walker_sees_an_import_that_points_up(tmp_path):
    """The check above can fail: a format module importing the engine is caught."""
    bad = tmp_path / "sim" / "format" / "bad.py"
    bad.parent.mkdir(parents=True)
    bad.write_text("from ..engine.runner import run\nimport sim.present.show\n")
    targets = [t for _, t in imported_modules(bad, tmp_path)]
    assert targets == ["sim.engine.runner", "sim.present.show"]
    assert all(LAYERS[layer_of(t)] > LAYERS["format"] for t in targets)


@pytest.mark.parametrize("path", sorted((PACKAGE / "format").rglob("*.py")),
                         ids=lambda p: p.name)
def test_format_layer_imports_nothing_heavy(path):
    heavy = [(line, t) for line, t in imported_modules(path) if t.split(".")[0] in HEAVY]
    assert not heavy, f"{path.name} imports {heavy}"


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["validate", "ladders", "scenarios"],
                                  ["show", "ladders/belarus-2024.yaml"],
                                  ["show", "scenarios/belarus-poland-2024.yaml"]],
                         ids=" ".join)
def test_light_commands_load_no_numerical_library(argv):
    probe = ("import sys\nfrom sim.cli import main\ntry:\n    main(sys.argv[1:])\n"
             "except SystemExit:\n    pass\n"
             f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", probe, *argv], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.stderr.strip().splitlines()[-1] == "[]", proc.stderr


def test_a_simulation_does_load_mesa():
    """The probe above can see a heavy import."""
    probe = ("import sys, sim\nsim.run\nprint('mesa' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.stdout.strip() == "True"


@pytest.mark.parametrize("path", MODULES, ids=[module_name(p) for p in MODULES])
def test_no_module_over_400_lines(path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= 400, f"{path.relative_to(ROOT)} has {n} lines"


def test_python_m_sim_is_ladder():
    for argv in (["--version"], ["validate", "ladders/belarus-2024.yaml"]):
        a = subprocess.run([sys.executable, "-m", "sim", *argv], cwd=ROOT, capture_output=True,
                           text=True, timeout=120)
        b = subprocess.run([sys.executable, "-c", "import sys; from sim.cli import main; "
                            "sys.exit(main())", *argv], cwd=ROOT, capture_output=True,
                           text=True, timeout=120)
        assert (a.returncode, a.stdout, a.stderr) == (b.returncode, b.stdout, b.stderr)
    bad = subprocess.run([sys.executable, "-m", "sim", "run", "no-such.yaml"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_public_names_still_import():
    import sim

    for name in sim.__all__:
        assert getattr(sim, name) is not None
    with pytest.raises(AttributeError):
        sim.no_such_name  # noqa: B018


def test_architecture_doc_names_every_module():
    """docs/architecture.md lists each module in its layer's row, so the page stays true."""
    rows = {}
    for line in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").splitlines():
        cells = line.split("|")
        if len(cells) > 3 and cells[2].strip().startswith("`sim/"):
            rows[cells[2].strip().strip("`").strip("/")] = cells[3]
    missing = []
    for path in MODULES:
        rel = path.relative_to(PACKAGE)
        if len(rel.parts) == 1:
            continue  # sim/__init__.py, sim/__main__.py, sim/errors.py: described in prose
        if rel.name in ("__init__.py", "__main__.py"):
            continue
        if f"`{path.stem}`" not in rows.get(f"sim/{rel.parts[0]}", ""):
            missing.append(str(path.relative_to(ROOT)))
    assert not missing, f"not in docs/architecture.md's table: {missing}"
