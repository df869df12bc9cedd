"""Make a rounded assignment feasible and better: repair, insert, polish.

Rounding a fractional model solution (:func:`optimiser.caseload.mapping.to_people`)
keeps keep / locality gains but may exceed a few coordinators' capacity by a
fraction of a person's weight.  :class:`LocalSearch` then

1. **repairs**: takes people off over-full coordinators (the ones whose move
   loses least: not kept, not in their locality, the lightest that suffices);
2. **inserts**: places unplaced people where there is room (their current
   coordinator, else their locality, else the most room), or by moving one
   placed person of equal or greater weight to a coordinator with room;
3. **polishes**: moves people back to their current coordinator, then into
   their locality, directly when there is room or by swapping with someone of
   the same weight who loses nothing by it.

For the keep and locality stages, :meth:`LocalSearch.exchange` then raises
that stage's count with many-for-one moves (one person out, several lighter
ones in) and, for locality, keep trades.
For the balancing stage, :meth:`LocalSearch.balance` lowers the points above
fair share by moves and trades that change none of those counts.

Every move keeps the assignment feasible and never lowers (placed, kept,
local) lexicographically (``exchange``: the priorities up to its own).  Pure
Python, no solver: it gives the MILP a start (and often the optimum: the
solver then only has to prove it).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from optimiser.caseload.instance import POINTS_EPS, CaseloadInstance

Assignment = list[int | None]


#: placed people tried per insertion by moving (cheapest first): bounds the work
#: at trust scale, where thousands of candidates would each scan every coordinator
MOVE_TRIES = 50
#: insertions by moving tried per pass (the exact stages and LNS do the rest)
MOVE_INSERTS = 1000
#: people tried per swap into a coordinator (least loss first)
SWAP_TRIES = 20
#: passes of :meth:`LocalSearch.exchange`
EXCHANGE_PASSES = 3
#: passes of :meth:`LocalSearch.balance`
BALANCE_PASSES = 20
#: the priorities :meth:`LocalSearch.exchange` raises (indices of ``_gain``)
KEPT, LOCAL = 1, 2


class LocalSearch:
    """Moves on an assignment of people to coordinator indices.

    Parameters
    ----------
    instance
        The problem.
    eligible
        For each person, the coordinator indices that may take them.
    """

    def __init__(self, instance: CaseloadInstance, eligible: Sequence[Sequence[int]]) -> None:
        self.instance = instance
        index = instance.coordinator_index
        self.weight = [p.weight for p in instance.people]
        self.priority = [p.priority for p in instance.people]
        self.eligible = [list(e) for e in eligible]
        self.eligible_set = [set(e) for e in eligible]
        # people of one type share one eligible sequence: its identity keys
        # :meth:`_split` (the sequences are held, so identities stay unique)
        self._sources = list(eligible)
        self._splits: dict[tuple[int, str | None], tuple[list[int], list[int]]] = {}
        self.current = []
        for p, ok in zip(instance.people, self.eligible_set, strict=True):
            k = index.get(p.current) if p.current is not None else None
            self.current.append(k if k is not None and k in ok else None)
        self.locality = [p.locality for p in instance.people]
        self.capacity = [c.capacity for c in instance.coordinators]
        self.coord_locality = [c.locality for c in instance.coordinators]
        self._people_of: dict[str, list[int]] = {}
        for i, loc in enumerate(self.locality):
            if loc is not None:
                self._people_of.setdefault(loc, []).append(i)
        self._current_of: dict[int, list[int]] = {}
        for i, k in enumerate(self.current):
            if k is not None:
                self._current_of.setdefault(k, []).append(i)

    # -- bookkeeping -------------------------------------------------------------------

    def _state(self, a: Assignment) -> tuple[list[float], list[set[int]]]:
        load = [0.0] * len(self.capacity)
        members: list[set[int]] = [set() for _ in self.capacity]
        for i, k in enumerate(a):
            if k is not None:
                load[k] += self.weight[i]
                members[k].add(i)
        return load, members

    def _gain(self, i: int, k: int | None) -> tuple[int, int, int]:
        """(placed, kept, local) that person i contributes at coordinator k."""
        if k is None:
            return (0, 0, 0)
        loc = self.locality[i]
        return (
            self.priority[i],
            int(self.current[i] == k),
            int(loc is not None and self.coord_locality[k] == loc),
        )

    def _outside(self, i: int, k: int | None) -> bool:
        """Person i is placed at k, outside their locality, and not kept there."""
        home = self.locality[i]
        if k is None or home is None:
            return False
        return self.coord_locality[k] != home and self.current[i] != k

    def _room(self, load: list[float], k: int) -> float:
        return self.capacity[k] - load[k] + POINTS_EPS

    def _move(
        self, a: Assignment, load: list[float], members: list[set[int]], i: int, k: int | None
    ) -> None:
        old = a[i]
        if old is not None:
            load[old] -= self.weight[i]
            members[old].discard(i)
        if k is not None:
            load[k] += self.weight[i]
            members[k].add(i)
        a[i] = k

    # -- the three phases --------------------------------------------------------------

    def run(self, a: Assignment) -> Assignment:
        """Repair, insert and polish a copy of ``a``."""
        a = list(a)
        load, members = self._state(a)
        self.repair(a, load, members)
        self.insert(a, load, members)
        self.polish(a, load, members)
        self.insert(a, load, members)
        return a

    def repair(self, a: Assignment, load: list[float], members: list[set[int]]) -> None:
        """Bring coordinators above capacity within it: move people who do not keep
        their coordinator there to another with room (their locality first), and
        only when nobody can move, take someone off (least loss first)."""
        for k in range(len(self.capacity)):
            while load[k] > self.capacity[k] + POINTS_EPS:
                over = load[k] - self.capacity[k]
                movable = sorted(
                    (i for i in members[k] if self.current[i] != k),
                    key=lambda i: (self._gain(i, k), self.weight[i] < over - POINTS_EPS, i),
                )
                for i in movable:
                    target = self._best_place(i, load, exclude=k)
                    if target is not None and self._gain(i, target) >= self._gain(i, k):
                        self._move(a, load, members, i, target)
                        break
                else:
                    for i in movable:
                        target = self._best_place(i, load, exclude=k)
                        if target is not None:
                            self._move(a, load, members, i, target)
                            break
                    else:
                        people = members[k]
                        enough = [i for i in people if self.weight[i] >= over - POINTS_EPS]
                        if enough:  # least loss, then the lightest person that suffices
                            pick = min(enough, key=lambda i: (self._gain(i, k), self.weight[i], i))
                        else:  # least loss, then the heaviest
                            pick = min(people, key=lambda i: (self._gain(i, k), -self.weight[i], i))
                        self._move(a, load, members, pick, None)

    def _best_place(self, i: int, load: list[float], exclude: int | None = None) -> int | None:
        """Where i fits best: the current coordinator, else the coordinator of i's
        locality with the largest share of its capacity free, else anyone's (ties:
        the lower index).  The most-called move at trust scale (tens of thousands
        of calls over 400 coordinators each): plain arithmetic, no tuples."""
        w = self.weight[i]
        capacity = self.capacity
        k = self.current[i]
        if k is not None and k != exclude and capacity[k] - load[k] + POINTS_EPS >= w:
            return k
        local, other = self._split(i)
        for options in (local, other):
            best, most = None, -math.inf
            for k in options:
                room = capacity[k] - load[k] + POINTS_EPS
                if room < w or k == exclude:
                    continue
                share = room / max(capacity[k], POINTS_EPS)
                if share > most or (share == most and k < best):  # type: ignore[operator]
                    best, most = k, share
            if best is not None:
                return best
        return None

    def _split(self, i: int) -> tuple[list[int], list[int]]:
        """i's eligible coordinators in i's locality and elsewhere (shared by people
        of one eligibility and locality)."""
        key = (id(self._sources[i]), self.locality[i])
        split = self._splits.get(key)
        if split is None:
            loc = self.locality[i]
            where = self.coord_locality
            local = [k for k in self.eligible[i] if loc is not None and where[k] == loc]
            other = [k for k in self.eligible[i] if loc is None or where[k] != loc]
            split = self._splits[key] = (local, other)
        return split

    def insert(self, a: Assignment, load: list[float], members: list[set[int]]) -> None:
        """Place unplaced people: directly, or by moving one placed person on."""
        waiting = sorted(
            (i for i, k in enumerate(a) if k is None and self.eligible[i]),
            key=lambda i: (-self.weight[i], i),
        )
        # a person of the same weight and eligibility as one who could not be
        # inserted cannot be either until some move changes the loads
        failed: set[tuple[float, int]] = set()
        tries = 0
        for i in waiting:
            k = self._best_place(i, load)
            if k is not None:
                self._move(a, load, members, i, k)
                failed.clear()
                continue
            key = (self.weight[i], id(self.eligible[i]))
            if key in failed or tries >= MOVE_INSERTS:
                continue
            tries += 1
            if self._insert_by_moving(i, a, load, members):
                failed.clear()
            else:
                failed.add(key)

    def _insert_by_moving(
        self, i: int, a: Assignment, load: list[float], members: list[set[int]]
    ) -> bool:
        w = self.weight[i]
        options = []
        for k in self.eligible[i]:
            need = w - self._room(load, k)
            for j in members[k]:
                if self.weight[j] >= need and self.current[j] != k:
                    options.append((self._gain(j, k), self.weight[j], j, k))
        nowhere: set[tuple[float, int]] = set()  # (weight, eligibility) with no room left
        for _, _, j, k in sorted(options)[:MOVE_TRIES]:
            kind = (self.weight[j], id(self.eligible[j]))
            if kind in nowhere:
                continue
            target = self._best_place(j, load, exclude=k)
            if target is None:
                nowhere.add(kind)
                continue
            before = (*self._gain(j, k),)
            after = self._gain(j, target)
            # i is placed (+1 placed); j must not lose a keep it had
            if after[1] < before[1]:
                continue
            self._move(a, load, members, j, target)
            self._move(a, load, members, i, k)
            return True
        return False

    def polish(self, a: Assignment, load: list[float], members: list[set[int]]) -> None:
        """Back to the current coordinator, then into the locality: directly or by a swap."""
        for i in range(len(a)):
            k = self.current[i]
            if a[i] is None or k is None or a[i] == k:
                continue
            if self._room(load, k) >= self.weight[i]:
                self._move(a, load, members, i, k)
            else:
                self._swap_into(i, k, a, load, members)
        for i in range(len(a)):
            home, at = self.locality[i], a[i]
            if at is None or home is None or at == self.current[i]:
                continue
            if self.coord_locality[at] == home:
                continue
            targets = [k for k in self.eligible[i] if self.coord_locality[k] == home]
            moved = False
            for k in targets:
                if self._room(load, k) >= self.weight[i]:
                    self._move(a, load, members, i, k)
                    moved = True
                    break
            if not moved:
                for k in targets:
                    if self._swap_into(i, k, a, load, members):
                        break

    def _swap_into(
        self, i: int, k: int, a: Assignment, load: list[float], members: list[set[int]]
    ) -> bool:
        """Move i (at a[i]) to k, making room by moving one person j off k: to i's old
        place or wherever j fits best, if the pair gains.  j may weigh more than i
        (with per-person weights an equal weight is rare); j never leaves a keep."""
        here = a[i]
        assert here is not None
        need = self.weight[i] - self._room(load, k)
        candidates = sorted(
            (j for j in members[k] if self.current[j] != k and self.weight[j] >= need),
            key=lambda j: (self._gain(j, k), self.weight[j], j),
        )
        for j in candidates[:SWAP_TRIES]:
            before = [x + y for x, y in zip(self._gain(i, here), self._gain(j, k), strict=True)]
            if self._gain(i, k) < self._gain(i, here):
                break
            self._move(a, load, members, j, None)
            self._move(a, load, members, i, k)
            target = self._best_place(j, load, exclude=k)
            if target is not None:
                after = [
                    x + y for x, y in zip(self._gain(i, k), self._gain(j, target), strict=True)
                ]
                if after > before:
                    self._move(a, load, members, j, target)
                    return True
            self._move(a, load, members, i, here)
            self._move(a, load, members, j, k)
        return False

    def exchange(self, a: Assignment, priority: int = LOCAL) -> Assignment:
        """A copy of ``a`` with more people kept (``priority`` :data:`KEPT`) or in
        their own locality (:data:`LOCAL`), the priorities before it never lower:
        passes of two moves.

        * **Many for one**: someone at a coordinator moves on to another with room,
          and people who gain there (its own people placed elsewhere; its
          locality's people placed outside it and not kept there), lightest
          first, take the room.  With per-person weights the other moves leave
          light people out while heavy ones fill a coordinator: a 2.06-point
          person out makes room for four of 0.31-0.56.
        * **Keep trades** (locality): a coordinator keeps someone of another
          locality while one of its own people of its own locality is placed
          elsewhere: the two trade (kept stays the same); the outsider goes
          wherever fits best, and the place the other left in its locality goes
          to someone of that locality placed outside it.

        Nobody placed is unplaced; kept never falls (for locality, only a keep
        trade moves someone kept)."""
        a = list(a)
        load, members = self._state(a)
        for _ in range(EXCHANGE_PASSES):
            gained = self._trade_keeps(a, load, members) if priority == LOCAL else 0
            # each locality's people placed outside it (not kept there), once a pass:
            # scanning all of a locality's people for each of its coordinators grew
            # with coordinators x people / localities^2 (1.6 s at 10,000 x 400 in
            # one locality, moving nobody)
            away: dict[str, list[int]] = {}
            if priority == LOCAL:
                for i, k in enumerate(a):
                    if self._outside(i, k):
                        away.setdefault(self.locality[i], []).append(i)  # type: ignore[arg-type]
            for k in range(len(self.capacity)):
                gained += self._many_for_one(k, priority, a, load, members, away)
            if not gained:
                break
        return a

    def balance(self, a: Assignment, targets: Sequence[float]) -> Assignment:
        """A copy of ``a`` with fewer points above the coordinators' ``targets``
        (summed over coordinators), placed, kept and local as they are: someone at
        a coordinator above its target moves to one below it, or trades places
        there with someone lighter, only where both coordinators count them alike
        (:meth:`_gain`: kept at neither, in their locality at both or neither) and
        within capacity.  For each person in turn (the heaviest of the
        coordinators furthest above target first) the move that takes most off
        the sum, up to :data:`BALANCE_PASSES` passes; a few milliseconds on a
        600 x 25 team."""
        a = list(a)
        load, members = self._state(a)
        for _ in range(BALANCE_PASSES):
            moved = False
            over = [k for k in range(len(load)) if load[k] > targets[k] + POINTS_EPS]
            for k in sorted(over, key=lambda k: (targets[k] - load[k], k)):
                for i in sorted(members[k], key=lambda i: (-self.weight[i], i)):
                    if load[k] <= targets[k] + POINTS_EPS:
                        break
                    best = self._balance_move(i, k, load, members, targets)
                    if best is not None:
                        _, there, j = best
                        self._move(a, load, members, i, there)
                        if j is not None:
                            self._move(a, load, members, j, k)
                        moved = True
            if not moved:
                break
        return a

    def _balance_move(
        self,
        i: int,
        k: int,
        load: list[float],
        members: list[set[int]],
        targets: Sequence[float],
    ) -> tuple[float, int, int | None] | None:
        """The best of :meth:`balance`'s moves for person i at coordinator k: (the
        change in points above target, where i goes, whom i trades places with or
        ``None``); ``None`` when no move lowers the sum."""
        weight, capacity = self.weight, self.capacity

        def above(c: int, points: float) -> float:
            return max(0.0, points - targets[c])

        gain = self._gain(i, k)
        best: tuple[float, int, int | None] | None = None
        for there in self.eligible[i]:
            # (at or above its target, what it takes on counts in full: no gain)
            below = load[there] < targets[there] - POINTS_EPS
            if there == k or not below or self._gain(i, there) != gain:
                continue
            before = above(k, load[k]) + above(there, load[there])
            options: list[tuple[int | None, float]] = [(None, weight[i])]
            for j in sorted(members[there]):
                lighter = weight[j] < weight[i] - POINTS_EPS
                alike = k in self.eligible_set[j] and self._gain(j, k) == self._gain(j, there)
                if lighter and alike:
                    options.append((j, weight[i] - weight[j]))
            for j, shift in options:
                if load[there] + shift > capacity[there] + POINTS_EPS:
                    continue
                change = above(k, load[k] - shift) + above(there, load[there] + shift) - before
                if change < -POINTS_EPS and (best is None or change < best[0]):
                    best = (change, there, j)
        return best

    def _incoming(
        self, k: int, priority: int, a: Assignment, away: dict[str, list[int]]
    ) -> list[int]:
        """People placed elsewhere who would gain ``priority`` at k, lightest first
        (for locality, from ``away``: each locality's people placed outside it)."""
        if priority == KEPT:
            people: Iterable[int] = self._current_of.get(k, ())
        else:
            loc = self.coord_locality[k]
            people = () if loc is None else away.get(loc, ())
        return sorted(
            (
                i
                for i in people
                if (at := a[i]) is not None
                and at != k
                and k in self.eligible_set[i]
                and self._gain(i, at)[priority] < self._gain(i, k)[priority]
                and (priority == KEPT or self.current[i] != at)
            ),
            key=lambda i: (self.weight[i], i),
        )

    def _many_for_one(
        self,
        k: int,
        priority: int,
        a: Assignment,
        load: list[float],
        members: list[set[int]],
        away: dict[str, list[int]],
    ) -> int:
        """Many-for-one moves into k; returns what ``priority`` gained."""
        gained = 0
        incoming = self._incoming(k, priority, a, away)
        while incoming:
            # who makes room: not kept (at the locality priority), least loss, heaviest
            out = sorted(
                (j for j in members[k] if priority == KEPT or self.current[j] != k),
                key=lambda j: (self._gain(j, k)[1:], -self.weight[j], j),
            )
            moved = None
            for j in out[:SWAP_TRIES]:
                room = self._room(load, k) + self.weight[j]
                take, used = [], 0.0
                for i in incoming:
                    if used + self.weight[i] <= room:
                        take.append(i)
                        used += self.weight[i]
                if len(take) <= self._gain(j, k)[priority]:
                    continue
                # those coming free their places; j goes where it fits best
                before = {i: a[i] for i in (*take, j)}
                was = [self._gain(i, before[i]) for i in before]
                for i in before:
                    self._move(a, load, members, i, None)
                target = self._best_place(j, load, exclude=k)
                if target is not None:
                    self._move(a, load, members, j, target)
                    for i in take:
                        self._move(a, load, members, i, k)
                    now = [self._gain(i, a[i]) for i in before]
                    change = [sum(g[d] for g in now) - sum(g[d] for g in was) for d in range(3)]
                    if all(change[d] >= 0 for d in range(priority)) and change[priority] > 0:
                        gained += change[priority]
                        moved = set(take)
                        break
                for i in before:  # undone: everyone back where they were
                    self._move(a, load, members, i, before[i])
            if moved is None:
                break
            incoming = [i for i in incoming if i not in moved]
        return gained

    def _trade_keeps(self, a: Assignment, load: list[float], members: list[set[int]]) -> int:
        """Keep trades (see :meth:`exchange`); returns the people gained in their
        locality."""
        waiting: dict[int, list[int]] = {}
        for j, c in enumerate(self.current):
            placed = c is not None and a[j] is not None and a[j] != c
            home = self.locality[j]
            if placed and home is not None and home == self.coord_locality[c]:
                waiting.setdefault(c, []).append(j)
        gained = 0
        for c in sorted(waiting):
            home = self.coord_locality[c]
            outsiders = sorted(
                (f for f in members[c] if self.current[f] == c and self.locality[f] != home),
                key=lambda f: (-self.weight[f], f),
            )
            for f in outsiders:
                room = self._room(load, c) + self.weight[f]
                options = sorted(
                    (j for j in waiting[c] if a[j] != c and self.weight[j] <= room),
                    key=lambda j: (self._gain(j, a[j])[2], self.weight[j], j),
                )
                if not options:
                    continue
                j = options[0]
                old = a[j]
                assert old is not None
                was_local = self._gain(j, old)[2]
                self._move(a, load, members, j, None)
                self._move(a, load, members, f, None)
                self._move(a, load, members, j, c)
                change = 1 - was_local
                # the place j left in its locality, for someone of it placed outside
                filled = self._fill_from_away(old, a, load, members) if was_local else None
                if filled is not None:
                    change += 1
                target = self._best_place(f, load)
                if target is not None:
                    change += self._gain(f, target)[2]
                    if change > 0:
                        self._move(a, load, members, f, target)
                        gained += change
                        continue
                if filled is not None:
                    self._move(a, load, members, filled[0], filled[1])
                self._move(a, load, members, j, old)
                self._move(a, load, members, f, c)
        return gained

    def _fill_from_away(
        self, k: int, a: Assignment, load: list[float], members: list[set[int]]
    ) -> tuple[int, int] | None:
        """Move the lightest person of k's locality placed outside it (not kept
        there) who may have k and fits there to k; returns (who, from where)."""
        home = self.coord_locality[k]
        if home is None:
            return None
        room = self._room(load, k)
        best = None
        for i in self._people_of.get(home, ()):
            if not self._outside(i, a[i]):
                continue
            fits = self.weight[i] <= room and k in self.eligible_set[i]
            if fits and (best is None or (self.weight[i], i) < (self.weight[best], best)):
                best = i
        if best is None:
            return None
        was = a[best]
        assert was is not None
        self._move(a, load, members, best, k)
        return best, was
