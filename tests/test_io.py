"""Output files: written whole or not at all, with the permissions of the umask.

Temporary files come from :mod:`tempfile` as ``0600``; every output must end up
with the mode ``open()`` would give it, ``0666 & ~umask`` (``0644`` under the
usual ``022``), whether it went through the single-file writer (reports,
Excel) or the all-or-none folder writer (plan files).
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from optimiser.io import file_mode, write_bytes, write_files
from optimiser.scenario import load_scenario

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


def _failing_replace(
    monkeypatch: pytest.MonkeyPatch, failures: dict[tuple[Path, str], BaseException]
) -> list[str]:
    """``os.replace`` that raises ``failures[(destination, source name)]`` for those
    moves and makes the others; returns the destinations' names, in order."""
    real = os.replace
    calls: list[str] = []

    def replace(src: os.PathLike[str] | str, dst: os.PathLike[str] | str) -> None:
        calls.append(Path(dst).name)
        failure = failures.get((Path(dst), Path(src).name))
        if failure is not None:
            raise failure
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    return calls


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


def test_folder_writer_puts_back_what_it_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the second new file fails to move into place: the first is taken back out
    # and both old files are restored (a failed run never leaves two runs' files)
    out = tmp_path / "out"
    write_files(out, {"sample.csv": "old sample", "audit.xlsx": b"old audit"})
    denied = PermissionError(13, "Permission denied", str(out / "audit.xlsx"))
    calls = _failing_replace(monkeypatch, {(out / "audit.xlsx", "audit.xlsx"): denied})
    with pytest.raises(PermissionError) as info:
        write_files(out, {"sample.csv": "new sample", "audit.xlsx": b"new audit"})
    monkeypatch.undo()
    assert info.value.filename == str(out / "audit.xlsx")
    assert (out / "sample.csv").read_text() == "old sample"
    assert (out / "audit.xlsx").read_bytes() == b"old audit"
    assert sorted(p.name for p in out.iterdir()) == ["audit.xlsx", "sample.csv"]
    assert "sample.csv" in calls  # the new sample.csv had been moved in, then out


def test_folder_writer_refuses_a_folder_in_an_output_s_place(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_files(out, {"sample.csv": "old"})
    (out / "audit.xlsx" / "x").mkdir(parents=True)
    with pytest.raises(IsADirectoryError, match="name is a folder"):
        write_files(out, {"sample.csv": "new", "audit.xlsx": b"new"})
    assert (out / "sample.csv").read_text() == "old"


def test_folder_writer_never_replaces_an_input(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "review.csv").write_text("the activity extract")
    with pytest.raises(FileExistsError, match="replace an input"):
        write_files(out, {"review.json": "{}", "review.csv": "x"}, inputs=[out / "review.csv"])
    assert (out / "review.csv").read_text() == "the activity extract"
    assert sorted(p.name for p in out.iterdir()) == ["review.csv"]


def test_cli_refuses_to_write_over_its_input(tmp_path: Path) -> None:
    # caseload X/caseload.csv -o X: exit 2, the people file untouched
    staff = ROOT / "scenarios" / "cmht-north-staff.yaml"
    out = tmp_path / "out"
    out.mkdir()
    people = out / "caseload.csv"
    people.write_bytes((ROOT / "scenarios" / "cmht-north-people.csv").read_bytes())
    before = people.read_bytes()
    result = CliRunner().invoke(main, ["caseload", str(staff), str(people), "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert "replace an input file" in result.output
    assert people.read_bytes() == before


def test_cli_refuses_to_write_over_a_file_the_scenario_reads(tmp_path: Path) -> None:
    # the staff CSV and the scenario it extends are inputs too: here they bear
    # the names of `competencies` and `solve` outputs, in the output folder
    yaml = (ROOT / "scenarios" / "cmht-north-staff.yaml").read_text()
    yaml = yaml.replace("extends: cmht-north.yaml", "extends: plan.json")
    yaml = yaml.replace("staff: cmht-north-staff.csv", "staff: competencies.csv")
    (tmp_path / "staff.yaml").write_text(yaml)
    base = load_scenario(ROOT / "scenarios" / "cmht-north.yaml").model_dump(mode="json")
    (tmp_path / "plan.json").write_text(json.dumps(base))
    staff_csv = (ROOT / "scenarios" / "cmht-north-staff.csv").read_bytes()
    (tmp_path / "competencies.csv").write_bytes(staff_csv)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    for command in ("competencies", "solve"):
        args = [command, str(tmp_path / "staff.yaml"), "-o", str(tmp_path)]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, result.output
        assert "replace an input file" in result.output
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_cli_output_folder_that_is_a_file_exits_2(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    result = CliRunner().invoke(main, ["solve", str(EXAMPLE), "-o", str(tmp_path / "f" / "out")])
    assert result.exit_code == 2, result.output
    assert "Not a directory" in result.output and ".skillmix" not in result.output


def test_folder_writer_keeps_a_replaced_file_it_cannot_put_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # placing y.csv fails, and so does putting the old x.csv back: the old x.csv
    # must survive (in the staging folder), never be deleted with it
    out = tmp_path / "out"
    write_files(out, {"x.csv": "old x", "y.csv": "old y"})
    _failing_replace(monkeypatch, {
        (out / "y.csv", "y.csv"): PermissionError(13, "Permission denied", str(out / "y.csv")),
        (out / "x.csv", ".replaced-x.csv"): PermissionError(13, "Permission denied"),
    })  # fmt: skip
    with pytest.raises(PermissionError), pytest.warns(RuntimeWarning, match="could not be put"):
        write_files(out, {"x.csv": "new x", "y.csv": "new y"})
    monkeypatch.undo()
    assert (out / "y.csv").read_text() == "old y"
    kept = list(out.glob(".skillmix-*/.replaced-x.csv"))
    assert len(kept) == 1 and kept[0].read_text() == "old x"


def test_folder_writer_puts_back_on_an_interrupt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    write_files(out, {"x.csv": "old x", "y.csv": "old y"})
    _failing_replace(monkeypatch, {(out / "y.csv", "y.csv"): KeyboardInterrupt()})
    with pytest.raises(KeyboardInterrupt):
        write_files(out, {"x.csv": "new x", "y.csv": "new y"})
    monkeypatch.undo()
    assert (out / "x.csv").read_text() == "old x" and (out / "y.csv").read_text() == "old y"
    assert sorted(p.name for p in out.iterdir()) == ["x.csv", "y.csv"]


def test_an_input_is_known_through_a_hard_link(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    source = tmp_path / "people.csv"
    source.write_text("the people")
    os.link(source, out / "caseload.csv")  # the same file under the output's name
    with pytest.raises(FileExistsError):
        write_files(out, {"caseload.csv": "x"}, inputs=[source])
    assert source.read_text() == "the people"


def test_report_never_writes_over_its_scenario(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_bytes(EXAMPLE.read_bytes())
    result = CliRunner().invoke(main, ["report", str(scenario), "-o", str(scenario)])
    assert result.exit_code == 2, result.output
    assert scenario.read_bytes() == EXAMPLE.read_bytes()


def test_rewriting_a_folder_leaves_nothing_behind(tmp_path: Path) -> None:
    # the replaced files are deleted once the new ones are in place (a release
    # candidate kept them in a hidden folder, with a warning, on every rewrite)
    import warnings

    out = tmp_path / "out"
    write_files(out, {"plan.json": "{}", "risks.csv": "old"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_files(out, {"plan.json": "{}", "risks.csv": "new"})
    assert sorted(p.name for p in out.iterdir()) == ["plan.json", "risks.csv"]
    assert (out / "risks.csv").read_text() == "new"
