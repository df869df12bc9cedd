"""The generalized assignment (GAP) research engine, benchmarked by ``benchmarks/gap.py``.

It lives here, not in the installed package: no ``skillmix`` command uses it.
``caseload`` runs its own exact grouped MILP (``optimiser/caseload/``), which
meets its targets with per-person weights too (docs/benchmarks.md); the two are
cross-checked by ``tests/test_caseload.py::test_first_three_stages_match_the_gap_engine``.
numba and highspy, which this engine needs, are development and benchmark
dependencies only. Import it with ``benchmarks/`` on ``sys.path``.
"""
