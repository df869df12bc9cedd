"""``docs/format.md`` agrees with the scenario models (the one schema).

Every key table of the format reference (``| key | type | default | rules |
meaning |``) lists exactly the fields of its pydantic model, and says
"required" exactly for the fields the model requires; the models documented in
prose (Frequency, Headroom) name every field there.  The Excel template takes
its columns from the same models (``optimiser/scenario/excel.py``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from optimiser.scenario import models
from optimiser.scenario.excel import SHEETS

DOC = Path(__file__).resolve().parents[1] / "docs" / "format.md"

#: table context (the heading or bold label above it) -> model
TABLES: dict[str, type[BaseModel]] = {
    "Top level": models.Scenario,
    "competencies": models.Competency,
    "roles": models.Role,
    "supervision": models.Supervision,
    "establishment (FTE mode)": models.Post,
    "staff (staff mode)": models.StaffMember,
    "tiers": models.Tier,
    "cohort": models.Segment,
    "tasks": models.Task,
    "policies": models.Policies,
    "Duty": models.Duty,
    "Red flags": models.RedFlags,
    "volatility": models.Volatility,
    "sizing": models.Sizing,
}
PROSE: dict[str, type[BaseModel]] = {"Frequency": models.Frequency, "headroom": models.Headroom}


def _tables() -> dict[str, list[tuple[str, str]]]:
    """Context -> (key, default) rows of each key table in the document."""
    out: dict[str, list[tuple[str, str]]] = {}
    context = ""
    rows: list[tuple[str, str]] | None = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"#{2,3} (.+)", line)
        bold = re.match(r"\*\*([^*]+)\*\*", line)
        if heading or bold:
            context = (heading or bold).group(1).strip()  # type: ignore[union-attr]
        if line.startswith("| key | type | default |"):
            rows = out.setdefault(context, [])
            continue
        if rows is not None:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not line.startswith("|"):
                rows = None
            elif cells[0].startswith("`"):
                rows.append((cells[0].strip("`"), cells[2]))
    return out


def test_every_model_has_its_table() -> None:
    assert set(_tables()) == set(TABLES)


@pytest.mark.parametrize("context", sorted(TABLES))
def test_table_lists_the_model_fields_and_the_required_ones(context: str) -> None:
    model = TABLES[context]
    rows = _tables()[context]
    keys = [k for k, _ in rows]
    if model is models.Scenario:
        keys.remove("extends")  # resolved by the loader before the model sees the file
    assert keys == list(model.model_fields)
    required = {k for k, default in rows if default == "required"}
    assert required == {k for k, f in model.model_fields.items() if f.is_required()}


@pytest.mark.parametrize("label", sorted(PROSE))
def test_prose_models_name_every_field(label: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in PROSE[label].model_fields:
        assert f"`{name}" in text, name


def test_every_field_is_described_for_the_excel_template() -> None:
    for model in [*TABLES.values(), *PROSE.values()]:
        for name in model.model_fields:
            assert models.field_doc(model, name), f"{model.__name__}.{name} has no docstring"


def test_excel_columns_carry_the_model_descriptions() -> None:
    roles = next(s for s in SHEETS if s.name == "roles")
    capacity = roles.column("caseload_capacity")
    assert capacity is not None
    assert capacity.help == models.field_doc(models.Role, "caseload_capacity")
    assert capacity.help.startswith("Weighted caseload points")
    supervisees = roles.column("max_supervisees")
    assert supervisees is not None and supervisees.path == ("supervision", "max_supervisees")


def test_field_help_is_empty_without_the_models_source(monkeypatch: pytest.MonkeyPatch) -> None:
    # an install without .py sources: no column help (as pydantic gave none), no error
    def missing(self: Path, *args: object, **kwargs: object) -> str:
        raise FileNotFoundError(self)

    models._attribute_docs.cache_clear()
    monkeypatch.setattr(models.Path, "read_text", missing)
    try:
        assert models.field_doc(models.Role, "caseload_capacity") == ""
    finally:
        models._attribute_docs.cache_clear()  # (parsed again once the patch is undone)
