"""What-if planning: sizing, compare, resilience and demand volatility.

Every what-if composes :func:`optimiser.solve.solve` (or the sizing MILP of
:mod:`optimiser.model.sizing`) on changed copies of a scenario; none forks
the model.  Multi-plan work runs through :mod:`optimiser.whatif.executor`
(local processes or a Dask cluster, results identical either way).

Submodules are imported on use: :mod:`optimiser.bounds` (now outside the package) and
:mod:`optimiser.whatif.cohorts` load no solver.
"""
