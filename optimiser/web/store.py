"""Storage of the web app: scenarios, their versions, runs and run files.

An embedded SQLite database (``<data>/skillmix.db``) through SQLAlchemy, or any
database URL SQLAlchemy knows (``--database postgresql://...`` for a shared
server). A version keeps the uploaded file's bytes and format; a run's output
files live in ``<data>/runs/<run id>/`` and are written whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    create_engine,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker


class Base(DeclarativeBase):
    pass


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class ScenarioRow(Base):
    __tablename__ = "scenarios"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class VersionRow(Base):
    __tablename__ = "versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    filename: Mapped[str] = mapped_column(String(300))
    suffix: Mapped[str] = mapped_column(String(10))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class RunRow(Base):
    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"), index=True)
    command: Mapped[str] = mapped_column(String(30))
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    files: Mapped[list[str]] = mapped_column(JSON, default=list)
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    finished: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class Store:
    """The database and the run folders under one data directory."""

    def __init__(self, data: Path, url: str | None = None) -> None:
        self.data = data
        self.data.mkdir(parents=True, exist_ok=True)
        (self.data / "runs").mkdir(exist_ok=True)
        self.engine = create_engine(url or f"sqlite:///{self.data / 'skillmix.db'}")
        Base.metadata.create_all(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        return self.sessions()

    def fail_interrupted(self) -> int:
        """Runs left queued or running by a server that stopped: marked failed."""
        with self.session() as s:
            rows = s.scalars(select(RunRow).where(RunRow.status.in_(("queued", "running"))))
            n = 0
            for run in rows:
                run.status = "failed"
                run.error = "the server stopped before the run finished"
                run.finished = _now()
                n += 1
            s.commit()
            return n

    def add_scenario(self, name: str, filename: str, suffix: str, content: bytes, note: str) -> int:
        with self.session() as s:
            row = ScenarioRow(name=name)
            s.add(row)
            s.flush()
            s.add(VersionRow(scenario_id=row.id, number=1, note=note, filename=filename,
                             suffix=suffix, content=content))  # fmt: skip
            s.commit()
            return row.id

    def add_version(self, scenario_id: int, filename: str, suffix: str, content: bytes,
                    note: str) -> int:  # fmt: skip
        with self.session() as s:
            last = s.scalars(
                select(VersionRow)
                .where(VersionRow.scenario_id == scenario_id)
                .order_by(VersionRow.number.desc())
            ).first()
            number = (last.number if last else 0) + 1
            row = VersionRow(scenario_id=scenario_id, number=number, note=note,
                             filename=filename, suffix=suffix, content=content)  # fmt: skip
            s.add(row)
            s.commit()
            return row.number

    def scenario(self, scenario_id: int) -> ScenarioRow | None:
        with self.session() as s:
            return s.get(ScenarioRow, scenario_id)

    def scenarios(self) -> list[ScenarioRow]:
        with self.session() as s:
            return list(s.scalars(select(ScenarioRow).order_by(ScenarioRow.id.desc())))

    def versions(self, scenario_id: int) -> list[VersionRow]:
        with self.session() as s:
            return list(
                s.scalars(
                    select(VersionRow)
                    .where(VersionRow.scenario_id == scenario_id)
                    .order_by(VersionRow.number)
                )
            )

    def version(self, scenario_id: int, number: int | None = None) -> VersionRow | None:
        versions = self.versions(scenario_id)
        if not versions:
            return None
        if number is None:
            return versions[-1]
        return next((v for v in versions if v.number == number), None)

    def add_run(self, version_id: int, command: str, options: dict[str, Any]) -> int:
        with self.session() as s:
            row = RunRow(version_id=version_id, command=command, options=options)
            s.add(row)
            s.commit()
            return row.id

    def run(self, run_id: int) -> RunRow | None:
        with self.session() as s:
            return s.get(RunRow, run_id)

    def runs(self, scenario_id: int) -> list[RunRow]:
        with self.session() as s:
            ids = [v.id for v in self.versions(scenario_id)]
            return list(
                s.scalars(select(RunRow).where(RunRow.version_id.in_(ids)).order_by(RunRow.id))
            )

    def update_run(self, run_id: int, **fields: Any) -> None:
        with self.session() as s:
            row = s.get(RunRow, run_id)
            if row is None:
                return
            for key, value in fields.items():
                setattr(row, key, value)
            if fields.get("status") in ("done", "failed", "cancelled"):
                row.finished = _now()
            s.commit()

    def run_dir(self, run_id: int) -> Path:
        return self.data / "runs" / str(int(run_id))


def dumps(value: Any) -> str:
    return json.dumps(value, default=str)
