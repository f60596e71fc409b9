"""Output paths, checked before anything is simulated: `--out` folders (run, sweep), `--plot`,
`report --out` and `play --transcript` files. A bad path fails at once (InputError, exit 2)
with the path and why, rather than after minutes of simulation.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Collection
from pathlib import Path

from ..errors import InputError
from .folder import foreign, tidy


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _writable(what: str, shown: Path, folder: Path, folder_shown: Path) -> None:
    """Try creating and removing a file in `folder` (named `folder_shown` in the error)."""
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".ladder-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InputError(f"{what} {shown}: cannot write in folder {folder_shown} "
                         f"({exc.strerror or exc})") from None


def check_file_target(path: str | Path, what: str) -> Path:
    """A file to be written (replaced atomically, so its folder must take a new file).

    Raises:
        InputError: the folder does not exist or cannot be written; the path is a folder or
            a special file (a FIFO, a device, a socket).
    """
    shown = Path(path)
    real = Path(os.path.realpath(shown))
    if real.is_dir():
        raise InputError(f"{what} {shown}: is a folder; give a file name")
    if real.exists() and not stat.S_ISREG(real.stat().st_mode):
        raise InputError(f"{what} {shown}: is a special file (not a regular file); give the "
                         "name of an ordinary file")
    if not real.parent.is_dir():
        raise InputError(f"{what} {shown}: folder {shown.parent} does not exist")
    _writable(what, shown, real.parent, shown.parent)
    return shown


def check_out_folder(path: str | Path, names: Collection[str], what: str = "--out"
                     ) -> list[str]:
    """A folder to be written all or nothing (`sim.engine.folder.write_folder`), which
    replaces the whole folder: it must be new, empty, or hold only results (`names`, the
    manifest, hidden `*.tmp` leftovers of older writers), and the nearest existing folder
    above it must take new files. Temporaries left beside it by killed writes are dealt with
    (`tidy`).

    Returns:
        What was tidied, one line each, for the caller to print.

    Raises:
        InputError: the path is a file, holds other files, or cannot be written.
    """
    shown = Path(path)
    real = Path(os.path.realpath(shown))
    if real.exists() and not real.is_dir():
        raise InputError(f"{what} {shown}: exists and is not a folder")
    if real.is_dir():
        try:
            other = foreign(real, names)
        except OSError as exc:
            raise InputError(f"{what} {shown}: cannot read the folder ({exc.strerror})"
                             ) from None
        if other:
            shown_names = ", ".join(other[:3]) + (", ..." if len(other) > 3 else "")
            raise InputError(f"{what} {shown}: holds files that are not results "
                             f"({shown_names}); the results replace the whole folder, so "
                             "give a new folder (or an earlier results folder)")
    above, above_shown = _nearest_existing(real.parent), _nearest_existing(shown.parent)
    if not above.is_dir():
        raise InputError(f"{what} {shown}: {above_shown} is not a folder")
    _writable(what, shown, above, above_shown)
    return tidy(shown)
