"""Competency dashboard statuses (month arithmetic) and signoff_expiry risks."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cli import main
from optimiser.competencies import dashboard, status_of
from optimiser.demand import add_months, signoff_valid
from optimiser.scenario import load_scenario
from optimiser.solve import SolveParams
from optimiser.whatif.assess import assess

PLAN_DATE = date(2027, 4, 1)


@pytest.mark.parametrize(
    ("signed", "months", "status", "expires"),
    [
        (None, None, "not_required", None),
        (None, 12, "none", None),
        (date(2026, 4, 1), 12, "expired", date(2027, 4, 1)),  # lapses on the day: not valid
        (date(2026, 4, 2), 12, "expiring", date(2027, 4, 2)),  # valid, lapses tomorrow
        (date(2026, 6, 30), 12, "expiring", date(2027, 6, 30)),  # exactly 90 days away
        (date(2026, 7, 1), 12, "current", date(2027, 7, 1)),  # 91 days away
        (date(2027, 4, 1), 12, "current", date(2028, 4, 1)),  # signed on the day
        (date(2027, 4, 2), 12, "none", date(2028, 4, 2)),  # not yet valid
        (date(2025, 3, 31), 24, "expired", date(2027, 3, 31)),
    ],
)
def test_status_of_follows_dates_exactly(signed, months, status, expires) -> None:
    assert status_of(signed, months, PLAN_DATE) == (status, expires)


def test_month_arithmetic_clamps_to_month_end() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2027, 1, 31), 13) == date(2028, 2, 29)  # leap year
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
    # valid from the sign-off date until the same day N months later, exclusive
    assert signoff_valid(date(2026, 1, 31), 1, date(2026, 2, 27))
    assert not signoff_valid(date(2026, 1, 31), 1, date(2026, 2, 28))
    assert not signoff_valid(date(2026, 2, 1), 1, date(2026, 1, 31))
    # past the calendar's end (was ValueError: year 10000 is out of range)
    assert add_months(date(9999, 6, 1), 12) == date.max
    assert add_months(date(2026, 6, 1), 10**20) == date.max


@pytest.mark.parametrize("command", ["competencies", "solve"])
def test_a_signoff_that_outlasts_the_calendar(tmp_path: Path, command: str) -> None:
    # signed in 9999 with 12 months' validity: the commands once failed with exit 1
    path = _tiny_staff(tmp_path, "9999-06-01")
    result = CliRunner().invoke(main, [command, str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output


def _tiny_staff(tmp_path: Path, med_signed: str, plan_date: str = "2027-04-01") -> Path:
    """One nurse holds medication by sign-off; one support worker too (or not)."""
    data = {
        "name": "tiny staff",
        "plan_date": plan_date,
        "hours_per_fte": 40.0,
        "headroom": {"annual_leave": 0.25},
        "competencies": {
            "engagement": {"title": "Engagement"},
            "medication": {"title": "Medication", "signoff_valid_months": 12},
        },
        "roles": {
            "nurse": {"title": "Nurse", "registered": True, "annual_cost": 60000,
                      "competencies": ["engagement", "medication"], "caseload_capacity": 20},
        },
        "staff": [
            {"id": "N1", "role": "nurse", "fte": 1.0, "signoffs": {"medication": med_signed}},
            {"id": "N2", "role": "nurse", "fte": 1.0},
        ],
        "tiers": {"amber": {"title": "Amber", "severity": 3, "caseload_weight": 1.0}},
        "cohort": [{"tier": "amber", "people": 10}],
        "tasks": {
            "meds": {"title": "Medication review", "competence": "medication", "hours": 1.0,
                     "frequency": {"amber": {"per_week": 1}}},
        },
    }
    path = tmp_path / "tiny-staff.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_dashboard_rows(tmp_path: Path) -> None:
    scenario = load_scenario(_tiny_staff(tmp_path, "2026-05-01"))
    rows = {(c.staff, c.competency): c for c in dashboard(scenario)}
    assert rows[("N1", "medication")].status == "expiring"
    assert rows[("N1", "medication")].expires == date(2027, 5, 1)
    assert rows[("N2", "medication")].status == "none"
    assert rows[("N1", "engagement")].status == "not_required"


def test_expiring_signoff_that_opens_a_shortfall_is_a_risk(tmp_path: Path) -> None:
    # N1 is the only person signed off in medication (10 h/week of reviews, 30 h
    # available); the sign-off lapses on 2027-05-01, 30 days after plan_date:
    # re-planned without it, the 10 h go undone -> signoff_expiry, likelihood 5
    plan = assess(load_scenario(_tiny_staff(tmp_path, "2026-05-01")), SolveParams())
    assert [r["category"] for r in plan.risks] == ["signoff_expiry"]
    risk = plan.risks[0]
    assert (risk["staff"], risk["competency"], risk["expires"]) == ("N1", "medication",
                                                                     "2027-05-01")
    assert risk["shortfall"] == 10.0 and risk["unit"] == "hours_per_week"
    assert risk["likelihood"] == 5 and risk["score"] == risk["consequence"] * 5
    assert risk["mitigations"][0]["action"] == "renew_signoff"


def test_current_signoff_is_no_risk(tmp_path: Path) -> None:
    plan = assess(load_scenario(_tiny_staff(tmp_path, "2026-12-01")), SolveParams())
    assert plan.risks == []


def test_expired_signoff_is_not_held(tmp_path: Path) -> None:
    # signed 2026-03-01: lapsed on 2027-03-01, before plan_date -> nobody holds it
    plan = assess(load_scenario(_tiny_staff(tmp_path, "2026-03-01")), SolveParams())
    (risk,) = plan.risks
    assert risk["category"] == "competence_gap"
    assert {m["action"] for m in risk["mitigations"]} >= {"renew_signoff"}


def test_cli_competencies_writes_csv(tmp_path: Path) -> None:
    path = _tiny_staff(tmp_path, "2026-05-01")
    result = CliRunner().invoke(main, ["competencies", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    with open(tmp_path / "out" / "competencies.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0].keys() == {"staff", "role", "competency", "status", "signed_off", "expires"}
    assert {(r["staff"], r["competency"], r["status"]) for r in rows} == {
        ("N1", "engagement", "not_required"),
        ("N1", "medication", "expiring"),
        ("N2", "engagement", "not_required"),
        ("N2", "medication", "none"),
    }


def test_cli_competencies_in_fte_mode_is_bad_input() -> None:
    example = Path(__file__).resolve().parent.parent / "scenarios" / "cmht-north.yaml"
    result = CliRunner().invoke(main, ["competencies", str(example)])
    assert result.exit_code == 2
    assert "FTE mode" in result.stderr
