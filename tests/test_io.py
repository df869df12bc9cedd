"""Output files: written whole or not at all, with the permissions of the umask.

Temporary files come from :mod:`tempfile` as ``0600``; every output must end up
with the mode ``open()`` would give it, ``0666 & ~umask`` (``0644`` under the
usual ``022``), whether it went through the single-file writer (reports,
Excel) or the all-or-none folder writer (plan files).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from optimiser.io import file_mode, write_bytes, write_files

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "scenarios" / "tiny-teaching.yaml"


@pytest.fixture(params=[0o022, 0o027, 0o002])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_file_mode_follows_umask(umask: int) -> None:
    # 0o666 & ~0o022 = 0o644; & ~0o027 = 0o640; & ~0o002 = 0o664
    assert file_mode() == {0o022: 0o644, 0o027: 0o640, 0o002: 0o664}[umask]


def test_single_file_writer_follows_umask(tmp_path: Path, umask: int) -> None:
    path = write_bytes(tmp_path / "report.html", "<html></html>")
    assert path.read_text() == "<html></html>"
    assert mode(path) == 0o666 & ~umask


def test_folder_writer_follows_umask(tmp_path: Path, umask: int) -> None:
    paths = write_files(tmp_path / "out", {"plan.json": "{}", "audit.xlsx": b"PK\x03\x04"})
    assert [p.name for p in paths] == ["plan.json", "audit.xlsx"]
    assert (tmp_path / "out" / "audit.xlsx").read_bytes() == b"PK\x03\x04"
    assert all(mode(p) == 0o666 & ~umask for p in paths)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["audit.xlsx", "plan.json"]


def test_folder_writer_all_or_none(tmp_path: Path) -> None:
    # the second file cannot be written (its name is a folder): nothing lands
    out = tmp_path / "out"
    with pytest.raises(OSError):
        write_files(out, {"plan.json": "{}", "sub/risks.csv": "x"})
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("fmt", ["html", "md", "xlsx"])
def test_report_and_plan_files_follow_umask(tmp_path: Path, fmt: str) -> None:
    old = os.umask(0o022)
    try:
        runner = CliRunner()
        report = tmp_path / f"report.{fmt}"
        result = runner.invoke(main, ["report", str(EXAMPLE), "-o", str(report)])
        assert result.exit_code == 0, result.output
        assert mode(report) == 0o644
        result = runner.invoke(main, ["solve", str(EXAMPLE), "-o", str(tmp_path / "plan")])
        assert result.exit_code == 0, result.output
        for name in ("plan.json", "allocation.csv", "risks.csv", "utilisation.csv"):
            assert mode(tmp_path / "plan" / name) == 0o644
        template = tmp_path / "scenario.xlsx"
        result = runner.invoke(main, ["template", "-o", str(template)])
        assert result.exit_code == 0, result.output
        assert mode(template) == 0o644
    finally:
        os.umask(old)
