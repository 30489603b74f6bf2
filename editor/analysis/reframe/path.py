"""The virtual camera of one shot: an L1-optimal path (Grundmann, Kwatra & Essa, CVPR 2011).

For one axis, the crop's position ``p_t`` minimises

    w1·Σ|Δp| + w2·Σ|Δ²p| + w3·Σ|Δ³p|            (still, then constant velocity, then
                                                 smooth ease-in/out: a cameraman's moves)
  + W·Σ c_t·(excess beyond the subject interval)  (keep the subject inside, with margin)
  + Wf·Σ f_t·(excess beyond the firm interval)    (and its sure box, whatever it costs)
  + wc·Σ|p_t - centre_t|                          (a weak pull to centre the subject)

subject to ``0 ≤ p_t ≤ limit`` and ``p_t = k`` at user keyframes. The subject interval
``lo_t ≤ p_t ≤ hi_t`` is soft (slack variables), so a subject that cannot fit, or a
detection that jumps, never makes the problem infeasible. scipy's ``linprog`` (HiGHS)
solves it. As AutoFlip does, the simplest camera that keeps the subject as well as the
free path does is chosen: ``stationary`` (one position), ``pan`` (constant velocity),
else ``track``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MODES = ("stationary", "pan", "track")
W_OUTSIDE = 40.0
W_FIRM = 1000.0
W_CENTRE = 0.05
DERIVATIVE_WEIGHTS = (1.0, 60.0, 300.0)  # |D1|, |D2|, |D3| (Grundmann et al. use 1:10:100)


@dataclass
class AxisPlan:
    positions: np.ndarray  # float [T]
    mode: str
    outside: float         # total subject pixels outside the crop (sum over frames)


def smoothness_scale(smoothness: float) -> float:
    """0 → follow closely (×0.1), 0.5 → default (×1), 1 → very steady (×10)."""
    return float(10 ** (2 * (min(max(smoothness, 0.0), 1.0) - 0.5)))


def _differences(knots: np.ndarray) -> list:
    """Velocity (px/frame), acceleration and jerk operators on (irregular) knots."""
    from scipy import sparse  # scipy loads on first use: the window starts without it

    h = np.diff(knots).astype(float)
    n = len(knots)
    rows = np.arange(n - 1)
    velocity = sparse.csr_matrix((np.concatenate([-1 / h, 1 / h]),
                                  (np.concatenate([rows, rows]), np.concatenate([rows, rows + 1]))),
                                 shape=(n - 1, n))
    acceleration = (velocity[1:] - velocity[:-1]).tocsr()
    jerk = (acceleration[1:] - acceleration[:-1]).tocsr()
    return [velocity, acceleration, jerk]


def solve_axis(lo: np.ndarray, hi: np.ndarray, centre: np.ndarray, weight: np.ndarray,
               limit: float, *, knots: np.ndarray | None = None, smoothness: float = 0.5,
               keyframes: dict[int, float] | None = None, mode: str = "track",
               firm: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> AxisPlan | None:
    """Plan one axis at ``knots`` (frame numbers; default every frame) with the camera
    ``mode``; None if the keyframes forbid that mode.

    ``lo``/``hi``/``centre`` (NaN where there is no subject) and ``weight`` (the cost of
    a pixel outside) are given per knot, and so is ``firm`` (lo, hi, weight: a second,
    costlier interval); ``keyframes`` map a knot's index to a position.
    """
    from scipy import sparse
    from scipy.optimize import linprog

    n = len(lo)
    knots = np.arange(n, dtype=float) if knots is None else np.asarray(knots, float)
    keyframes = keyframes or {}
    t = knots - knots[0]
    basis = {"stationary": sparse.csr_matrix(np.ones((n, 1))),
             "pan": sparse.csr_matrix(np.column_stack([np.ones(n), t])),
             "track": sparse.identity(n, format="csr")}[mode]
    k = basis.shape[1]
    if firm is not None:  # the firm interval: more rows of the same kind
        f_rows = np.flatnonzero(firm[2] > 0)
        lo, hi = np.concatenate([lo, firm[0][f_rows]]), np.concatenate([hi, firm[1][f_rows]])
        weight = np.concatenate([weight, firm[2][f_rows] * W_FIRM / W_OUTSIDE])
        rows = np.concatenate([np.arange(n), f_rows])
    else:
        rows = np.arange(n)
    rows_c = np.flatnonzero(~np.isnan(lo))
    m = len(rows_c)
    scale = smoothness_scale(smoothness)
    diffs = _differences(knots) if mode == "track" and n > 1 else []
    diffs = [d for d in diffs if d.shape[0] > 0]
    spacing = np.diff(knots) if n > 1 else np.zeros(0)
    # variables: z (k), below (m), above (m), off-centre (n), |D1|, |D2|, |D3|
    n_vars = k + 2 * m + n + sum(d.shape[0] for d in diffs)
    cost = np.zeros(n_vars)
    cost[k:k + m] = cost[k + m:k + 2 * m] = W_OUTSIDE * weight[rows_c]
    centre_at = k + 2 * m
    target = np.where(np.isnan(centre), limit / 2, centre)
    cost[centre_at:centre_at + n] = np.where(np.isnan(centre), 0.2, 1.0) * W_CENTRE * \
        np.maximum(weight[:n], 1.0)
    # the inequality rows as coordinates (value, row, column), all built at once:
    # stacking and adding sparse blocks cost more than HiGHS's solve
    values, row_at, col_at, rhs = [], [], [], []
    rows_so_far = 0

    def add(z_block, b, start=0, count=0):
        """Rows acting on z (``z_block``), minus one auxiliary variable each from column
        ``start`` (``count`` of them), with right-hand side ``b``."""
        nonlocal rows_so_far
        z = sparse.coo_matrix(z_block)
        aux = np.arange(count)
        values.extend([z.data, -np.ones(count)])
        row_at.extend([rows_so_far + z.row, rows_so_far + aux])
        col_at.extend([z.col, start + aux])
        rhs.append(b)
        rows_so_far += z.shape[0]

    if m:
        bc = basis[rows[rows_c]]
        add(-bc, -lo[rows_c], k, m)            # p + below >= lo
        add(bc, hi[rows_c], k + m, m)          # p - above <= hi
    add(basis, target, centre_at, n)           # |p - centre| <= off
    add(-basis, -target, centre_at, n)
    at = centre_at + n
    for order, d in enumerate(diffs):
        size = d.shape[0]
        # velocity costs the travel (px); acceleration and jerk cost per change
        per = spacing if order == 0 else np.ones(size)
        cost[at:at + size] = DERIVATIVE_WEIGHTS[order] * scale * per
        add(d @ basis, np.zeros(size), at, size)
        add(-(d @ basis), np.zeros(size), at, size)
        at += size
    bounds = np.zeros((n_vars, 2))  # (low, high) of each variable
    bounds[:k, 0], bounds[:, 1] = -np.inf, np.inf
    a_eq = b_eq = None
    if mode == "track":
        bounds[:n] = (0.0, limit)
        for i, value in keyframes.items():
            bounds[i] = float(np.clip(value, 0, limit))
    else:  # 0 <= p <= limit through the basis
        add(basis, np.full(n, limit))
        add(-basis, np.zeros(n))
        if keyframes:
            idx = sorted(keyframes)
            eq = sparse.coo_matrix(basis[idx])
            a_eq = sparse.csr_matrix((eq.data, (eq.row, eq.col)), shape=(len(idx), n_vars))
            b_eq = np.array([float(np.clip(keyframes[i], 0, limit)) for i in idx])
    a_ub = sparse.csc_matrix((np.concatenate(values),
                              (np.concatenate(row_at), np.concatenate(col_at))),
                             shape=(rows_so_far, n_vars))
    result = linprog(cost, A_ub=a_ub, b_ub=np.concatenate(rhs),
                     A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if result.status != 0:
        return None
    positions = np.clip(basis @ result.x[:k], 0, limit)
    outside = float((result.x[k:k + m] + result.x[k + m:k + 2 * m]) @ weight[rows_c]) if m else 0.0
    return AxisPlan(np.asarray(positions, float), mode, outside)


def knots_for(n: int, step: int, keyframes: dict[int, float]) -> np.ndarray:
    """Every ``step``-th frame, the last frame and every keyframe."""
    grid = set(range(0, n, max(1, step))) | {n - 1} | {f for f in keyframes if 0 <= f < n}
    return np.array(sorted(grid), int)


def plan_axis(lo: np.ndarray, hi: np.ndarray, centre: np.ndarray, confidence: np.ndarray,
              limit: float, *, smoothness: float = 0.5, step: int = 1,
              keyframes: dict[int, float] | None = None, mode: str = "auto",
              tolerance: float = 0.5,
              firm: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> AxisPlan:
    """Per-frame positions of one axis of one shot.

    The problem is solved at knots (every ``step`` frames, and at each keyframe) and the
    path is linear between them; a knot's subject interval is the tightest of the frames
    nearest to it. ``mode="auto"`` picks the simplest camera (stationary < pan < track)
    that keeps the subject about as well as the free path: at most ``tolerance`` px a
    frame more outside the crop.
    """
    n = len(lo)
    keyframes = {int(f): float(v) for f, v in (keyframes or {}).items() if 0 <= f < n}
    if n == 0:
        return AxisPlan(np.zeros(0), "stationary", 0.0)
    if limit <= 0:
        return AxisPlan(np.zeros(n), "stationary", 0.0)
    knots = knots_for(n, step, keyframes)
    owner = np.clip(np.searchsorted((knots[1:] + knots[:-1]) / 2, np.arange(n), side="right"),
                    0, len(knots) - 1)
    k_lo, k_hi, k_centre, k_weight = (np.full(len(knots), np.nan) for _ in range(4))
    with np.errstate(all="ignore"):
        for j in range(len(knots)):
            sel = owner == j
            has = sel & ~np.isnan(lo)
            k_weight[j] = confidence[has].sum()
            if has.any():
                k_lo[j] = lo[has].max()
                k_hi[j] = hi[has].min()
                k_centre[j] = np.average(centre[has], weights=confidence[has] + 1e-6)
    k_weight = np.nan_to_num(k_weight)
    k_firm = None
    if firm is not None:
        f_lo, f_hi, f_w = firm
        k_firm = (np.zeros(len(knots)), np.zeros(len(knots)), np.zeros(len(knots)))
        for j in range(len(knots)):
            has = (owner == j) & (f_w > 0)
            if has.any():
                k_firm[0][j], k_firm[1][j] = f_lo[has].max(), f_hi[has].min()
                k_firm[2][j] = f_w[has].sum()
    k_keys = {int(np.searchsorted(knots, f)): v for f, v in keyframes.items()}

    def solve(camera: str) -> AxisPlan | None:
        plan = solve_axis(k_lo, k_hi, k_centre, k_weight, limit, knots=knots,
                          smoothness=smoothness, keyframes=k_keys, mode=camera, firm=k_firm)
        if plan is not None:
            plan.positions = np.interp(np.arange(n), knots, plan.positions)
        return plan

    if mode != "auto":
        plan = solve(mode)
        if plan is not None:
            return plan
    track = solve("track")
    for simpler in ("stationary", "pan"):
        plan = solve(simpler)
        if plan is not None and plan.outside <= track.outside + tolerance * n:
            return plan
    return track
