"""Optimisation models; the only subpackage that imports OR-Tools.

Engines: the hours model and the coordination model are HiGHS MILPs (an LP
with a handful of integer supervision / coordination counts).

The package itself imports nothing: a command loads only the engines it uses
(``caseload`` needs MathOpt, not the linear-solver wrapper of the hours model).
"""
