"""The risk-category registry (``optimiser/categories.py``)."""

from __future__ import annotations

from optimiser import check
from optimiser.categories import BY_FAMILY, CATEGORIES, COVERAGE, SHORTFALL_CATEGORIES, unit_of


def test_registry_agrees_with_the_independent_checker() -> None:
    # the checker keeps its own table (it imports nothing of the package)
    ours = {name: (c.family, c.unit) for name, c in CATEGORIES.items()}
    assert ours == check.SHORTFALL_CATEGORIES
    assert COVERAGE == check.COVERAGE_CATEGORIES


def test_every_category_has_its_constraint_and_one_family_per_other_category() -> None:
    assert tuple(CATEGORIES) == SHORTFALL_CATEGORIES
    assert {c.constraint for c in CATEGORIES.values()} == {f"C{i}" for i in range(3, 9)}
    assert BY_FAMILY == {
        "signoff": "clinical_oversight",
        "supervision": "supervision_capacity",
        "continuity": "continuity_erosion",
        "coordination": "caseload_over_capacity",
        "duty": "duty_cover",
    }


def test_units() -> None:
    assert unit_of("supervision_capacity") == "people"
    assert unit_of("caseload_over_capacity") == "people"
    assert unit_of("coverage_shortfall") == "hours_per_week"
    assert unit_of("signoff_expiry") == "hours_per_week"  # outside the registry
