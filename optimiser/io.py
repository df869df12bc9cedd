"""Writing output files: whole or not at all, with the user's permissions.

Every command writes its files into a temporary place beside the target and
moves them into place only when all of them were written, so a failure never
leaves a half-written plan.  Temporary files are created private (``0600``) by
:mod:`tempfile`; before they are moved into place they are given the mode an
ordinary ``open()`` would have given them (``0666`` less the process umask), so
``report.html`` comes out ``0644`` under the usual umask ``022``, like
``plan.json``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["file_mode", "write_bytes", "write_files"]


def _umask() -> int:
    """The process umask, read without changing it where the OS allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # no read-only query elsewhere: set and restore
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode a new regular file gets from ``open()``: ``0o666`` less the umask."""
    return 0o666 & ~_umask()


def _data(content: str | bytes) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


def write_bytes(
    path: str | Path, content: str | bytes, inputs: Iterable[str | Path] = ()
) -> Path:
    """Write one file atomically (a temporary file renamed into place); never over
    one of ``inputs`` (the command's input files)."""
    target = Path(path)
    _refuse_inputs([target], inputs)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".skillmix-", suffix=target.suffix, dir=target.parent)
    try:
        os.fchmod(fd, file_mode())
        with os.fdopen(fd, "wb") as handle:
            handle.write(_data(content))
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def write_files(
    directory: str | Path,
    files: Mapping[str, str | bytes],
    inputs: Iterable[str | Path] = (),
) -> list[Path]:
    """Write ``files`` (name -> text or bytes) into ``directory``, all or none.

    The files are written into a fresh temporary folder on the same file
    system; then the files they replace are moved aside and the new ones
    renamed into place, and should a rename fail, what was moved is moved back.
    Other files already in the directory are left alone.  A file of ``inputs``
    (the command's input files) is never replaced, and an output whose name a
    folder holds is refused, before anything is written.  An error names
    ``directory`` or the output file, not the temporary folder.
    """
    target = Path(directory)
    _refuse_inputs([target / name for name in files], inputs)
    for name in files:
        path = target / name
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, "an output file's name is a folder", str(path))
    try:
        target.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".skillmix-", dir=target))
    except OSError as exc:
        raise _at(exc, target) from None
    mode = file_mode()
    failed = False
    try:
        for name, content in files.items():
            path = staging / name
            try:
                path.write_bytes(_data(content))
                os.chmod(path, mode)
            except OSError as exc:
                raise _at(exc, target) from None
        aside: list[str] = []  # replaced files, moved into the staging folder
        placed: list[str] = []
        current = ""
        try:
            for current in files:
                if os.path.lexists(target / current):
                    os.replace(target / current, staging / f"{_ASIDE}{current}")
                    aside.append(current)
            for current in files:
                os.replace(staging / current, target / current)
                placed.append(current)
        except BaseException as exc:  # (an interrupt too: put back what was moved)
            _put_back(target, staging, placed, aside)
            failed = True
            if isinstance(exc, OSError):
                raise _at(exc, target / current) from None
            raise
        return [target / name for name in files]
    finally:
        # after a failure, a replaced file that could not be put back is never deleted
        kept = [p.name for p in staging.iterdir() if p.name.startswith(_ASIDE)] if failed else []
        if kept:
            warnings.warn(
                f"{staging}: holds replaced output(s) {', '.join(kept)} that could not be "
                "put back", RuntimeWarning, stacklevel=2,
            )  # fmt: skip
        else:
            shutil.rmtree(staging, ignore_errors=True)


#: the prefix of a replaced file while the new one is moved into place
_ASIDE = ".replaced-"


def _put_back(target: Path, staging: Path, placed: list[str], aside: list[str]) -> None:
    """Undo a partial write: the new files out, the replaced ones back, each as far
    as it goes (one that fails stays where it is: in the staging folder, kept)."""
    for name in reversed(placed):
        with contextlib.suppress(OSError):
            os.replace(target / name, staging / name)
    for name in reversed(aside):
        with contextlib.suppress(OSError):
            os.replace(staging / f"{_ASIDE}{name}", target / name)


def _refuse_inputs(outputs: list[Path], inputs: Iterable[str | Path]) -> None:
    """``FileExistsError`` if an output is one of ``inputs`` (the same file: links
    and a case-insensitive file system included)."""
    present = [Path(p) for p in inputs if p and os.path.exists(p)]
    for path in outputs:
        if path.exists() and any(os.path.samefile(path, p) for p in present):
            raise FileExistsError(
                errno.EEXIST, "an output would replace an input file: choose another output",
                str(path),
            )  # fmt: skip


def _at(exc: OSError, path: Path) -> OSError:
    """``exc`` again, naming ``path`` (the user's) instead of a temporary one."""
    return type(exc)(exc.errno, exc.strerror or str(exc), str(path))
