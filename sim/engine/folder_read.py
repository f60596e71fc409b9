"""Reading back a folder that `sim.engine.folder` wrote: its manifest, checked against the
files it lists (sizes always; SHA-256 of the files read), so that an interrupted or damaged
folder is refused with a message that says what is wrong."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from ..errors import InputError
from .folder import FORMAT, MANIFEST, _sha256


def read_folder(folder: str | Path, kind: str, names: Sequence[str],
                optional: Sequence[str] = (), checked: Sequence[str] = ()
                ) -> tuple[dict, dict[str, bytes]]:
    """A folder's manifest, checked against every file it lists (size) and against the
    contents of `names` and of the `optional` names it lists (SHA-256), and those files'
    bytes; the `checked` files' SHA-256 is checked too, reading them a block at a time,
    without keeping their bytes (for a large table the caller then reads in part).

    Raises:
        InputError: "not a results folder" (no manifest and no files), "incomplete results
            folder" (no manifest, or files that do not match it), or a folder of another
            command.
    """
    folder = Path(folder)
    try:
        return _read(folder, kind, names, optional, checked)
    except OSError as exc:
        raise InputError(f"{folder}: cannot read the results folder ({exc.strerror or exc})"
                         ) from None


def _read(folder: Path, kind: str, names: Sequence[str], optional: Sequence[str],
          checked: Sequence[str]) -> tuple[dict, dict[str, bytes]]:
    again = ("ladder sweep SCENARIO --vary ... --out" if kind == "sweep"
             else "ladder run SCENARIO --out")
    incomplete = f"{folder}: incomplete results folder"
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        if any(p.is_file() for p in folder.iterdir()):
            raise InputError(f"{incomplete}: no {MANIFEST} (its writing was interrupted, or "
                             f"an older ladder wrote it); write it again with `{again} "
                             f"{folder}`") from None
        raise InputError(f"{folder}: not a results folder (no {MANIFEST}; write one with "
                         f"`{again} DIR`)") from None
    except ValueError as exc:
        raise InputError(f"{incomplete}: {MANIFEST} is not valid JSON ({exc})") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or manifest.get("format") != FORMAT or not all(
            isinstance(e, dict) and isinstance(e.get("bytes"), int)
            and isinstance(e.get("sha256"), str) for e in files.values()):
        raise InputError(f"{incomplete}: {MANIFEST} is not a ladder manifest")
    if manifest.get("kind") != kind:
        raise InputError(f"{folder}: a results folder of `ladder {manifest.get('kind')}`, "
                         f"not of `ladder {kind}`")
    for name, entry in files.items():
        path = folder / name
        if not path.is_file():
            raise InputError(f"{incomplete}: {name} is missing ({MANIFEST} lists it)")
        size = path.stat().st_size
        if size != entry["bytes"]:
            raise InputError(f"{incomplete}: {name} has {size:,} bytes, {MANIFEST} says "
                             f"{entry['bytes']:,}")
    data = {}
    for name in [*names, *(n for n in optional if n in files), *checked]:
        if name not in files:
            raise InputError(f"{folder}: the results folder has no {name}")
        if name in checked:
            digest = _sha256(folder / name)
        else:
            data[name] = (folder / name).read_bytes()
            digest = hashlib.sha256(data[name]).hexdigest()
        if digest != files[name]["sha256"]:
            raise InputError(f"{incomplete}: {name} does not match its SHA-256 in "
                             f"{MANIFEST} (changed or damaged since it was written)")
    return manifest, data
