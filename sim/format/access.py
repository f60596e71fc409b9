"""File access: inputs are opened safely, and references stay inside the project.

`read_input` reads an input file (a scenario, a ladder, a `play --script` file) only if it is
a regular file, without blocking (a FIFO, a device or a socket is refused by its type), and
reads at most `cap + 1` bytes, so an oversized input is refused before it is parsed.

`ladder:` and `extends:` may only name files under the referring file's project root (see
`project_root`) or in the bundled library (`BUNDLED`: the repository's own `ladders/` and
`scenarios/` beside the `sim` package, or an installed wheel's copy of them in
`sim/library/`), unless the user allows more: `--allow-outside PATH` on the command
line, or the environment variable `LADDER_ALLOW_OUTSIDE` (paths separated by `os.pathsep`),
which the command sets for its own run so that child processes (the demo server, worker
processes) apply the same rule. Symlinks are resolved before the check. An error names the
reference, never the referenced file's content.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import InputError, Problem, ValidationError

ENV = "LADDER_ALLOW_OUTSIDE"
MAX_BYTES = 2_000_000  # the largest input read (yamlio.MAX_BYTES)
MARKERS = ("ladders", "scenarios")
_SIM = Path(__file__).resolve().parents[1]
# The folder holding the bundled ladders/ and scenarios/: in an installed wheel, sim/library/
# (pyproject maps the two folders there); in a checkout or an editable install, the
# repository itself.
BUNDLED = _SIM / "library" if (_SIM / "library" / "ladders").is_dir() else _SIM.parent
PATH_WIDTH = 160  # a path longer than this is shortened in messages

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


class OutsideProject(InputError):
    """A reference (`ladder:`, `extends:`) to a file outside the allowed folders."""


def shown(path: str | Path, width: int = PATH_WIDTH) -> str:
    """A path for a message, on one line: control characters escaped, shortened in the middle
    when it is very long."""
    text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in str(path))
    if len(text) <= width:
        return text
    return f"{text[:width // 2]}...{text[-width // 4:]} ({len(text)} characters)"


def kind_of(mode: int) -> str | None:
    """What a file of this `st_mode` is, when it is not a regular file (else None)."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "a special file")


def _refuse(path: str | Path, message: str) -> ValidationError:
    return ValidationError([Problem(shown(path), None, "", message)])


def read_input(path: str | Path, cap: int = MAX_BYTES) -> bytes:
    """The bytes of an input file, at most `cap` of them.

    The file is looked at (stat) before it is opened and opened without blocking, then
    checked again on the open descriptor, so a FIFO, a device, a socket or a folder is
    refused by its type and never read; a regular file is read up to `cap + 1` bytes.

    Raises:
        ValidationError: one problem naming the path (shortened when very long): the file
            cannot be opened (missing, permission, name too long...), is not a regular file,
            or is larger than `cap` bytes.
    """
    try:
        kind = kind_of(os.stat(path).st_mode)
        if kind is not None:
            raise _refuse(path, f"cannot read {kind}: only regular files are read")
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        reason = getattr(exc, "strerror", None) or str(exc)
        raise _refuse(path, f"cannot read file: {reason}") from None
    try:
        st = os.fstat(fd)
        kind = kind_of(st.st_mode)
        if kind is not None:  # replaced between stat and open
            raise _refuse(path, f"cannot read {kind}: only regular files are read")
        if st.st_size > cap:
            raise _refuse(path, f"file is {st.st_size} bytes; at most {cap} allowed")
        chunks, size = [], 0
        while size <= cap:
            chunk = os.read(fd, min(cap + 1 - size, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise _refuse(path, f"cannot read file: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if size > cap:  # grew since fstat
        raise _refuse(path, f"file is more than {cap} bytes; at most {cap} allowed")
    return b"".join(chunks)


def is_file(path: Path) -> bool:
    """`path.is_file()`, False also when the path cannot be looked at (e.g. too long)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


# -- where references may point ----------------------------------------------------------------

def project_root(file: str | Path) -> Path:
    """The project of a file: its nearest folder (its own included) that holds `ladders/` or
    `scenarios/`; else the file's own folder. Looked up on the path as given (made absolute),
    then resolved."""
    folder = Path(os.path.abspath(file)).parent
    for candidate in (folder, *folder.parents):
        try:
            if any((candidate / m).is_dir() for m in MARKERS):
                return candidate.resolve()
        except OSError:
            break
    return folder.resolve()


def bundled_roots() -> list[Path]:
    """The bundled library: the `ladders/` and `scenarios/` folders under `BUNDLED`."""
    return [BUNDLED / m for m in MARKERS if (BUNDLED / m).is_dir()]


def allowed_outside() -> list[Path]:
    """The folders `LADDER_ALLOW_OUTSIDE` allows (resolved)."""
    return [Path(p).resolve() for p in os.environ.get(ENV, "").split(os.pathsep) if p]


def check_reference(what: str, ref: str, target: Path, referrer: str | Path) -> None:
    """Refuse `target` (named `ref` in the file `referrer`) unless it lies, symlinks resolved,
    under the referrer's project, the bundled library or an allowed folder.

    Raises:
        OutsideProject: saying where the target is and how to allow it (never its content).
    """
    try:
        real = target.resolve()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL byte
        real = Path(os.path.abspath(target))
    root = project_root(referrer)
    if any(real.is_relative_to(folder) for folder in (root, *bundled_roots(),
                                                        *allowed_outside())):
        return
    named = f"'{shown(ref)}'" if str(real) == ref else f"'{shown(ref)}' ({shown(real)})"
    raise OutsideProject(f"{what} {named} is outside this scenario's project ({shown(root)}); "
                         f"pass --allow-outside {shown(real.parent)} to allow it")


@contextmanager
def allowing(paths: Iterable[str | Path]) -> Iterator[None]:
    """Allow references under `paths` while the block runs (what `--allow-outside` does).

    The paths are added to `LADDER_ALLOW_OUTSIDE` for the duration, so child processes started
    meanwhile (the demo server, worker processes) allow them too.

    Raises:
        InputError: a path that does not exist.
    """
    resolved = []
    for p in paths:
        try:
            real = Path(p).expanduser().resolve()
            exists = real.exists()
        except (OSError, RuntimeError, ValueError):
            exists = False
        if not exists:
            raise InputError(f"--allow-outside {shown(p)}: no such file or folder")
        resolved.append(str(real))
    if not resolved:
        yield
        return
    old = os.environ.get(ENV)
    os.environ[ENV] = os.pathsep.join([*resolved, *([old] if old else [])])
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = old
