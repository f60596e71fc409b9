"""`ladder debrief`: the hot wash of a workshop transcript, or several rooms side by side."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Declare `ladder debrief`, its options and help."""
    p = sub.add_parser(
        "debrief", help="the hot wash of a workshop transcript, or several rooms compared",
        description="Read the record at the end of `ladder play --transcript` files and give "
                    "the hot wash: where the team departed from the scenario policy and what "
                    "it changed (paired runs, 95% intervals), missed off-ramps, the largest "
                    "swings of the outlook and what happened in between, and Control's "
                    "judgements. With several transcripts of one scenario: each room's short "
                    "hot wash, then how often the rooms chose each move at each stage "
                    "against the policy's shares. See docs/debrief.md.",
        epilog="examples:\n"
               "  ladder debrief room1.md\n"
               "  ladder debrief room1.md --stage mp_crisis --out hotwash.md\n"
               "  ladder debrief room1.md room2.md room3.md --json > rooms.json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("transcripts", nargs="+", metavar="TRANSCRIPT",
                   help="a markdown transcript written by `ladder play --transcript`")
    p.add_argument("--stage", metavar="STAGE",
                   help="read every change at this stage (default: at each decision point "
                        "the highest stage not yet reached that any move could reach)")
    p.add_argument("--json", action="store_true", help="print the debrief as JSON")
    p.add_argument("--out", metavar="FILE.md",
                   help="also write the debrief as markdown to FILE.md (atomically)")


def check_out(out: str, inputs: list[str]) -> Path:
    """--out: a markdown file that can be written and is none of the transcripts."""
    from ..engine.targets import check_file_target
    from ..errors import InputError

    path = Path(out)
    if path.suffix.lower() not in (".md", ".markdown"):
        raise InputError(f"--out {out}: the debrief is markdown; use a name ending in .md")
    for given in inputs:
        if Path(given).exists() and path.exists() and path.samefile(given):
            raise InputError(f"--out {out}: it is the transcript {given}, which the debrief "
                             "would overwrite; name another file")
    return check_file_target(path, "--out")


def execute(args: argparse.Namespace) -> int:
    """Run `ladder debrief` with parsed arguments; the exit code."""
    from ..engine.results import atomic_write
    from ..workshop.prose import markdown, text
    from ..workshop.rooms import debrief
    from ..workshop.rooms_text import debrief_doc

    out = check_out(args.out, args.transcripts) if args.out else None
    data = debrief(args.transcripts, args.stage)
    doc = debrief_doc(data)
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(text(doc), end="")
    if out is not None:
        body = markdown(doc)
        atomic_write(out, lambda handle: handle.write(body))
        print(f"wrote {out}", file=sys.stderr)
    return 0
