"""The progress bar wrapper: disabled it does nothing, enabled it passes each
step and each new label to ``rich``."""

from __future__ import annotations

import rich.progress

from optimiser.progress import Progress


def test_disabled_bar_takes_steps_and_labels_and_prints_nothing(capsys) -> None:  # type: ignore[no-untyped-def]
    with Progress(enabled=False).task("Work", 3) as advance:
        advance(1)
        advance(0, description="Work: the second part")
    assert capsys.readouterr() == ("", "")


def test_enabled_bar_passes_steps_and_labels_to_rich(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls: list[dict[str, object]] = []
    update = rich.progress.Progress.update

    def record(self, task_id, **kwargs):  # type: ignore[no-untyped-def]
        calls.append({k: v for k, v in kwargs.items() if k in ("advance", "description")})
        return update(self, task_id, **kwargs)

    monkeypatch.setattr(rich.progress.Progress, "update", record)
    with Progress(enabled=True).task("Work", 2, eta=False) as advance:
        advance(0, description="Work: first")
        advance(1)
        advance(1, description="Work: done")
    assert calls == [
        {"advance": 0, "description": "Work: first"},
        {"advance": 1, "description": None},
        {"advance": 1, "description": "Work: done"},
    ]


def test_time_left_column_only_when_asked(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    made: list[list[str]] = []
    init = rich.progress.Progress.__init__

    def record(self, *columns, **kwargs):  # type: ignore[no-untyped-def]
        made.append([type(c).__name__ for c in columns])
        init(self, *columns, **kwargs)

    monkeypatch.setattr(rich.progress.Progress, "__init__", record)
    for eta in (True, False):
        with Progress(enabled=True).task("Work", 1, eta=eta) as advance:
            advance(1)
    assert ["TimeRemainingColumn" in names for names in made] == [True, False]
