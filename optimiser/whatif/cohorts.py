"""Sampled cohorts from a scenario's ``volatility``: plain NumPy, no solver.

One sample, for sample index ``i`` and seed ``s``:

1. **Segment sizes.** Each segment's size is drawn from a lognormal with the
   segment's ``people`` as mean and ``people_cv`` as coefficient of
   variation (``sigma^2 = ln(1 + cv^2)``, ``mu = ln(people) - sigma^2 / 2``),
   rounded to the nearest integer.  Empty segments stay empty; ``cv = 0``
   keeps every size.
2. **One quarter of tier transitions.** The people of each segment move to
   other tiers with the quarterly probabilities of
   ``volatility.transitions[tier]`` (one multinomial draw per segment; the
   rest stay).  A mover keeps their pathway stage when the target tier has a
   segment of that stage, else joins the target tier's first segment; a
   target tier with no segment at all gets one of the mover's stage (added
   after the cohort, so every sample has the same segments).

The generator of sample ``i`` is ``default_rng(SeedSequence(s, spawn_key=(i,)))``:
the same as ``SeedSequence(s).spawn(n)[i]``, so a sample depends on the seed
and its index only, never on which worker draws it or in which order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from optimiser.scenario import Segment

if TYPE_CHECKING:
    from optimiser.scenario import Scenario


@dataclass(frozen=True)
class CohortModel:
    """The segment structure and volatility of a scenario, ready to sample.

    ``segments`` are ``(tier, stage)`` in cohort order, then any segment that
    transitions create; ``people`` the base sizes; ``moves[j]`` the
    ``(target segment index, probability)`` pairs of segment ``j``.
    """

    segments: tuple[tuple[str, str], ...]
    people: tuple[int, ...]
    cv: float
    moves: tuple[tuple[tuple[int, float], ...], ...]

    @classmethod
    def of(cls, scenario: Scenario) -> CohortModel:
        """Read the segments and ``volatility`` of ``scenario`` (none: no variation)."""
        vol = scenario.volatility
        segments = [(s.tier, s.stage) for s in scenario.cohort]
        people = [s.people for s in scenario.cohort]
        index = {seg: i for i, seg in enumerate(segments)}
        first: dict[str, int] = {}
        for i, (tier, _) in enumerate(segments):
            first.setdefault(tier, i)
        transitions = vol.transitions if vol is not None else {}
        moves: list[list[tuple[int, float]]] = []
        for j in range(len(scenario.cohort)):
            tier, stage = segments[j]
            row: list[tuple[int, float]] = []
            for target, p in transitions.get(tier, {}).items():
                if target == tier or p <= 0:
                    continue
                k = index.get((target, stage), first.get(target))
                if k is None:  # a tier with no segment: one of this stage
                    k = len(segments)
                    segments.append((target, stage))
                    people.append(0)
                    index[(target, stage)] = k
                    first[target] = k
                row.append((k, float(p)))
            moves.append(row)
        moves += [[] for _ in range(len(segments) - len(moves))]
        return cls(
            segments=tuple(segments),
            people=tuple(people),
            cv=float(vol.people_cv) if vol is not None else 0.0,
            moves=tuple(tuple(m) for m in moves),
        )

    def rng(self, seed: int, index: int) -> np.random.Generator:
        """The generator of sample ``index`` (independent of every other sample)."""
        return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))

    def sample(self, seed: int, index: int) -> tuple[int, ...]:
        """People per segment (in :attr:`segments` order) of sample ``index``."""
        rng = self.rng(seed, index)
        base = np.asarray(self.people, dtype=float)
        if self.cv > 0:
            sigma2 = math.log1p(self.cv**2)
            safe = np.where(base > 0, base, 1.0)
            draws = rng.lognormal(np.log(safe) - sigma2 / 2, math.sqrt(sigma2))
            sizes = np.where(base > 0, np.rint(draws), 0).astype(np.int64)
        else:
            sizes = base.astype(np.int64)
        after = sizes.copy()
        for j, row in enumerate(self.moves):
            if not row or sizes[j] == 0:
                continue
            probs = [p for _, p in row]
            stay = max(0.0, 1.0 - sum(probs))
            counts = rng.multinomial(int(sizes[j]), [*probs, stay] if stay > 0 else probs)
            for (k, _), n in zip(row, counts[: len(row)], strict=True):
                after[j] -= n
                after[k] += n
        return tuple(int(v) for v in after)

    def scenario(self, scenario: Scenario, people: tuple[int, ...]) -> Scenario:
        """``scenario`` with the cohort replaced by these segment sizes."""

        known = {(s.tier, s.stage): s for s in scenario.cohort}
        cohort = []
        for (tier, stage), n in zip(self.segments, people, strict=True):
            seg = known.get((tier, stage))
            if seg is not None:
                cohort.append(seg.model_copy(update={"people": n}))
            else:
                cohort.append(Segment(tier=tier, stage=stage, people=n))
        return scenario.model_copy(update={"cohort": cohort})

    @property
    def ids(self) -> list[str]:
        """Segment ids ``tier/stage`` in sample order."""
        return [f"{t}/{s}" for t, s in self.segments]


def default_seed(scenario: Scenario) -> int:
    """``volatility.seed``, else 0."""
    return scenario.volatility.seed if scenario.volatility is not None else 0


def percentile_cohort(
    scenario: Scenario, percentile: float, samples: int = 1000, seed: int | None = None
) -> tuple[Scenario, dict[str, int]]:
    """The scenario with each segment at the ``percentile``-th percentile of its sampled size.

    The percentile is the smallest sampled size that at least ``percentile``
    percent of samples do not exceed (``numpy.percentile`` ``inverted_cdf``).

    Returns
    -------
    tuple
        The changed scenario and ``{segment id: people}``.
    """
    model = CohortModel.of(scenario)
    seed = default_seed(scenario) if seed is None else seed
    draws = np.array([model.sample(seed, i) for i in range(samples)], dtype=np.int64)
    level = np.percentile(draws, percentile, axis=0, method="inverted_cdf")
    people = tuple(int(v) for v in level)
    return model.scenario(scenario, people), dict(zip(model.ids, people, strict=True))
