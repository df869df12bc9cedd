"""Web app benchmark: page latency with 100 stored scenarios, and a solve through the
app against the CLI.

    python benchmarks/bench_serve.py [--scenarios 100] [--repeats 5] [--json OUT]

Starts ``skillmix serve`` (its defaults, loopback, a fresh data folder) as its own
process, uploads ``--scenarios`` copies of the teaching scenario through the
JSON API, then times (wall, from this client process):

* ``GET /`` and ``GET /scenarios/1`` (20 requests each, median): target 200 ms;
* a solve of the example through the app: ``POST /api/scenarios/{id}/runs``
  until ``GET /api/runs/{run}`` says done (polled every 20 ms), against
  ``skillmix solve scenarios/cmht-north.yaml`` as a whole process, alternating,
  ``--repeats`` times each (median): target app <= 1.5 x CLI.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SKILLMIX = str(Path(sys.executable).parent / "skillmix")
TINY = ROOT / "scenarios" / "tiny-teaching.yaml"
EXAMPLE = ROOT / "scenarios" / "cmht-north.yaml"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
    req = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(req, timeout=120) as response:
        return response.read()


def upload(base: str, path: Path) -> int:
    boundary = "skillmixbench"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
        f"filename=\"{path.name}\"\r\nContent-Type: application/x-yaml\r\n\r\n"
    ).encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    out = _request(f"{base}/api/scenarios", body,
                   {"Content-Type": f"multipart/form-data; boundary={boundary}"})  # fmt: skip
    return int(json.loads(out)["id"])


def solve_through_app(base: str, scenario_id: int) -> float:
    start = time.perf_counter()
    body = json.dumps({"command": "solve", "options": {}}).encode()
    run = json.loads(_request(f"{base}/api/scenarios/{scenario_id}/runs", body,
                              {"Content-Type": "application/json"}))["run"]  # fmt: skip
    while True:
        status = json.loads(_request(f"{base}/api/runs/{run}"))["status"]
        if status in ("done", "failed"):
            break
        time.sleep(0.02)
    if status != "done":
        raise RuntimeError(f"run {run} failed")
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    port = _port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="skillmix-serve-") as tmp:
        server = subprocess.Popen([SKILLMIX, "serve", "--port", str(port), "--data",
                                   str(Path(tmp) / "data")], stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            for _ in range(200):
                try:
                    _request(f"{base}/api/scenarios")
                    break
                except OSError:
                    time.sleep(0.1)
            for _ in range(args.scenarios):
                upload(base, TINY)
            example = upload(base, EXAMPLE)
            pages: dict[str, list[float]] = {"/": [], "/scenarios/1": []}
            for _ in range(20):
                for url in pages:
                    t = time.perf_counter()
                    _request(base + url)
                    pages[url].append(time.perf_counter() - t)
            app_s: list[float] = []
            cli_s: list[float] = []
            for i in range(args.repeats):
                for arm in (("app", "cli") if i % 2 == 0 else ("cli", "app")):
                    if arm == "app":
                        app_s.append(solve_through_app(base, example))
                    else:
                        t = time.perf_counter()
                        subprocess.run([SKILLMIX, "solve", str(EXAMPLE), "-o",
                                        str(Path(tmp) / f"cli{i}")], check=True,
                                       capture_output=True)  # fmt: skip
                        cli_s.append(time.perf_counter() - t)
        finally:
            server.terminate()
            server.wait(timeout=20)
    result = {
        "stored_scenarios": args.scenarios + 1,
        "page_median_ms": {u: round(1000 * statistics.median(v), 1) for u, v in pages.items()},
        "solve_app_s": app_s,
        "solve_cli_s": cli_s,
        "median_app_s": statistics.median(app_s),
        "median_cli_s": statistics.median(cli_s),
    }
    ratio = result["median_app_s"] / result["median_cli_s"]
    result["ratio"] = ratio
    print(
        f"{args.scenarios + 1} scenarios stored: pages "
        + ", ".join(f"{u} {ms:.0f} ms" for u, ms in result["page_median_ms"].items())
        + f"; example solve through the app {result['median_app_s']:.2f} s vs CLI "
        f"{result['median_cli_s']:.2f} s (ratio {ratio:.2f})"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
