"""The web app's pages: Jinja2 templates (autoescaped) and the data they show."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

BASE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}skillmix{% endblock %}</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f6f7f9}
header{background:#12355b;color:#fff;padding:.7rem 1.2rem}header a{color:#fff;text-decoration:none;font-weight:600}
main{max-width:1100px;margin:1rem auto;padding:0 1rem}
section{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:1rem;margin-bottom:1rem}
table{border-collapse:collapse;width:100%;font-size:.92rem}th,td{border-bottom:1px solid #e4e7eb;padding:.3rem .4rem;text-align:left;vertical-align:top}
th{background:#f0f2f5}.num{text-align:right}.problem{color:#b00020}.red{color:#b00020;font-weight:600}
.bar{height:14px;background:#e4e7eb;border-radius:3px;position:relative}.bar>span{position:absolute;left:0;top:0;bottom:0;background:#2e7d32;border-radius:3px}
.bar>i{position:absolute;top:-3px;bottom:-3px;width:2px;background:#111}
button,input[type=submit]{background:#12355b;color:#fff;border:0;border-radius:4px;padding:.35rem .8rem;cursor:pointer}
input[type=number]{width:6rem}iframe{width:100%;height:600px;border:1px solid #dde1e6}
progress{width:100%}
</style></head><body>
<header><a href="/">skillmix</a> &middot; workforce skill-mix planner</header>
<main>{% block main %}{% endblock %}</main></body></html>"""

HOME = """{% extends "base.html" %}{% block main %}
<section><h1>Scenarios</h1>
{% if problems %}<div class="problem" id="problems"><p>The file was not accepted:</p><ul>
{% for p in problems %}<li>{{ p.text or p.message }}</li>{% endfor %}</ul></div>{% endif %}
<form method="post" action="/scenarios" enctype="multipart/form-data" id="upload">
<input type="hidden" name="csrf" value="{{ csrf }}">
<label>Scenario file (.yaml, .json or .xlsx) <input type="file" name="file" required></label>
<label>Note <input type="text" name="note" value="uploaded"></label>
<input type="submit" value="Upload">
</form>
<p><a href="/api/template.xlsx">Download the Excel template</a> a planner fills in.</p>
<table id="scenarios"><tr><th>Id</th><th>Scenario</th><th>Created</th></tr>
{% for s in scenarios %}<tr><td>{{ s.id }}</td><td><a href="/scenarios/{{ s.id }}">{{ s.name }}</a></td>
<td>{{ s.created.strftime("%Y-%m-%d %H:%M") }}</td></tr>{% endfor %}</table></section>
{% endblock %}"""

SCENARIO = """{% extends "base.html" %}{% block title %}{{ doc.name }} - skillmix{% endblock %}
{% block main %}
<section><h1>{{ doc.name }}</h1>
<h2>Run</h2>
<form method="post" action="/scenarios/{{ doc.id }}/run" id="run-form">
<input type="hidden" name="csrf" value="{{ csrf }}">
<button name="command" value="solve" id="run-solve">Plan (solve)</button>
<button name="command" value="size">Size</button>
<button name="command" value="resilience">Resilience</button>
<label>Samples <input type="number" name="samples" value="100" min="1"></label>
<button name="command" value="simulate">Simulate</button>
</form>
<h2>Versions</h2><table id="versions"><tr><th>Version</th><th>Note</th><th>File</th><th>Saved</th></tr>
{% for v in doc.versions %}<tr><td>{{ v.version }}</td><td>{{ v.note }}</td><td>{{ v.file }}</td><td>{{ v.created[:16] }}</td></tr>{% endfor %}</table>
<h2>Runs</h2><table id="runs"><tr><th>Run</th><th>Command</th><th>Status</th><th></th></tr>
{% for r in doc.runs %}<tr><td><a href="/runs/{{ r.run }}">{{ r.run }}</a></td><td>{{ r.command }}</td><td>{{ r.status }}</td>
<td>{% if loop.index > 1 %}<a href="/compare?a={{ doc.runs[loop.index0 - 1].run }}&b={{ r.run }}">compare with run {{ doc.runs[loop.index0 - 1].run }}</a>{% endif %}</td></tr>{% endfor %}</table>
</section>
<section><h2>Key numbers</h2>
{% if problems %}<div class="problem" id="problems"><p>Not saved:</p><ul>{% for p in problems %}<li>{{ p }}</li>{% endfor %}</ul></div>{% endif %}
<form method="post" action="/scenarios/{{ doc.id }}/edit" id="edit">
<input type="hidden" name="csrf" value="{{ csrf }}">
<table>{% for f in edit %}<tr><td>{{ f.label }}</td><td>
<input type="number" step="any" name="{{ f.name }}" id="{{ f.name }}" value="{{ (form or {}).get(f.name, f.value) }}"></td><td class="problem">{{ f.hint }}</td></tr>{% endfor %}</table>
<label>Note <input type="text" name="note" value="edited in the app" id="note"></label>
<input type="submit" value="Save as a new version" id="save">
</form></section>
{% endblock %}"""

RUN = """{% extends "base.html" %}{% block title %}Run {{ run.run }} - skillmix{% endblock %}
{% block main %}
<section><h1>Run {{ run.run }}: {{ run.command }}</h1>
<p>Status: <strong id="status">{{ run.status }}</strong></p>
<progress id="progress" max="1" value="{{ run.progress }}"></progress>
{% if run.error %}<p class="problem" id="error">{{ run.error }}</p>{% endif %}
{% if run.status in ("queued", "running") %}<button id="cancel" onclick="fetch('/api/runs/{{ run.run }}/cancel',{method:'POST'})">Cancel</button>
<script>
(function poll(){fetch('/api/runs/{{ run.run }}').then(r=>r.json()).then(d=>{
document.getElementById('progress').value=d.progress;document.getElementById('status').textContent=d.status;
if(d.status==='queued'||d.status==='running'){setTimeout(poll,500)}else{location.reload()}})})();
</script>{% endif %}
{% if run.files %}<h2>Files</h2><ul id="files">{% for f in run.files %}<li><a href="/api/runs/{{ run.run }}/files/{{ f }}">{{ f }}</a></li>{% endfor %}</ul>{% endif %}
</section>
{% if results.risks is defined %}
<section><h2>Workforce risk register</h2><p id="summary">{{ results.summary }}</p>
<table id="register"><tr><th>Id</th><th>Score</th><th>Category</th><th>Risk</th><th>Shortfall</th><th>Rows</th></tr>
{% for r in results.risks %}<tr><td>{{ r.id }}</td><td class="num {{ 'red' if r.red_flag }}">{{ r.score }}</td><td>{{ r.category }}</td><td>{{ r.title }}</td><td class="num">{{ r.shortfall }}</td><td class="num">{{ r.get('rows', 1) }}</td></tr>{% endfor %}</table></section>
{% if results.package %}<section><h2>Mitigation package</h2><table id="package"><tr><th>Role</th><th>Add FTE</th><th>New heads</th><th>Annual cost</th><th>Clears</th></tr>
{% for a in results.package.additions %}<tr><td>{{ a.title }}</td><td class="num">{{ a.fte }}</td><td class="num">{{ a.new_heads }}</td><td class="num">£{{ "{:,.0f}".format(a.annual_cost) }}</td><td>{{ a.clears | join(", ") }}</td></tr>{% endfor %}
<tr><th>Total</th><td></td><td></td><th class="num">£{{ "{:,.0f}".format(results.package.annual_cost or 0) }}</th><td></td></tr></table></section>{% endif %}
<section><h2>Utilisation</h2><table id="utilisation"><tr><th>Role / person</th><th>Available h/wk</th><th>Utilisation (tick: target)</th></tr>
{% for u in results.utilisation %}<tr><td>{{ u.who }}</td><td class="num">{{ u.available }}</td><td><div class="bar"><span style="width:{{ u.width }}%"></span><i style="left:{{ u.target }}%"></i></div></td></tr>{% endfor %}</table></section>
{% if results.report %}<section><h2>Report</h2><iframe src="/api/runs/{{ run.run }}/files/report.html" title="report" sandbox></iframe></section>{% endif %}
{% endif %}
{% if results.json %}<section><h2>{{ results.json_name }}</h2><pre id="json">{{ results.json }}</pre></section>{% endif %}
{% endblock %}"""

COMPARE = """{% extends "base.html" %}{% block main %}
<section><h1>Compare runs {{ a }} and {{ b }}</h1>
<table id="comparison"><tr><th></th><th>Run {{ a }}</th><th>Run {{ b }}</th><th>Change</th></tr>
{% for r in rows %}<tr><td>{{ r.label }}</td><td class="num">{{ r.a }}</td><td class="num">{{ r.b }}</td><td class="num">{{ r.change }}</td></tr>{% endfor %}</table>
</section>{% endblock %}"""

TEMPLATES = {
    "base.html": BASE,
    "home.html": HOME,
    "scenario.html": SCENARIO,
    "run.html": RUN,
    "compare.html": COMPARE,
}


def editable(scenario: dict[str, Any]) -> list[dict[str, Any]]:
    """The key numbers a planner edits: FTE, segment sizes, task hours and
    frequencies, the utilisation target."""
    fields: list[dict[str, Any]] = []
    for role, post in (scenario.get("establishment") or {}).items():
        fields.append({"name": f"fte:{role}", "label": f"FTE: {role}", "value": post["fte"]})
    for i, person in enumerate(scenario.get("staff") or []):
        fields.append({"name": f"staff:{i}", "label": f"FTE: {person['id']} ({person['role']})",
                       "value": person["fte"]})  # fmt: skip
    for i, seg in enumerate(scenario.get("cohort") or []):
        fields.append({"name": f"people:{i}", "label": f"People: {seg['tier']}/{seg['stage']}",
                       "value": seg["people"]})  # fmt: skip
    for task_id, task in (scenario.get("tasks") or {}).items():
        fields.append({"name": f"hours:{task_id}", "label": f"Hours per occurrence: {task_id}",
                       "value": task["hours"]})  # fmt: skip
        for tier, freq in task["frequency"].items():
            key = "per_week" if freq.get("per_week") is not None else "every_weeks"
            fields.append({"name": f"freq:{task_id}:{tier}:{key}",
                           "label": f"{key.replace('_', ' ')}: {task_id}, {tier}",
                           "value": freq[key]})  # fmt: skip
    policies = scenario.get("policies") or {}
    fields.append({"name": "policy:utilisation_target", "label": "Utilisation target (policy)",
                   "value": policies.get("utilisation_target", 1.0)})  # fmt: skip
    return fields


def apply_edits(scenario: dict[str, Any], form: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The scenario with the form's numbers applied; problems name the field."""
    data = json.loads(json.dumps(scenario))
    problems = []
    for field in editable(scenario):
        raw = str(form.get(field["name"], field["value"])).strip()
        try:
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError
        except ValueError:
            problems.append(f"{field['label']}: '{raw}' is not a number")
            continue
        kind, _, rest = field["name"].partition(":")
        if kind == "fte":
            data["establishment"][rest]["fte"] = value
            data["establishment"][rest]["headcount"] = max(
                data["establishment"][rest].get("headcount", 0), math.ceil(value - 1e-9)
            )
        elif kind == "staff":
            data["staff"][int(rest)]["fte"] = value
        elif kind == "people":
            if value != int(value):
                problems.append(f"{field['label']}: must be a whole number of people")
                continue
            data["cohort"][int(rest)]["people"] = int(value)
        elif kind == "hours":
            data["tasks"][rest]["hours"] = value
        elif kind == "freq":
            task_id, tier, key = rest.split(":")
            data["tasks"][task_id]["frequency"][tier] = {key: value}
        elif kind == "policy":
            data.setdefault("policies", {})["utilisation_target"] = value
    return data, problems


def results(folder: Path, files: list[str]) -> dict[str, Any]:
    """What the run page shows of a finished run's files."""
    out: dict[str, Any] = {}
    if "plan.json" in files:
        plan = json.loads((folder / "plan.json").read_text())
        out["risks"] = plan["risks"]
        red = sum(1 for r in plan["risks"] if r["red_flag"])
        rows = len(plan.get("shortfalls", []))
        out["summary"] = (
            f"{plan['status']}: {len(plan['risks'])} register entries ({red} red flags) covering "
            f"{rows} shortfall rows; annual cost £{plan['cost']['annual_total']:,.0f}"
        )
        out["package"] = plan.get("mitigation_package")
        out["utilisation"] = [
            {
                "who": u["staff"] or u["role"],
                "available": u["available_hours"],
                "width": round(100 * min(u["utilisation"], 1.0), 1),
                "target": round(100 * u.get("utilisation_target", 1.0), 1),
            }
            for u in plan["utilisation"]
        ]
        out["report"] = "report.html" in files
    for name in ("sizing.json", "resilience.json", "simulation.json"):
        if name in files:
            out["json_name"] = name
            out["json"] = (folder / name).read_text()[:20000]
    return out


def compare(store: Any, a: int, b: int) -> list[dict[str, Any]]:
    """Two finished runs' plans side by side (cost, penalty, risks, red flags)."""
    rows = []
    plans = []
    for run_id in (a, b):
        run = store.run(run_id)
        if run is None or "plan.json" not in (run.files or []):
            plans.append(None)
            continue
        plans.append(json.loads((store.run_dir(run_id) / "plan.json").read_text()))

    def value(plan: dict[str, Any] | None, key: str) -> float | None:
        if plan is None:
            return None
        if key == "cost":
            return plan["cost"]["annual_total"]
        if key == "penalty":
            return plan["objective"]["risk_penalty"]
        if key == "risks":
            return len(plan["risks"])
        if key == "red":
            return sum(1 for r in plan["risks"] if r["red_flag"])
        return sum(r["score"] for r in plan["risks"])

    for key, label in (("cost", "Annual cost (£)"), ("penalty", "Risk penalty"),
                       ("risks", "Register entries"), ("red", "Red flags"),
                       ("score", "Total risk score")):  # fmt: skip
        va, vb = value(plans[0], key), value(plans[1], key)
        change = None if va is None or vb is None else round(vb - va, 2)
        rows.append({"label": label, "a": va, "b": vb, "change": change})
    return rows
