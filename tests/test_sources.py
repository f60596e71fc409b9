"""Sources inside the repository (docs/sources.md): no file cites a file outside the checkout,
and every citation of a section of docs/sources.md resolves to one of its headings.

Anchors are computed the way GitHub renders Markdown headings: lower case, punctuation other
than hyphens and underscores dropped, spaces turned into hyphens, and a repeated heading given
a suffix -1, -2, ... The Kahn table of docs/sources.md is also checked against the copy of
Kahn's ladder in tests/test_library.py, which checks the ladder file against that copy.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.test_library import KAHN_GROUPS, KAHN_RUNGS

SOURCES = ROOT / "docs" / "sources.md"
SEARCHED = ("ladders", "scenarios", "docs", "sim")  # the folders a clone must resolve
OUTSIDE = re.compile(r"REFERENCE\.md|DESIGN\.md|STYLE\.md|seed/000|\.\./shared")
CITATION = re.compile(r"docs/sources\.md#([\w-]+)")
LOCAL_LINK = re.compile(r"\]\((?:sources\.md)?#([\w-]+)\)")


def text_files(*folders: str) -> list[Path]:
    """Every text file under the folders (caches and binary files skipped)."""
    files = []
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            try:
                path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
            files.append(path)
    return files


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading's text."""
    text = re.sub(r"[`*_]{1,2}(?=\S)|(?<=\S)[`*_]{1,2}", "", heading.strip()).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """The anchors of every heading of a Markdown text (outside code blocks)."""
    seen: dict[str, int] = {}
    found = set()
    fenced = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        m = re.match(r"#{1,6} (.+?)\s*#*\s*$", line)
        if fenced or not m:
            continue
        base = github_anchor(m.group(1))
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    return found


def test_github_anchor_rule():
    assert github_anchor("Russia 2024 Fundamentals") == "russia-2024-fundamentals"
    assert github_anchor("Polish border measures 2021-2024") == "polish-border-measures-2021-2024"
    assert github_anchor("The stabbing of 28 May 2024") == "the-stabbing-of-28-may-2024"
    assert github_anchor("Kahn's `ladder`, 1965 (rungs)") == "kahns-ladder-1965-rungs"
    assert anchors("# A\n## A\n```\n# B\n```\n") == {"a", "a-1"}


def test_no_citation_of_files_outside_the_repository():
    hits = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
            for path in text_files(*SEARCHED)
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
            if OUTSIDE.search(line)]
    assert not hits, "\n".join(hits)


def test_sources_doc_exists_and_cites_the_seed_by_publication_title_and_dates():
    text = SOURCES.read_text(encoding="utf-8")
    section = text.split("## Seed analysis", 1)[1].split("\n## ", 1)[0]
    for needed in ("Belarus in Focus", "Security issues", "27 May", "2 June", "2024",
                   "The regime is systematically working towards creating a casus belli"):
        assert needed in section, needed


def cited_anchors() -> list[tuple[str, str]]:
    """(where, anchor) for every docs/sources.md#anchor in the repository's text files, and
    every local link (#anchor, sources.md#anchor) inside docs/sources.md."""
    found = []
    for path in text_files(*SEARCHED, "tests") + [ROOT / "README.md"]:
        if path == Path(__file__):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            found += [(f"{path.relative_to(ROOT)}:{n}", a) for a in CITATION.findall(line)]
    for n, line in enumerate(SOURCES.read_text(encoding="utf-8").splitlines(), start=1):
        found += [(f"docs/sources.md:{n}", a) for a in LOCAL_LINK.findall(line)]
    return found


def test_every_cited_section_of_sources_md_exists():
    known = anchors(SOURCES.read_text(encoding="utf-8"))
    cited = cited_anchors()
    assert len(cited) > 200  # the ladders and scenarios do cite it
    missing = [f"{where}: #{anchor}" for where, anchor in cited if anchor not in known]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("ladder", ["belarus-2024", "kahn-1965", "poland-nato-response",
                                    "russia-2024-nuclear"])
def test_doctrine_ladders_cite_sources_md(ladder):
    text = (ROOT / "ladders" / f"{ladder}.yaml").read_text(encoding="utf-8")
    assert CITATION.search(text), ladder


def test_kahn_table_matches_the_copy_the_ladder_is_checked_against():
    text = SOURCES.read_text(encoding="utf-8")
    section = text.split("## Kahn On Escalation 1965", 1)[1].split("\n## ", 1)[0]
    rungs: list[str] = []
    groups = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3:
            continue
        span, name, names = cells
        threshold = re.fullmatch(r"\*(.+)\* threshold", name)
        if not span and threshold:  # a threshold row: the threshold above the last group
            groups[-1] = (groups[-1][0], threshold.group(1), *groups[-1][2:])
        elif re.fullmatch(r"\d+–\d+", span):
            first = len(rungs) + 1
            for item in names.split(" · "):
                number, rung = re.fullmatch(r"(\d+) (.+)", item).groups()
                assert int(number) == len(rungs) + 1, item
                rungs.append(rung)
            groups.append((name, "", first, len(rungs)))
    assert rungs == KAHN_RUNGS
    assert groups == KAHN_GROUPS
    after = re.search(r"thresholds fall after rungs ([\d, and]+)", section)
    assert after
    assert [int(n) for n in re.findall(r"\d+", after.group(1))] == [
        last for _, threshold, _, last in KAHN_GROUPS if threshold]
