"""Matérn-5/2 ARD kernel on mixed inputs (pure: arrays in, arrays out).

Inputs are rows of the GP's model space: numeric dimensions are unit-cube coordinates,
categorical dimensions hold the integer index of the choice (as a float). The squared scaled
distance between two rows is

    r² = Σ_numeric ((x_j - x'_j) / ℓ_j)²  +  Σ_categorical [c_j ≠ c'_j] / ℓ_j²,

so a categorical dimension contributes an *overlap* (Hamming) term weighted by its own
lengthscale. Since ``[c ≠ c'] = ‖e_c - e_c'‖² / 2`` for one-hot vectors ``e``, this is the
Matérn kernel on a Euclidean embedding and stays positive definite. The kernel is

    k(x, x') = σ² (1 + √5 r + 5 r² / 3) exp(-√5 r)          (Rasmussen & Williams 2006, eq. 4.17)

Hyperparameters are handled in log space: ``log_ls`` (one per dimension) and ``log_amp``
(``log σ²``). Derivatives go through ``dk/d(r²) = -(5/6) σ² (1 + √5 r) exp(-√5 r)``, which is
finite at ``r = 0``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

_SQRT5 = float(np.sqrt(5.0))


def matern52(r2: Array) -> Array:
    """The unit-amplitude Matérn-5/2 correlation as a function of the squared distance."""
    r = np.sqrt(np.maximum(r2, 0.0))
    return (1.0 + _SQRT5 * r + (5.0 / 3.0) * r2) * np.exp(-_SQRT5 * r)


def matern52_dr2(r2: Array) -> Array:
    """``d matern52 / d(r²)``; finite (``-5/6``) at ``r = 0``."""
    r = np.sqrt(np.maximum(r2, 0.0))
    return -(5.0 / 6.0) * (1.0 + _SQRT5 * r) * np.exp(-_SQRT5 * r)


def _parts(x1: Array, x2: Array, j: int, is_cat: BoolArray) -> Array:
    """Unscaled squared difference of dimension ``j`` between every row pair."""
    if is_cat[j]:
        return np.asarray(x1[:, j, None] != x2[None, :, j], dtype=np.float64)
    diff = x1[:, j, None] - x2[None, :, j]
    return diff * diff


def sq_dist(x1: Array, x2: Array, log_ls: Array, is_cat: BoolArray) -> Array:
    """The ``(n1, n2)`` matrix of scaled squared distances ``r²``."""
    inv_ls2 = np.exp(-2.0 * np.asarray(log_ls, dtype=np.float64))
    r2 = np.zeros((x1.shape[0], x2.shape[0]))
    for j in range(x1.shape[1]):  # a loop over dims keeps memory at O(n1 * n2)
        r2 += inv_ls2[j] * _parts(x1, x2, j, is_cat)
    return r2


def kernel(x1: Array, x2: Array, log_ls: Array, log_amp: float, is_cat: BoolArray) -> Array:
    """``K[a, b] = k(x1[a], x2[b])``."""
    return float(np.exp(log_amp)) * matern52(sq_dist(x1, x2, log_ls, is_cat))


def kernel_param_grads(
    x: Array, log_ls: Array, log_amp: float, is_cat: BoolArray
) -> tuple[Array, Array]:
    """``K(x, x)`` and the stack ``dK/dθ`` of shape ``(d + 1, n, n)`` for
    ``θ = (log_ls..., log_amp)``. Memory ``O(d n²)``: meant for tests and small ``n``;
    the GP uses :func:`kernel_param_grads_dot`."""
    amp = float(np.exp(log_amp))
    inv_ls2 = np.exp(-2.0 * np.asarray(log_ls, dtype=np.float64))
    r2 = sq_dist(x, x, log_ls, is_cat)
    k = amp * matern52(r2)
    c = -2.0 * amp * matern52_dr2(r2)  # dK/dlog ℓ_j = c * s_j with s_j = parts_j / ℓ_j²
    grads = np.empty((x.shape[1] + 1, x.shape[0], x.shape[0]))
    for j in range(x.shape[1]):
        grads[j] = c * inv_ls2[j] * _parts(x, x, j, is_cat)
    grads[-1] = k
    return k, grads


def kernel_param_grads_dot(
    w: Array,
    x: Array,
    log_ls: Array,
    log_amp: float,
    is_cat: BoolArray,
    r2: Array | None = None,
) -> Array:
    """``g_j = Σ_ab W_ab dK_ab/dθ_j`` for ``θ = (log_ls..., log_amp)`` without building the
    ``(d + 1, n, n)`` stack: what the gradient of the marginal likelihood needs. ``r2`` is
    ``sq_dist(x, x, log_ls, is_cat)`` if the caller already has it."""
    amp = float(np.exp(log_amp))
    inv_ls2 = np.exp(-2.0 * np.asarray(log_ls, dtype=np.float64))
    if r2 is None:
        r2 = sq_dist(x, x, log_ls, is_cat)
    wc = w * (-2.0 * amp * matern52_dr2(r2))
    out = np.empty(x.shape[1] + 1)
    for j in range(x.shape[1]):
        out[j] = inv_ls2[j] * float(np.sum(wc * _parts(x, x, j, is_cat)))
    out[-1] = float(np.sum(w * (amp * matern52(r2))))
    return out


def kernel_input_grad(
    xq: Array, x: Array, log_ls: Array, log_amp: float, is_cat: BoolArray
) -> tuple[Array, Array]:
    """``K(xq, x)`` of shape ``(m, n)`` and ``dK[i, a] / dxq[i, j]`` of shape ``(m, n, d)``.

    Categorical dimensions are piecewise constant: their derivative is zero.
    """
    amp = float(np.exp(log_amp))
    inv_ls2 = np.exp(-2.0 * np.asarray(log_ls, dtype=np.float64))
    r2 = sq_dist(xq, x, log_ls, is_cat)
    k = amp * matern52(r2)
    dr2 = amp * matern52_dr2(r2)
    grad = np.zeros((xq.shape[0], x.shape[0], xq.shape[1]))
    for j in range(xq.shape[1]):
        if not is_cat[j]:
            grad[:, :, j] = dr2 * (2.0 * inv_ls2[j]) * (xq[:, j, None] - x[None, :, j])
    return k, grad
