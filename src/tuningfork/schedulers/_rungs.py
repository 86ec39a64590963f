"""Rung and bracket arithmetic of successive halving, ASHA and Hyperband. Pure and exact.

Notation of the papers: ``r`` is the minimum resource, ``R`` the maximum resource and ``eta``
the reduction factor; a resource is a (0-based) report step.

- **Rungs.** ``s_max = floor(log_eta(R / r))`` is the largest ``s`` with ``r * eta**s <= R``.
  The rungs are ``r, r*eta, ..., r*eta**(s_max-1)`` and then ``R``: there are ``s_max + 1`` of
  them and the last one is always ``R``. When ``R`` is not ``r`` times a power of ``eta``, the
  remainder goes to the last gap: ``(r=1, R=100, eta=3)`` gives ``[1, 3, 9, 27, 100]`` (not
  ``[1, 3, 9, 27, 81, 100]``, whose last rung would keep the top third for 19 more steps).
  When ``R < r * eta`` there is one rung, ``[R]``: nothing is ever stopped.
- **Brackets** (Hyperband). Bracket ``s`` (``s = s_max, ..., 0``) starts its trials at rung
  ``s_max - s`` and uses the last ``s + 1`` rungs; bracket ``s_max`` is plain successive
  halving from ``r``, bracket 0 runs every trial to ``R``. Bracket ``s`` gets
  ``n_s = ceil((s_max + 1) / (s + 1) * eta**s)`` trials per Hyperband iteration (Li et al. 2018,
  Algorithm 1), so that every bracket spends about the same budget.
- **Trial number -> bracket.** One Hyperband iteration is a cycle of ``sum(n_s)`` trial
  numbers in which bracket ``s`` appears exactly ``n_s`` times. The brackets are interleaved
  (smooth weighted round robin, most aggressive bracket first on ties) rather than run one
  after the other as in the paper's sequential loop, so that a study shorter than one
  iteration still tries every bracket in proportion.

Everything is computed with Python integers: no ``math.log`` (``math.log(243, 3)`` is
``4.999...``).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any


def check_resources(min_resource: Any, max_resource: Any, reduction_factor: Any) -> None:
    """Raise ``ValueError`` naming the argument when a rung schedule is not well defined."""
    for name, value, low in (
        ("min_resource", min_resource, 1),
        ("reduction_factor", reduction_factor, 2),
        ("max_resource", max_resource, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(
                f"{name} must be an int >= {low}, got {value!r} of type {type(value).__name__}"
            )
        if value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    if max_resource < min_resource:
        raise ValueError(
            f"max_resource must be >= min_resource ({min_resource!r}), got {max_resource!r}"
        )


def max_bracket(min_resource: int, max_resource: int, reduction_factor: int) -> int:
    """``s_max = floor(log_eta(R / r))``: the largest ``s`` with ``r * eta**s <= R``."""
    check_resources(min_resource, max_resource, reduction_factor)
    s, resource = 0, min_resource
    while resource * reduction_factor <= max_resource:
        resource *= reduction_factor
        s += 1
    return s


def rung_resources(min_resource: int, max_resource: int, reduction_factor: int) -> tuple[int, ...]:
    """``(r, r*eta, ..., r*eta**(s_max-1), R)``: ``s_max + 1`` rungs, the last one ``R``."""
    s_max = max_bracket(min_resource, max_resource, reduction_factor)
    rungs = [min_resource * reduction_factor**i for i in range(s_max)]
    rungs.append(max_resource)
    return tuple(rungs)


def rung_of(step: int, rungs: tuple[int, ...]) -> int:
    """Index of the highest rung ``<= step`` (the rung a trial at ``step`` has reached), or -1
    when ``step`` is below the first rung."""
    return bisect.bisect_right(rungs, step) - 1


def bracket_size(s: int, s_max: int, reduction_factor: int) -> int:
    """``n_s = ceil((s_max + 1) / (s + 1) * eta**s)``, in integers."""
    if not 0 <= s <= s_max:
        raise ValueError(f"bracket s must be in [0, {s_max}], got {s!r}")
    numerator: int = (s_max + 1) * reduction_factor**s
    return -(-numerator // (s + 1))


def bracket_cycle(sizes: tuple[int, ...]) -> bytes:
    """One cycle of bracket indices in which index ``i`` appears ``sizes[i]`` times, smoothly
    interleaved (smooth weighted round robin; ties go to the larger index)."""
    total = sum(sizes)
    credit = [0] * len(sizes)
    out = bytearray()
    for _ in range(total):
        for i, size in enumerate(sizes):
            credit[i] += size
        best = max(range(len(sizes)), key=lambda i: (credit[i], i))
        credit[best] -= total
        out.append(best)
    return bytes(out)


@dataclass(frozen=True)
class RungSchedule:
    """The rungs and Hyperband brackets of ``(min_resource, max_resource, reduction_factor)``."""

    min_resource: int
    max_resource: int
    reduction_factor: int
    rungs: tuple[int, ...] = field(init=False)
    s_max: int = field(init=False)

    def __post_init__(self) -> None:
        rungs = rung_resources(self.min_resource, self.max_resource, self.reduction_factor)
        object.__setattr__(self, "rungs", rungs)
        object.__setattr__(self, "s_max", len(rungs) - 1)

    @property
    def n_brackets(self) -> int:
        return self.s_max + 1

    def rung_of(self, step: int) -> int:
        return rung_of(step, self.rungs)

    def bracket_first_rung(self, s: int) -> int:
        """Index (into :attr:`rungs`) of bracket ``s``'s first rung."""
        if not 0 <= s <= self.s_max:
            raise ValueError(f"bracket s must be in [0, {self.s_max}], got {s!r}")
        return self.s_max - s

    def bracket_min_resource(self, s: int) -> int:
        return self.rungs[self.bracket_first_rung(s)]

    def bracket_rungs(self, s: int) -> tuple[int, ...]:
        return self.rungs[self.bracket_first_rung(s) :]

    def bracket_size(self, s: int) -> int:
        return bracket_size(s, self.s_max, self.reduction_factor)

    def bracket_counts(self, s: int) -> tuple[int, ...]:
        """Trials per rung of bracket ``s`` in synchronous Hyperband: ``floor(n_s / eta**i)``
        for ``i = 0..s`` (the paper's table; ASHA keeps the same proportions as it goes)."""
        n = self.bracket_size(s)
        return tuple(n // self.reduction_factor**i for i in range(s + 1))

    @property
    def bracket_sizes(self) -> tuple[int, ...]:
        """``(n_0, ..., n_s_max)`` — indexed by ``s``."""
        return tuple(self.bracket_size(s) for s in range(self.n_brackets))

    def bracket_of_trial(self, number: int) -> int:
        """Hyperband's bracket ``s`` for trial ``number`` (see the module docstring)."""
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise ValueError(f"trial number must be an int >= 0, got {number!r}")
        cycle = _cycle(self.min_resource, self.max_resource, self.reduction_factor)
        return cycle[number % len(cycle)]


_CYCLES: dict[tuple[int, int, int], bytes] = {}


def _cycle(min_resource: int, max_resource: int, reduction_factor: int) -> bytes:
    # Memoized module-wide: the cycle is a pure function of the three ints (and a dict
    # lookup/insert is atomic, so racing threads at worst compute it twice).
    key = (min_resource, max_resource, reduction_factor)
    cycle = _CYCLES.get(key)
    if cycle is None:
        s_max = max_bracket(min_resource, max_resource, reduction_factor)
        sizes = tuple(bracket_size(s, s_max, reduction_factor) for s in range(s_max + 1))
        cycle = _CYCLES[key] = bracket_cycle(sizes)
    return cycle
