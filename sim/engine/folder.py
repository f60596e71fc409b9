"""All-or-nothing output folders (`ladder run --out DIR`, `ladder sweep --out DIR`).

A folder is written into a temporary sibling, `.DIR.tmp-<pid>`, its files first and
`manifest.json` last (each file's size and SHA-256, the run count, whether the runs are
partial), then put in place of DIR in one step: an atomic exchange of the two names where
the system has one (Linux `renameat2(RENAME_EXCHANGE)`), else DIR renamed aside to
`.DIR.old-<pid>`, the new one renamed in, the old one removed. So DIR is, at every moment,
either the previous folder or the complete new one, never a mix. During the write, Ctrl-C
and SIGTERM clean up the temporary folder and raise `sim.errors.Interrupted` (the CLI
exits 130 or 143), and any OSError (a full disk) does the same and raises InputError; while
the names are swapped both signals wait until the swap is done. A temporary left by a
process that was killed (SIGKILL) is found by the next write to DIR, removed and named
(`tidy`). Readers (`read_folder`) require a manifest that matches the files.

Test hook: the environment variable LADDER_TEST_WRITE_PAUSE=SECONDS makes the writer sleep
that long before each file and before the manifest, so a test can signal it mid-write.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import re
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from .. import __version__
from ..errors import InputError, Interrupted

MANIFEST = "manifest.json"
FORMAT = "ladder-folder"
TEST_PAUSE = "LADDER_TEST_WRITE_PAUSE"
SIGNAL_EXIT: dict[int, int] = {signal.SIGINT: 130, signal.SIGTERM: 143}
# What writes one file: it gets the open text handle (whose `.buffer` takes bytes).
Writer = Callable[[TextIO], object]


def _siblings(real: Path) -> re.Pattern:
    return re.compile(rf"\.{re.escape(real.name)}\.(tmp|old)-(\d+)")


def _alive(pid: int) -> bool:
    """Whether process `pid` is running (a zombie is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def tidy(folder: str | Path) -> list[str]:
    """Deal with what killed writes to `folder` left beside it, and say what was done.

    A `.DIR.tmp-<pid>` or `.DIR.old-<pid>` sibling whose process has ended is removed, except
    that an `.old-` one is put back as DIR when DIR is missing (the writer was killed between
    its two renames). Siblings of running processes are left alone.
    """
    shown = Path(folder)
    real = Path(os.path.realpath(shown))
    if not real.parent.is_dir():
        return []
    pattern, found = _siblings(real), []
    for entry in real.parent.iterdir():
        m = pattern.fullmatch(entry.name)
        if m and int(m.group(2)) != os.getpid() and not _alive(int(m.group(2))):
            found.append((m.group(1) != "old", entry, int(m.group(2))))
    notes = []
    for _, entry, pid in sorted(found):  # .old- first: it may be the only copy of DIR
        where = shown.parent / entry.name
        try:
            if not entry.name.startswith(f".{real.name}.tmp-") and not real.exists():
                os.rename(entry, real)
                notes.append(f"restored {shown} from {where}, left by a write that was killed "
                             f"while swapping folders (process {pid} has ended)")
            else:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
                notes.append(f"removed {where}, a temporary folder left by an interrupted "
                             f"write to {shown} (process {pid} has ended)")
        except OSError as exc:
            raise InputError(f"{where}: left by an interrupted write (process {pid} has "
                             f"ended) and cannot be removed ({exc.strerror}); remove it "
                             f"with: rm -r '{where}'") from None
    return notes


def foreign(folder: Path, names: Collection[str]) -> list[str]:
    """What an existing folder holds besides results (`names`, the manifest, and hidden
    `*.tmp` files that older versions left): a folder with any is never replaced."""
    allowed = set(names) | {MANIFEST}
    return sorted(n.name for n in folder.iterdir() if n.name not in allowed
                  and not (n.name.startswith(".") and n.name.endswith(".tmp")))


@dataclass(frozen=True)
class Written:
    """A folder put in place: its path as given, its files (the manifest last), and whether
    it replaced a previous folder."""

    folder: Path
    files: list[str]
    replaced: bool


class _Stop(BaseException):
    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class _Signals:
    """While writing, Ctrl-C and SIGTERM raise `_Stop`; while `deferring`, they wait."""

    def __init__(self):
        self.deferring, self.pending, self.saved = False, None, {}

    def _handle(self, signum, frame) -> None:
        if self.deferring:
            self.pending = signum
        else:
            raise _Stop(signum)

    def __enter__(self) -> _Signals:
        if threading.current_thread() is threading.main_thread():
            for signum in SIGNAL_EXIT:
                self.saved[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self.saved.items():
            signal.signal(signum, handler)

    def resume(self) -> None:
        """End the deferral; a signal that came meanwhile is raised now."""
        self.deferring = False
        if self.pending is not None:
            raise _Stop(self.pending)


def _pause() -> None:
    seconds = os.environ.get(TEST_PAUSE)
    if seconds:
        time.sleep(float(seconds))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where the system
    or the file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _write_file(path: Path, write: Writer) -> dict:
    """Write one file (to disk, not only to the page cache); its manifest entry."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())
    return {"bytes": path.stat().st_size, "sha256": _sha256(path)}


def write_folder(folder: str | Path, files: Sequence[tuple[str, Writer]],
                 kind: str, meta: dict, replaceable: Collection[str] = ()) -> Written:
    """Write `files` (name, write(text handle); its `.buffer` takes bytes) and the manifest
    (`kind`, `meta`, each file's size and SHA-256) into a temporary sibling of `folder`, then
    put it in place of `folder` (see the module's docstring). An existing `folder` is
    replaced only if it holds nothing but `replaceable` names and those of `files`.

    Raises:
        Interrupted: Ctrl-C or SIGTERM during the write; the temporary folder is removed and
            `folder` is as it was (or, when the signal came after the swap, complete).
        InputError: an OSError while writing (a full disk, say); `folder` is as it was.
    """
    shown = Path(folder)
    real = Path(os.path.realpath(shown))
    tmp = real.parent / f".{real.name}.tmp-{os.getpid()}"
    old = real.parent / f".{real.name}.old-{os.getpid()}"
    existed = real.is_dir()
    before = "the previous folder is intact" if existed else "nothing was written"
    committed = False
    with _Signals() as signals:
        try:
            other = foreign(real, [*replaceable, *(n for n, _ in files)]) if existed else []
            if other:
                raise InputError(f"{shown}: holds files that are not results "
                                 f"({', '.join(other[:3])}); it is not replaced")
            real.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            entries = {}
            for name, write in files:
                _pause()
                entries[name] = _write_file(tmp / name, write)
            _pause()
            manifest = {"format": FORMAT, "version": 1, "kind": kind,
                        "written_by": f"ladder {__version__}", **meta, "files": entries}
            text = json.dumps(manifest, indent=2) + "\n"
            _write_file(tmp / MANIFEST, lambda handle: handle.write(text))
            _fsync_dir(tmp)
            signals.deferring = True  # Ctrl-C and SIGTERM wait until the names are swapped
            if not existed:
                os.rename(tmp, real)
            elif not _exchange(tmp, real):  # then tmp holds the previous folder
                os.rename(real, old)
                os.rename(tmp, real)
            committed = True
            _fsync_dir(real.parent)
            signals.resume()
            for leftover in (tmp, old):  # the previous folder
                shutil.rmtree(leftover, ignore_errors=True)
        except (_Stop, KeyboardInterrupt) as exc:
            signum = exc.signum if isinstance(exc, _Stop) else signal.SIGINT
            how = "interrupted" if signum == signal.SIGINT else "terminated"
            state = (f"{how} after writing {shown}: it is complete" if committed
                     else f"{how} while writing {shown}: {before}")
            raise Interrupted(state, SIGNAL_EXIT[signum]) from None
        except OSError as exc:
            if committed:
                raise
            reason = exc.strerror or str(exc)
            where = f" ({Path(exc.filename).name})" if exc.filename else ""
            raise InputError(f"cannot write {shown}: {reason}{where}; {before}") from None
        finally:
            signals.deferring = True  # the cleanup is not cut short
            for leftover in (tmp, old):
                shutil.rmtree(leftover, ignore_errors=True)
    return Written(shown, [*entries, MANIFEST], existed)


def read_folder(folder: str | Path, kind: str, names: Sequence[str],
                optional: Sequence[str] = ()) -> tuple[dict, dict[str, bytes]]:
    """A folder's manifest, checked against every file it lists (size) and against the
    contents of `names` and of the `optional` names it lists (SHA-256), and those files'
    bytes.

    Raises:
        InputError: "not a results folder" (no manifest and no files), "incomplete results
            folder" (no manifest, or files that do not match it), or a folder of another
            command.
    """
    folder = Path(folder)
    try:
        return _read(folder, kind, names, optional)
    except OSError as exc:
        raise InputError(f"{folder}: cannot read the results folder ({exc.strerror or exc})"
                         ) from None


def _read(folder: Path, kind: str, names: Sequence[str], optional: Sequence[str]
          ) -> tuple[dict, dict[str, bytes]]:
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
    for name in [*names, *(n for n in optional if n in files)]:
        if name not in files:
            raise InputError(f"{folder}: the results folder has no {name}")
        data[name] = (folder / name).read_bytes()
        if hashlib.sha256(data[name]).hexdigest() != files[name]["sha256"]:
            raise InputError(f"{incomplete}: {name} does not match its SHA-256 in "
                             f"{MANIFEST} (changed or damaged since it was written)")
    return manifest, data
