"""``simulate`` and ``resilience`` on a real Dask ``LocalCluster`` give the local results."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from optimiser.scenario import load_scenario
from optimiser.whatif.executor import DaskExecutor, LocalExecutor, SerialExecutor
from optimiser.whatif.resilience import resilience
from optimiser.whatif.simulate import simulate

distributed = pytest.importorskip("dask.distributed")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "scenarios" / "cmht-north.yaml"
TEACHING = ROOT / "scenarios" / "tiny-teaching.yaml"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """Two worker threads in this process, on the loopback interface."""
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            protocol="tcp://",
            host="127.0.0.1",
            dashboard_address=None,
        ) as local,
        distributed.Client(local) as client,
    ):
        yield client


def _strip(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in ("executor", "seconds")}


def test_simulate_on_dask_equals_local(cluster: Any) -> None:
    scenario = load_scenario(EXAMPLE)
    with DaskExecutor(cluster) as dask:
        on_dask = simulate(scenario, 8, seed=5, executor=dask)
        assert "Dask cluster" in on_dask["executor"]
    local = simulate(scenario, 8, seed=5, executor=SerialExecutor())
    with LocalExecutor(2) as pool:
        processes = simulate(scenario, 8, seed=5, executor=pool)
    assert _strip(on_dask) == _strip(local) == _strip(processes)


def test_resilience_on_dask_equals_local(cluster: Any) -> None:
    scenario = load_scenario(TEACHING)
    with DaskExecutor(cluster) as dask:
        on_dask = resilience(scenario, dask)
    local = resilience(scenario, SerialExecutor())
    assert _strip(on_dask) == _strip(local)


def test_dask_executor_by_address(cluster: Any) -> None:
    address = cluster.scheduler.address
    with DaskExecutor(address) as dask:
        assert dask.workers == 2
        assert dask.map(_square, None, [3, 1, 2]) == [9, 1, 4]
    assert cluster.status == "running"  # the test's own client is left open


def _square(_shared: None, x: int) -> int:
    return x * x
