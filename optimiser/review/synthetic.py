"""A realistic synthetic quarter of delivered work, for demos, tests and benchmarks.

``skillmix synth-activity SCENARIO`` writes ACTIVITY.csv and SUPERVISION.csv
for a staff-mode scenario: every person of every segment (pseudonymised ids
``<tier>-<stage>-<n>``) receives each task that applies to them about as often
as the scenario says (Poisson counts around frequency x weeks), done by a
person who holds the task's competence on the plan date (registered for
registered-only tiers), delegated work signed off by a registered holder
within a few days, and supervision logged most weeks. ``blur``, ``unsigned``
and ``missed`` plant a share of role blur, unsigned delegation and skipped
supervision, so a review has something to find. Deterministic in ``seed``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from optimiser.demand import person_competencies, task_applies
from optimiser.scenario import Scenario


@dataclass(frozen=True)
class SynthParams:
    """How much to generate and what to plant."""

    weeks: int = 13
    seed: int = 7
    people_scale: float = 1.0
    blur: float = 0.01
    unsigned: float = 0.05
    missed: float = 0.1


def synth_activity(scenario: Scenario, params: SynthParams | None = None) -> tuple[str, str]:
    """ACTIVITY.csv and SUPERVISION.csv text for a quarter starting on ``plan_date``."""
    params = params or SynthParams()
    if scenario.staff is None:
        raise ValueError("synth-activity needs a staff-mode scenario (named staff)")
    rng = np.random.default_rng(params.seed)
    start = scenario.plan_date
    days = params.weeks * 7
    staff = list(scenario.staff)
    held = {m.id: person_competencies(scenario, m.role, dict(m.signoffs)) for m in staff}
    registered = {m.id: scenario.roles[m.role].registered for m in staff}
    ids = np.array([m.id for m in staff])
    frames = []
    for task_id, task in scenario.tasks.items():
        holders = [m.id for m in staff if task.competence in held[m.id]]
        others = [m.id for m in staff if task.competence not in held[m.id]]
        reg_holders = [h for h in holders if registered[h]]
        signers = reg_holders
        for seg in scenario.cohort:
            if seg.people <= 0 or not task_applies(task, seg):
                continue
            people = max(1, round(seg.people * params.people_scale))
            rate = task.frequency[seg.tier].rate * params.weeks
            counts = rng.poisson(rate, size=people)
            n = int(counts.sum())
            if n == 0:
                continue
            who = np.repeat(np.arange(people), counts)
            pool = reg_holders if seg.tier in task.registered_for else holders
            if not pool:
                pool = list(ids)
            doers = rng.choice(np.array(pool), size=n)
            if others and params.blur > 0:
                blur = rng.random(n) < params.blur
                doers[blur] = rng.choice(np.array(others), size=int(blur.sum()))
            when = rng.integers(0, days, size=n)
            frame = pd.DataFrame(
                {
                    "date": [(start + timedelta(days=int(d))).isoformat() for d in when],
                    "person": [f"{seg.tier}-{seg.stage}-{i + 1:05d}" for i in who],
                    "tier": seg.tier,
                    "stage": seg.stage,
                    "task": task_id,
                    "staff": doers,
                    "hours": task.hours,
                    "signed_off_by": "",
                    "signed_off_date": "",
                }
            )
            if task.signoff_share > 0 and signers:
                delegated = ~frame["staff"].map(registered).to_numpy(dtype=bool)
                sign = delegated & (rng.random(n) >= params.unsigned)
                k = int(sign.sum())
                frame.loc[sign, "signed_off_by"] = rng.choice(np.array(signers), size=k)
                lag = rng.integers(0, 8, size=k)
                frame.loc[sign, "signed_off_date"] = [
                    (start + timedelta(days=int(d + g))).isoformat()
                    for d, g in zip(when[sign], lag, strict=True)
                ]
            frames.append(frame)
    activity = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if not activity.empty:
        activity = activity.sort_values(["date", "person", "task"], kind="stable")
    sessions = []
    for m in staff:
        sup = scenario.roles[m.role].supervision
        if sup is None or sup.needs_hours_per_week <= 0:
            continue
        givers = [o.id for o in staff if o.role in sup.supervised_by and o.id != m.id]
        if not givers:
            continue
        giver = givers[int(rng.integers(0, len(givers)))]
        for week in range(params.weeks):
            if rng.random() < params.missed:
                continue
            day = start + timedelta(days=7 * week + int(rng.integers(0, 5)))
            sessions.append((day.isoformat(), m.id, giver, sup.needs_hours_per_week))
    supervision = pd.DataFrame(sessions, columns=["date", "supervisee", "supervisor", "hours"])
    return _csv(activity), _csv(supervision)


def _csv(frame: pd.DataFrame) -> str:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def period_of(scenario: Scenario, weeks: int) -> tuple[date, date]:
    """The period a synthetic quarter covers."""
    return scenario.plan_date, scenario.plan_date + timedelta(days=7 * weeks - 1)
