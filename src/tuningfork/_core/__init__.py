"""Leaf layer: value types, the History snapshot, RNG derivation, clock and errors.

Nothing here imports any other part of tuningfork.
"""
