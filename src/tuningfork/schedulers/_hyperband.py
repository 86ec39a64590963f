"""Hyperband (Li et al. 2018) as a stopping rule: brackets of ASHA, chosen by trial number."""

from __future__ import annotations

from tuningfork.schedulers._halving import _RungScheduler


class Hyperband(_RungScheduler):
    """Hyperband: ``s_max + 1`` brackets of asynchronous successive halving.

    ``s_max = floor(log_eta(max_resource / min_resource))``. Bracket ``s`` starts its trials at
    rung ``s_max - s`` (resource ``min_resource * eta**(s_max - s)``, or ``max_resource`` for
    ``s = 0``) and applies the :class:`ASHA` rule from there, comparing a trial only with the
    trials of its own bracket. Bracket ``s_max`` is the most aggressive; bracket 0 never stops
    a trial. A trial's bracket is a function of its number alone: within every cycle of
    ``sum(n_s)`` consecutive numbers, bracket ``s`` gets ``n_s = ceil((s_max+1)/(s+1) *
    eta**s)`` of them (the paper's bracket sizes, so each bracket spends about the same budget),
    interleaved rather than in blocks (see :mod:`tuningfork.schedulers._rungs`).
    """

    @property
    def n_brackets(self) -> int:
        return self._schedule.n_brackets

    def bracket_of(self, number: int) -> int:
        """The bracket ``s`` of trial ``number`` (``s_max`` is the most aggressive)."""
        return self._schedule.bracket_of_trial(number)

    def _group(self, number: int) -> int:
        return self._schedule.bracket_of_trial(number)

    def _first_rung(self, group: int) -> int:
        return self._schedule.bracket_first_rung(group)
