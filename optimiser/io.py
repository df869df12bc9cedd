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

import os
import shutil
import tempfile
from collections.abc import Mapping
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


def write_bytes(path: str | Path, content: str | bytes) -> Path:
    """Write one file atomically (a temporary file renamed into place)."""
    target = Path(path)
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


def write_files(directory: str | Path, files: Mapping[str, str | bytes]) -> list[Path]:
    """Write ``files`` (name -> text or bytes) into ``directory``, all or none.

    The files are written into a fresh temporary folder on the same file
    system, then each is renamed into place.  Other files already in the
    directory are left alone.
    """
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".skillmix-", dir=target))
    mode = file_mode()
    try:
        for name, content in files.items():
            path = staging / name
            path.write_bytes(_data(content))
            os.chmod(path, mode)
        written = []
        for name in files:
            os.replace(staging / name, target / name)
            written.append(target / name)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)
