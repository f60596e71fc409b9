"""`ladder report`: the HTML has every section and the key numbers, loads nothing from the
network, escapes file text, reads results folders, and renders in a headless browser."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from sim.cli import main
from sim.present.report import SECTIONS
from tests.helpers import ROOT, make_scenario

pytest.importorskip("matplotlib")

SCENARIO = ROOT / "scenarios" / "belarus-poland-2024.yaml"
STAGES = [{"id": "calm", "name": "Calm", "up": 1},
          {"id": "tense", "name": "Tense", "up": 2, "down": 0},
          {"id": "war", "name": "War", "absorbing": True}]
HOSTILE = "<script>alert('x')</script> & co"
INTERVAL = re.compile(r"\d+\.\d% \[\d+\.\d, \d+\.\d\]")


class Page(HTMLParser):
    """What the tests look for in a report: section ids, resources, scripts, text."""

    def __init__(self, text: str):
        super().__init__()
        self.sections: list[str] = []
        self.resources: list[str] = []  # every src and href
        self.tags: list[str] = []
        self.chunks: list[str] = []
        self.feed(text)
        self.text = " ".join(" ".join(self.chunks).split())

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if tag == "section":
            self.sections.append(attrs.get("id", ""))
        self.resources += [v for k, v in attrs.items() if k in ("src", "href") and v]

    def handle_data(self, data):
        self.chunks.append(data)


def cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def walker(push: float, name: str = "Walker") -> dict:
    return {"name": name, "kind": "state",
            "actions": {"push": {"effect": 2, "description": "Push hard."},
                        "calm_down": {"effect": -1}},
            "policy": {"weights": {"push": push, "calm_down": 1}}}


@pytest.fixture(scope="module")
def bundled(tmp_path_factory) -> Path:
    """A report of the bundled scenario (2,000 runs), made once for this module."""
    out = tmp_path_factory.mktemp("report") / "report.html"
    assert main(["report", str(SCENARIO), "--runs", "2000", "--out", str(out)]) == 0
    return out


def test_bundled_report_has_every_section_and_the_key_content(bundled):
    text = bundled.read_text(encoding="utf-8")
    page = Page(text)
    assert page.sections == [s for s in SECTIONS if s != "comparison"]  # one input
    assert page.sections[0] == "outcomes"
    # the table of contents links every section, and the assumptions beside the outcomes
    assert [r[1:] for r in page.resources if r.startswith("#")][:len(SECTIONS)] == [
        "outcomes", "assumptions", *page.sections[1:]]
    assert 'id="assumptions"' in text and "2,000 runs of 90 days, seed 7" in page.text
    for stage in ("peacetime", "hybrid_pressure", "border_incident", "mp_crisis",
                  "use_of_force", "nuclear_use"):
        assert stage in page.text
    assert "Distributions under the scenario's stated assumptions, not forecasts" in page.text
    assert INTERVAL.search(page.text)
    assert "n = 2,000 runs" in page.text
    assert "Belarusian authorities" in page.text and "Buffer zone in force" in page.text
    assert "Belarus in Focus" in page.text  # a source
    assert hashlib.sha256(SCENARIO.read_bytes()).hexdigest() in page.text
    images = [r for r in page.resources if r.startswith("data:image/png;base64,")]
    anchors = [r for r in page.resources if r.startswith("#")]
    assert images and len(images) + len(anchors) == len(page.resources)  # nothing from outside
    assert "svg" in page.tags and "script" not in page.tags and "link" not in page.tags
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", text)
    assert "@import" not in text and "url(http" not in text


@pytest.fixture(scope="module")
def bundled_pair(tmp_path_factory) -> Path:
    """A report comparing the bundled baseline and its variant checkpoint-opened."""
    out = tmp_path_factory.mktemp("pair") / "pair.html"
    assert main(["report", str(SCENARIO), str(ROOT / "scenarios" / "checkpoint-opened.yaml"),
                 "--runs", "2000", "--out", str(out)]) == 0
    return out


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        message = "chromium is not installed (apt-get install chromium; .ci/run does this)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                           "--disable-background-networking", "--disable-component-update",
                           "--disable-sync", "--no-first-run",
                           f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,2000",
                           *args], check=True, capture_output=True, text=True, timeout=120)


def test_report_renders_in_headless_chromium(bundled, tmp_path):
    shot = tmp_path / "report.png"
    chromium(tmp_path, f"--screenshot={shot}", bundled.as_uri())
    assert shot.is_file() and shot.stat().st_size > 50_000
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[:2] == (2000, 1280)
    assert pixels[..., :3].std() > 0.05  # text, tables and the diagram, not a blank page


def test_comparison_outcomes_come_first_and_each_actor_has_one_table(bundled_pair, tmp_path):
    text = bundled_pair.read_text(encoding="utf-8")
    assert Page(text).sections == list(SECTIONS)
    # laid out by the browser: the outcomes heading is within the first screenful. The script
    # is added to a copy only: the report itself has none.
    probe = ("<script>addEventListener('load',()=>{const o=document.getElementById('outcomes');"
             "document.body.dataset.m=o.offsetTop+','+document.documentElement.scrollHeight})"
             "</script>")
    copy = tmp_path / "probe.html"
    copy.write_text(text.replace("</body>", probe + "</body>"), encoding="utf-8")
    dom = chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", copy.as_uri()).stdout
    top, height = map(int, re.search(r'data-m="(\d+),(\d+)"', dom).groups())
    assert top < 1500 < height  # 11,378 of 16,979 px before outcomes came first
    # each actor of the pair has exactly one table; the variant's differences are one table
    actors = re.findall(r'<table class="actor actor-([\w-]+)">', text)
    assert sorted(actors) == sorted(["minsk", "migrant_groups", "warsaw",
                                     "polish_border_forces", "nato", "russia"])
    assert text.count('class="actor-diff"') == 1
    diff = re.search(r'<table class="actor-diff">(.*?)</table>', text).group(1)
    assert "when nato.stage &gt;= buffer_zone: scale open_checkpoint x1" in diff
    assert "Warsaw opens the Bobrowniki-Berestovitsa checkpoint (counterfactual)" in Page(text).text


def test_comparison_report(tmp_path, capsys):
    for name, push in (("base", 1), ("pushier", 2)):
        make_scenario(tmp_path, STAGES, {"x": walker(push, HOSTILE)}, horizon=10, decay=0,
                      name=name)
    out = tmp_path / "cmp.html"
    code, _, err = cli(capsys, "report", tmp_path / "base.yaml", tmp_path / "pushier.yaml",
                       "--runs", 2000, "--out", out)
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    page = Page(text)
    assert page.sections == list(SECTIONS)
    assert "Comparison: base vs pushier" in page.text
    assert "pushier raises P(reach war) by" in page.text
    assert "common random numbers" in page.text and "McNemar" in page.text
    assert "difference, points [95% CI]" in page.text
    assert len([r for r in page.resources if r.startswith("data:image/png")]) == 3
    # text from files is escaped: the hostile actor name is text, never markup
    assert HOSTILE in page.text
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_report_of_results_folders(tmp_path, capsys):
    sc = make_scenario(tmp_path, STAGES, {"x": walker(1)}, horizon=10, decay=0, name="base")
    res = tmp_path / "res"
    assert cli(capsys, "run", tmp_path / "base.yaml", "--runs", 500, "--out", res)[0] == 0
    out = tmp_path / "r.html"
    assert cli(capsys, "report", res, "--out", out)[0] == 0
    page = Page(out.read_text(encoding="utf-8"))
    assert "Walker" in page.text and "not available" not in page.text
    assert sc.sha256 in page.text
    # the scenario file changes after the run: the report says so and still has the outcomes
    raw = yaml.safe_load((tmp_path / "base.yaml").read_text())
    raw["title"] = "Changed"
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(raw))
    assert cli(capsys, "report", res, "--out", out)[0] == 0
    page = Page(out.read_text(encoding="utf-8"))
    assert "Walker" not in page.text
    assert "has changed since the run (SHA-256 differs)" in page.text
    assert "calm, tense, war" in page.text and INTERVAL.search(page.text)


def test_report_errors(tmp_path, capsys, monkeypatch):
    make_scenario(tmp_path, STAGES, {"x": walker(1)}, name="base")
    code, _, err = cli(capsys, "report", tmp_path / "base.yaml", "--out", tmp_path / "r.pdf")
    assert code == 2 and "use a name ending in .html" in err
    with pytest.raises(SystemExit) as exit_:
        cli(capsys, "report", tmp_path / "base.yaml")
    assert exit_.value.code == 2 and "--out" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, _, err = cli(capsys, "report", tmp_path / "base.yaml", "--out", tmp_path / "r.html")
    assert code == 2
    assert "ladder report needs matplotlib: pip install -e '.[plots]'" in err
