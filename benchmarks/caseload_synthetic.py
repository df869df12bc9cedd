"""Deterministic, realistic caseload instances for benchmarks and tests.

Shape of a trust's community teams (figures are planning assumptions, not data):

* coordinators split evenly over localities (teams); roles nurse 50 %, social
  worker 25 %, OT 12 %, team leader 5 %, non-registered assistant practitioner
  8 %; FTE 1.0 / 0.8 / 0.6 / 0.5; nurses and team leaders mostly hold current
  medication and physical-health sign-offs, OTs physical health, social
  workers Care Act assessment;
* tiers green / amber / red with caseload weights 0.5 / 1 / 1.5 (50 / 38 / 12 %
  of people); red needs a registered coordinator;
* about 10 % of people have needs (Care Act assessment, medication,
  physical health, a few two of these, one in a thousand a competence no
  coordinator holds);
* about 80 % have a current coordinator, almost always in their own locality;
  coordinators' current caseloads vary (some above capacity) and each
  locality's demand differs from its capacity by up to 15 %, so some people
  must move and some must be placed outside their locality;
* total demand is ``tightness`` x total capacity (default 0.98: slightly tight).

Uses :class:`random.Random` only, so an instance depends on its arguments alone.
"""

from __future__ import annotations

import random

from optimiser.caseload.instance import CaseloadInstance, Coordinator, Person

TIERS = (("green", 0.5, 0.50, 2), ("amber", 1.0, 0.38, 3), ("red", 1.5, 0.12, 5))
ROLES = (
    # role, share, registered, base caseload capacity per FTE, P(medication), P(physical health)
    ("nurse", 0.50, True, 35.0, 0.85, 0.85),
    ("social_worker", 0.25, True, 35.0, 0.0, 0.0),
    ("ot", 0.12, True, 30.0, 0.0, 0.80),
    ("team_leader", 0.05, True, 15.0, 0.9, 0.9),
    ("assistant_practitioner", 0.08, False, 25.0, 0.5, 0.6),
)
NEEDS = (
    (frozenset({"social_care_assessment"}), 0.040),
    (frozenset({"medication"}), 0.035),
    (frozenset({"physical_health"}), 0.020),
    (frozenset({"medication", "physical_health"}), 0.004),
    (frozenset({"psychological_therapy"}), 0.001),
)
FTES = ((1.0, 0.70), (0.8, 0.15), (0.6, 0.10), (0.5, 0.05))
#: the weighting scheme's factors of the tier weight (one drawn per person)
SCHEME_FACTORS = (0.5, 1.0, 1.5, 2.0)
#: mean factor of each kind of per-person weights
SCHEME_MEAN = {"scheme": sum(SCHEME_FACTORS) / len(SCHEME_FACTORS), "distinct": 1.0, "tenths": 1.0}
#: the kinds of weights :func:`synthetic_instance` draws
WEIGHTS = ("tier", "scheme", "distinct", "tenths")


def _pick(rng: random.Random, options: tuple, share_index: int = 1):  # type: ignore[no-untyped-def]
    return rng.choices(options, weights=[o[share_index] for o in options])[0]


def synthetic_instance(
    people: int,
    coordinators: int,
    localities: int = 1,
    seed: int = 0,
    tightness: float = 0.98,
    with_current: float = 0.8,
    weights: str = "tier",
    severity: bool = False,
) -> CaseloadInstance:
    """A realistic caseload instance (see the module docstring).

    Parameters
    ----------
    people, coordinators, localities
        Sizes; coordinators are spread evenly over ``localities`` teams.
    seed
        Everything random derives from it.
    tightness
        Total demand / total capacity (points).
    with_current
        Share of people who have a current coordinator.
    weights
        ``tier``: each person counts their tier's weight; ``scheme``: their own
        points from a caseload-weighting tool with few distinct values (the tier
        weight times 0.5, 1, 1.5 or 2); ``distinct``: their own points drawn
        from 0.5 to 1.5 times the tier weight to the hundredth (hundreds of
        distinct values); ``tenths``: the same to a tenth of a point (about 20
        values, as a tool that sums factor scores gives them).
    severity
        Place people by their tier's severity, as ``skillmix caseload`` does with
        PEOPLE.csv (``False``: every person counts 1 in the first priority).
    """
    rng = random.Random(f"caseload-{people}-{coordinators}-{localities}-{seed}")
    names = [f"L{n + 1:02d}" for n in range(localities)]
    raw = []
    for k in range(coordinators):
        role, _, registered, base, p_med, p_phys = _pick(rng, ROLES)
        fte = _pick(rng, FTES)[0]
        comps = {"engagement", "care_coordination"}
        if role == "social_worker":
            comps.add("social_care_assessment")
        if rng.random() < p_med:
            comps.add("medication")
        if rng.random() < p_phys:
            comps.add("physical_health")
        raw.append((f"C{k + 1:04d}", role, registered, base * fte, comps, names[k % localities]))
    # the expected weight of a person (a scheme's factors 0.5 / 1 / 1.5 / 2 average
    # 1.25, the distinct factors 0.5-1.5 average 1): capacity is scaled to it, so that
    # every kind of weights gives the same tightness
    mean_weight = sum(w * share for _, w, share, _ in TIERS) * SCHEME_MEAN.get(weights, 1.0)
    demand = people * mean_weight
    scale = demand / (tightness * sum(r[3] for r in raw))
    coords = tuple(
        Coordinator(cid, role, max(0.5, round(2 * cap * scale) / 2), reg, frozenset(c), loc)
        for cid, role, reg, cap, c, loc in raw
    )
    # each locality's demand: its capacity share x a factor in [0.85, 1.15]
    cap_by_loc = {name: sum(c.capacity for c in coords if c.locality == name) for name in names}
    factor = {name: rng.uniform(0.85, 1.15) for name in names}
    loc_weights = [cap_by_loc[name] * factor[name] for name in names]
    # coordinators' current caseloads: capacity x a factor in [0.7, 1.3]
    pull = {c.id: c.capacity * rng.uniform(0.7, 1.3) for c in coords}
    by_loc = {name: [c for c in coords if c.locality == name] for name in names}
    out = []
    for i in range(people):
        tier, weight, _, tier_severity = _pick(rng, TIERS, 2)
        if weights == "scheme":
            weight = weight * rng.choice(SCHEME_FACTORS)
        elif weights == "distinct":
            weight = round(weight * rng.uniform(0.5, 1.5), 2)
        elif weights == "tenths":
            weight = max(0.1, round(weight * rng.uniform(0.5, 1.5), 1))
        needs: frozenset[str] = frozenset()
        u = rng.random()
        for option, share in NEEDS:
            if u < share:
                needs = option
                break
            u -= share
        registered_only = tier == "red"
        locality = rng.choices(names, weights=loc_weights)[0] if rng.random() < 0.98 else None
        current = None
        if rng.random() < with_current:
            home = locality if locality is not None and rng.random() < 0.95 else rng.choice(names)
            pool = by_loc[home]
            if rng.random() < 0.97:  # usually someone who may coordinate them
                fit = [
                    c
                    for c in pool
                    if needs <= c.competencies and (c.registered or not registered_only)
                ]
                pool = fit or pool
            current = rng.choices(pool, weights=[pull[c.id] for c in pool])[0].id
        out.append(
            Person(
                id=f"S{i + 1:05d}",
                tier=tier,
                weight=weight,
                stage="all",
                needs=needs,
                locality=locality,
                current=current,
                registered_only=registered_only,
                priority=tier_severity if severity else 1,
            )
        )
    return CaseloadInstance(
        coordinators=coords,
        people=tuple(out),
        name=f"synthetic-{people}x{coordinators}-{localities}loc-s{seed}",
        tier_severity={t: sev for t, _, _, sev in TIERS},
    )
