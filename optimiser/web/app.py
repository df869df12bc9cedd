"""``skillmix serve``: the planners' web app (FastAPI on Starlette, Jinja2, SQLAlchemy).

Why FastAPI: typed request handling, multipart uploads (python-multipart), a
test client, and Starlette's middleware for the access token and the origin
check, with nothing to build: the pages are server-rendered Jinja2 templates
(autoescaped) with a little inline JavaScript that polls the JSON API for a
run's progress. No CDN, no build step: everything ships in the package.

Security (PLAN.md, issue 16): the CLI binds 127.0.0.1 unless given a token;
with a token, every request must carry it (``Authorization: Bearer``,
``X-Skillmix-Token``, the ``skillmix_token`` cookie the login link sets, or
``?token=``), compared in constant time. State-changing requests from a
browser page of another origin are refused (``Origin`` must match); the HTML
forms also carry a CSRF token (double-submit cookie). Uploads: at most 5 MB,
``.yaml``/``.yml``/``.json``/``.xlsx`` only, and a scenario may not point at
files on the server (``extends`` or a ``staff:`` CSV path): staff come inline
or as the xlsx staff sheet. A run's files are served only from that run's
folder, by exact name.
"""

from __future__ import annotations

import hmac
import io
import json
import secrets
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import yaml
from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import DictLoader, Environment, select_autoescape

import optimiser.web.pages as pages
from optimiser.scenario import ScenarioError, load_scenario
from optimiser.scenario.excel import scenario_workbook
from optimiser.web.jobs import Jobs, check_options, load_version
from optimiser.web.store import Store

MAX_UPLOAD = 5 * 1024 * 1024
SUFFIXES = (".yaml", ".yml", ".json", ".xlsx")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _problem_texts(exc: ScenarioError) -> list[dict[str, Any]]:
    return [
        {"path": p.path, "line": p.line, "message": p.message, "text": str(p)}
        for p in exc.problems
    ]


def _refuse_server_paths(content: bytes, suffix: str) -> list[dict[str, Any]]:
    """An upload may not make the server read its files: no ``extends``, no staff CSV path."""
    if suffix == ".xlsx":
        return []
    try:
        data = yaml.safe_load(content.decode("utf-8", errors="replace"))
    except yaml.YAMLError:
        return []  # the loader reports the syntax error with its line
    problems = []
    if isinstance(data, dict):
        if "extends" in data:
            problems.append({"path": "extends", "line": None,
                             "message": "an uploaded scenario cannot extend a file on the "
                                        "server; upload the merged scenario"})  # fmt: skip
        if isinstance(data.get("staff"), str):
            problems.append({"path": "staff", "line": None,
                             "message": "an uploaded scenario cannot name a staff CSV on the "
                                        "server; list the staff in the file or use the xlsx "
                                        "staff sheet"})  # fmt: skip
    return problems


async def _read_upload(upload: UploadFile) -> tuple[str, str, bytes]:
    name = Path(upload.filename or "scenario").name
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise HTTPException(422, {"problems": [
            {"path": "file", "line": None,
             "message": f"unsupported file type '{suffix or name}'; upload .yaml, .json or .xlsx"}
        ]})  # fmt: skip
    content = await upload.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise HTTPException(
            413, {"problems": [{"path": "file", "line": None, "message": "larger than 5 MB"}]}
        )
    if not content:
        raise HTTPException(
            422, {"problems": [{"path": "file", "line": None, "message": "the file is empty"}]}
        )
    return name, suffix, content


def _validate(name: str, suffix: str, content: bytes) -> str:
    """The scenario's name, or a 422 naming every problem (key paths)."""
    refused = _refuse_server_paths(content, suffix)
    if refused:
        raise HTTPException(422, {"problems": refused})
    with tempfile.TemporaryDirectory(prefix="skillmix-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(content)
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            problems = _problem_texts(exc)
            for p in problems:  # name the user's file, not our temporary copy
                p["text"] = p["text"].replace(str(path), name)
            raise HTTPException(422, {"problems": problems}) from None
    return scenario.name


def create_app(data: str | Path, token: str | None = None, database: str | None = None,
               workers: int = 1) -> FastAPI:  # fmt: skip
    """The web app over the data folder ``data`` (``token``: required on every request)."""
    store = Store(Path(data), database)
    store.fail_interrupted()
    jobs = Jobs(store, workers)
    env = Environment(
        loader=DictLoader(pages.TEMPLATES), autoescape=select_autoescape(default=True)
    )
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.shutdown()

    app = FastAPI(
        title="skillmix",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.jobs = jobs

    @app.exception_handler(HTTPException)
    async def problems_json(_: Request, exc: HTTPException) -> JSONResponse:
        # PLAN.md: bad input is ``422 {"problems": [...]}``, other errors ``{"error": ...}``
        body = exc.detail if isinstance(exc.detail, dict) else {"error": exc.detail}
        return JSONResponse(body, exc.status_code)

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        if token is not None:
            given = (
                request.headers.get("x-skillmix-token")
                or request.headers.get("authorization", "").removeprefix("Bearer ").strip()
                or request.cookies.get("skillmix_token")
                or request.query_params.get("token")
                or ""
            )
            if not hmac.compare_digest(given.encode(), token.encode()):
                return JSONResponse({"error": "a valid access token is required"}, 401)
        if request.method not in SAFE_METHODS:
            origin = request.headers.get("origin")
            host = request.headers.get("host", "")
            if origin is not None and origin.split("://", 1)[-1] != host:
                return JSONResponse({"error": "cross-origin request refused"}, 403)
        response: Response = await call_next(request)
        if token is not None and request.query_params.get("token") == token:
            response.set_cookie("skillmix_token", token, httponly=True, samesite="strict")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' "
            "'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'"
        )
        return response

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        csrf = request.cookies.get("skillmix_csrf") or secrets.token_urlsafe(24)
        html = env.get_template(name).render(csrf=csrf, **context)
        response = HTMLResponse(html, status_code=status)
        response.set_cookie("skillmix_csrf", csrf, httponly=True, samesite="strict")
        return response

    def check_csrf(request: Request, value: str) -> None:
        cookie = request.cookies.get("skillmix_csrf", "")
        if not cookie or not hmac.compare_digest(cookie.encode(), value.encode()):
            raise HTTPException(403, "the form has expired: reload the page and try again")

    def scenario_json(scenario_id: int) -> dict[str, Any]:
        row = store.scenario(scenario_id)
        if row is None:
            raise HTTPException(404, "no such scenario")
        versions = store.versions(scenario_id)
        latest = versions[-1]
        loaded = load_version(latest.content, latest.suffix)
        return {
            "id": row.id,
            "name": row.name,
            "scenario": loaded.model_dump(mode="json", exclude_none=True),
            "versions": [
                {"version": v.number, "note": v.note, "file": v.filename,
                 "created": v.created.isoformat()}
                for v in versions
            ],  # fmt: skip
            "runs": [run_json(r.id) for r in store.runs(scenario_id)],
        }

    def run_json(run_id: int) -> dict[str, Any]:
        run = store.run(run_id)
        if run is None:
            raise HTTPException(404, "no such run")
        return {
            "run": run.id,
            "command": run.command,
            "options": run.options,
            "status": run.status,
            "progress": round(run.progress, 3),
            "files": run.files or [],
            "error": run.error,
        }

    # -- JSON API (PLAN.md) -------------------------------------------------------------

    @app.post("/api/scenarios", status_code=201)
    async def api_upload(file: UploadFile = File(...), note: str = Form("uploaded")) -> Any:
        name, suffix, content = await _read_upload(file)
        title = _validate(name, suffix, content)
        scenario_id = store.add_scenario(title, name, suffix, content, note[:500])
        return {"id": scenario_id}

    @app.get("/api/scenarios")
    def api_scenarios() -> Any:
        return [{"id": r.id, "name": r.name} for r in store.scenarios()]

    @app.get("/api/scenarios/{scenario_id}")
    def api_scenario(scenario_id: int) -> Any:
        return scenario_json(scenario_id)

    @app.post("/api/scenarios/{scenario_id}/versions", status_code=201)
    async def api_version(scenario_id: int, file: UploadFile = File(...),
                          note: str = Form("")) -> Any:  # fmt: skip
        if store.scenario(scenario_id) is None:
            raise HTTPException(404, "no such scenario")
        name, suffix, content = await _read_upload(file)
        _validate(name, suffix, content)
        return {"version": store.add_version(scenario_id, name, suffix, content, note[:500])}

    @app.post("/api/scenarios/{scenario_id}/runs", status_code=202)
    async def api_run(scenario_id: int, request: Request) -> Any:
        if store.scenario(scenario_id) is None:
            raise HTTPException(404, "no such scenario")
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise HTTPException(422, {"problems": [{"path": "", "line": None,
                                "message": "the body must be JSON"}]}) from None  # fmt: skip
        if not isinstance(body, dict):
            raise HTTPException(422, {"problems": [{"path": "", "line": None,
                                "message": "the body must be a JSON object"}]})  # fmt: skip
        command = body.get("command")
        options = body.get("options") or {}
        version_number = body.get("version")
        problems = check_options(str(command), options if isinstance(options, dict) else {})
        if not isinstance(options, dict):
            problems.append("options: must be an object")
        if problems:
            raise HTTPException(422, {"problems": [
                {"path": p.split(":")[0], "line": None, "message": p} for p in problems
            ]})  # fmt: skip
        version = store.version(scenario_id, version_number)
        if version is None:
            raise HTTPException(404, "no such version")
        run_id = store.add_run(version.id, str(command), options)
        jobs.submit(run_id)
        return {"run": run_id}

    @app.get("/api/runs/{run_id}")
    def api_run_status(run_id: int) -> Any:
        return run_json(run_id)

    @app.post("/api/runs/{run_id}/cancel")
    def api_cancel(run_id: int) -> Any:
        if store.run(run_id) is None:
            raise HTTPException(404, "no such run")
        return {"cancelled": jobs.cancel(run_id)}

    @app.get("/api/runs/{run_id}/files/{name}")
    def api_file(run_id: int, name: str) -> Any:
        run = store.run(run_id)
        if run is None or name not in (run.files or []) or "/" in name or "\\" in name:
            raise HTTPException(404, "no such file")
        folder = store.run_dir(run_id).resolve()
        path = (folder / name).resolve()
        if path.parent != folder or not path.is_file():
            raise HTTPException(404, "no such file")
        inline = name.endswith((".html", ".json"))  # shown in the page; the rest download
        return FileResponse(
            path, filename=name, content_disposition_type="inline" if inline else "attachment"
        )

    @app.get("/api/template.xlsx")
    def api_template() -> Any:


        buffer = io.BytesIO()
        scenario_workbook().save(buffer)
        return Response(
            buffer.getvalue(),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": 'attachment; filename="scenario-template.xlsx"'},
        )

    # -- pages ----------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> Any:
        return page(request, "home.html", scenarios=store.scenarios())

    @app.post("/scenarios")
    async def upload_form(request: Request, file: UploadFile = File(...),
                          csrf: str = Form(""), note: str = Form("uploaded")) -> Any:  # fmt: skip
        check_csrf(request, csrf)
        try:
            name, suffix, content = await _read_upload(file)
            title = _validate(name, suffix, content)
        except HTTPException as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {"problems": []}
            return page(request, "home.html", scenarios=store.scenarios(),
                        problems=detail.get("problems", []), status=exc.status_code)  # fmt: skip
        scenario_id = store.add_scenario(title, name, suffix, content, note[:500] or "uploaded")
        return RedirectResponse(f"/scenarios/{scenario_id}", 303)

    @app.get("/scenarios/{scenario_id}", response_class=HTMLResponse)
    def scenario_page(request: Request, scenario_id: int) -> Any:
        doc = scenario_json(scenario_id)
        return page(request, "scenario.html", doc=doc, edit=pages.editable(doc["scenario"]))

    @app.post("/scenarios/{scenario_id}/edit")
    async def edit_form(request: Request, scenario_id: int) -> Any:
        form = await request.form()
        check_csrf(request, str(form.get("csrf", "")))
        doc = scenario_json(scenario_id)
        data, problems = pages.apply_edits(doc["scenario"], dict(form))
        content = json.dumps(data, indent=1).encode()
        if not problems:
            try:
                _validate("edited.json", ".json", content)
            except HTTPException as exc:
                problems = [p["text"].replace("edited.json: ", "") for p in exc.detail["problems"]]
        if problems:
            return page(request, "scenario.html", status=422, doc=doc,
                        edit=pages.editable(doc["scenario"]), problems=problems,
                        form=dict(form))  # fmt: skip
        note = str(form.get("note") or "edited in the app")[:500]
        store.add_version(scenario_id, "edited.json", ".json", content, note)
        return RedirectResponse(f"/scenarios/{scenario_id}", 303)

    @app.post("/scenarios/{scenario_id}/run")
    async def run_form(request: Request, scenario_id: int) -> Any:
        form = await request.form()
        check_csrf(request, str(form.get("csrf", "")))
        command = str(form.get("command", ""))
        options: dict[str, Any] = {}
        if command == "simulate":
            options["samples"] = int(str(form.get("samples") or 100))
        problems = check_options(command, options)
        version = store.version(scenario_id, None)
        if problems or version is None:
            raise HTTPException(422, {"problems": problems})
        run_id = store.add_run(version.id, command, options)
        jobs.submit(run_id)
        return RedirectResponse(f"/runs/{run_id}", 303)

    @app.get("/runs/{run_id}", response_class=HTMLResponse)
    def run_page(request: Request, run_id: int) -> Any:
        run = run_json(run_id)
        done = run["status"] == "done"
        results = pages.results(store.run_dir(run_id), run["files"]) if done else {}
        return page(request, "run.html", run=run, results=results)

    @app.get("/compare", response_class=HTMLResponse)
    def compare_page(request: Request, a: int, b: int) -> Any:
        return page(request, "compare.html", rows=pages.compare(store, a, b), a=a, b=b)

    return app
