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

import contextlib
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
from collections.abc import Callable, Collection, Iterator, Sequence
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
    return _entry(path)


def _entry(path: Path) -> dict:
    """A file's manifest entry: its size and SHA-256."""
    return {"bytes": path.stat().st_size, "sha256": _sha256(path)}


class Staging:
    """A folder being written: files go into its temporary sibling, `.DIR.tmp-<pid>`, then
    `commit` writes the manifest and puts the sibling in place of DIR (see the module's
    docstring). `write_folder` writes a folder at once; `sim.engine.stream` opens one, streams
    tables into `tmp` while a run goes on, and commits at the end. `discard` removes the
    sibling; an existing DIR is replaced only if it holds nothing but `names`."""

    def __init__(self, folder: str | Path, names: Collection[str]):
        self.shown = Path(folder)
        self.real = Path(os.path.realpath(self.shown))
        self.tmp = self.real.parent / f".{self.real.name}.tmp-{os.getpid()}"
        self.old = self.real.parent / f".{self.real.name}.old-{os.getpid()}"
        self.names = names
        self.existed = self.real.is_dir()
        self.before = "the previous folder is intact" if self.existed else "nothing was written"
        self.entries: dict[str, dict] = {}
        self.committed = False

    def open(self) -> None:
        """Check that DIR may be replaced, and make the empty temporary sibling."""
        other = foreign(self.real, self.names) if self.existed else []
        if other:
            raise InputError(f"{self.shown}: holds files that are not results "
                             f"({', '.join(other[:3])}); it is not replaced")
        self.real.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp.mkdir()

    def write(self, name: str, write: Writer) -> None:
        """Write one file into the temporary sibling (to disk, not only the page cache)."""
        self.entries[name] = _write_file(self.tmp / name, write)

    def written(self, name: str) -> None:
        """Enter a file already written into the temporary sibling (streamed)."""
        path = self.tmp / name
        with open(path, "rb+") as handle:
            os.fsync(handle.fileno())
        self.entries[name] = _entry(path)

    def commit(self, kind: str, meta: dict, signals: _Signals) -> None:
        """Write the manifest and put the folder in place (signals wait during the swap)."""
        manifest = {"format": FORMAT, "version": 1, "kind": kind,
                    "written_by": f"ladder {__version__}", **meta, "files": self.entries}
        text = json.dumps(manifest, indent=2) + "\n"
        _write_file(self.tmp / MANIFEST, lambda handle: handle.write(text))
        _fsync_dir(self.tmp)
        signals.deferring = True  # Ctrl-C and SIGTERM wait until the names are swapped
        if not self.existed:
            os.rename(self.tmp, self.real)
        elif not _exchange(self.tmp, self.real):  # then tmp holds the previous folder
            os.rename(self.real, self.old)
            os.rename(self.tmp, self.real)
        self.committed = True
        _fsync_dir(self.real.parent)
        signals.resume()
        self.discard()  # the previous folder

    def discard(self) -> None:
        """Remove the temporary sibling (and a previous folder renamed aside)."""
        for leftover in (self.tmp, self.old):
            shutil.rmtree(leftover, ignore_errors=True)

    def result(self) -> Written:
        return Written(self.shown, [*self.entries, MANIFEST], self.existed)


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
    staging = Staging(folder, [*replaceable, *(n for n, _ in files)])
    return finish(staging, files, kind, meta, fresh=True)


def finish(staging: Staging, files: Sequence[tuple[str, Writer | None]], kind: str,
           meta: dict, fresh: bool = False) -> Written:
    """Write `files` into `staging` (opened first when `fresh`; a file whose writer is None
    was streamed into it already and is only entered in the manifest), and commit it; on any
    failure or signal, discard it (see `write_folder` for what is raised)."""
    with _Signals() as signals:
        try:
            if fresh:
                staging.open()
            for name, write in files:
                if write is None:
                    staging.written(name)
                    continue
                _pause()
                staging.write(name, write)
            _pause()
            staging.commit(kind, meta, signals)
        except (_Stop, KeyboardInterrupt) as exc:
            signum = exc.signum if isinstance(exc, _Stop) else signal.SIGINT
            raise interrupted(staging, signum) from None
        except OSError as exc:
            if staging.committed:
                raise
            raise cannot_write(staging, exc) from None
        finally:
            signals.deferring = True  # the cleanup is not cut short
            staging.discard()
    return staging.result()


def interrupted(staging: Staging, signum: int) -> Interrupted:
    """What a signal during a write raises: the state the folder was left in."""
    how = "interrupted" if signum == signal.SIGINT else "terminated"
    state = (f"{how} after writing {staging.shown}: it is complete" if staging.committed
             else f"{how} while writing {staging.shown}: {staging.before}")
    return Interrupted(state, SIGNAL_EXIT[signum])


def cannot_write(staging: Staging, exc: OSError) -> InputError:
    """What an OSError during a write raises (`cannot write DIR: No space left on device
    (runs.csv); nothing was written`)."""
    reason = exc.strerror or str(exc)
    where = f" ({Path(exc.filename).name})" if exc.filename else ""
    return InputError(f"cannot write {staging.shown}: {reason}{where}; {staging.before}")


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block is done, then take effect as they would have
    (in the main thread; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    saved = {s: signal.signal(s, lambda signum, frame: pending.append(signum))
             for s in SIGNAL_EXIT}
    try:
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
        if pending:
            signal.raise_signal(pending[0])


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """In the block, SIGTERM raises `_Stop` in this process (so a write in progress can be
    cleaned up) rather than ending it at once; `interrupted` says what it left. A forked
    worker process that inherited the handler ends as it would have."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()

    def handle(signum, frame) -> None:
        if os.getpid() != owner:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
        raise _Stop(signum)

    saved = signal.signal(signal.SIGTERM, handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, saved)
