"""Turning feature rows into boundaries: cheap array work, no decoding.

Three detectors run in order, each on the columns of :mod:`.features`:

1. **Fades** through black or white: a run of flat frames (almost no contrast, very dark or
   very bright, but for maybe a small caption or logo) with the luma ramping into it and out of it. Exact and cheap.
2. **Hard cuts**: the frame-to-frame structural distance (``d1`` at the detail size, ``c1``
   at the coarse size) must stand out from both neighbours' (an isolated spike, as in
   PySceneDetect's AdaptiveDetector but relative to the larger neighbour, so motion blur,
   whip pans and noisy dark shots, whose changes come in runs, do not fire). A spike after
   which the previous picture comes back within a few frames (``r*``: a flash, strobe, a
   glitch) is rejected. Gain-invariant distances make exposure steps harmless.
3. **Dissolves and wipes**: at each time scale ``k`` the distance between the two ends of
   the window ``[t - k, t + k]`` (``g{k}``) must stand out from the same distance measured in
   the windows just before or after it, and stay high at larger scales (a whip pan, a
   passing object or a flash returns to the same picture, so a wider window bridges it).
   Windows holding a detected cut or fade are skipped. The type comes from the middle
   frame: a blend of both ends (dissolve) or a spatial mix of the two (wipe).

``sensitivity`` (0..1, default 0.5) moves every threshold together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from editor.analysis.shots.features import BACK_LAGS, COLUMN, FLASH_LAGS, SPANS

FLAT_STD = 2.0 / 255  # contrast below this: a black/white (or flat) frame
FLAT_SPREAD = 6.0 / 255  # ...or this between the 5th and 95th percentiles (a caption on black)
FLAT_DARK, FLAT_BRIGHT = 0.10, 0.90
RAMP_STEP = 0.8 / 255  # luma change per frame that counts as "still fading"
DISSOLVE_LIN = 0.35  # a dissolve's middle frame is this close to the average of its ends
WIPE_WHOLE, WIPE_BALANCE = 0.8, 0.3  # a wipe's middle frame: each pixel from one end
M1_RATIO, M1_FLOOR = 1.8, 0.5 / 255  # a cut's mean pixel change vs its neighbours'
MIN_WIPE_FRAMES = 8  # shorter spatial changes are objects passing by (wipes last ~0.3 s+)
WIPE_SCALES = 2  # a wipe is a spatial mix at this many window scales (a passing object
WIPE_NEAR = 3  # at about one: its speed's), within this many rows of each other
MOVED_REFINED = 0.9  # below this the refined pixel change cannot pass (with a margin)
CHROMA_RATIO = 3.0  # a colour cut's U/V change vs its neighbours'
CHROMA_STEADY = 0.03  # ...with the mean luma moving less than this



@dataclass(frozen=True)
class Params:
    cut: float  # minimum isolation of a cut's spike
    cut_min: float  # minimum raw distance at a cut
    gradual: float  # minimum prominence of a gradual transition
    gradual_min: float  # minimum distance between its two ends
    bridge: float  # a wider window must keep this share of the distance
    chroma_min: float  # minimum U/V change at a colour-only cut

    @classmethod
    def from_sensitivity(cls, sensitivity: float) -> "Params":
        s = min(1.0, max(0.0, float(sensitivity)))
        # 0.5 is the tuned point; each end moves the thresholds by a factor of ~2.
        f = 2.0 ** (1.0 - 2.0 * s)
        return cls(cut=0.35 * f, cut_min=0.06 * f, gradual=0.30 * f,
                   gradual_min=min(0.9, 0.45 * f), bridge=0.6, chroma_min=6.0 / 255 * f)


@dataclass(frozen=True)
class Boundary:
    kind: str  # "cut", "dissolve", "fade", "wipe"
    start: int  # row of the first frame (for a cut: the first frame of the new shot)
    end: int  # row of the last frame of the transition (== start for a cut)
    confidence: float


def _col(values: np.ndarray, name: str) -> np.ndarray:
    return values[:, COLUMN[name]].astype(np.float64)


def _shift(a: np.ndarray, by: int, fill=np.nan) -> np.ndarray:
    """``out[t] = a[t + by]`` (NaN outside)."""
    out = np.full_like(a, fill)
    if by > 0:
        out[:-by] = a[by:]
    elif by < 0:
        out[-by:] = a[:by]
    else:
        out[:] = a
    return out


def detect(values: np.ndarray, sensitivity: float = 0.5) -> list[Boundary]:
    """All boundaries in row order, from the feature rows of one file."""
    n = len(values)
    if n < 2:
        return []
    p = Params.from_sensitivity(sensitivity)
    fades = _fades(values)
    in_fade = np.zeros(n, bool)
    for b in fades:
        in_fade[b.start:b.end + 1] = True
    cuts = _cuts(values, p, in_fade)
    gradual = _gradual(values, p, cuts, in_fade)
    return sorted(fades + cuts + gradual, key=lambda b: b.start)


def _flat(values: np.ndarray) -> np.ndarray:
    """Rows showing a black or white frame (maybe with a small caption or logo on it)."""
    std, mean = _col(values, "std"), _col(values, "mean")
    spread = _col(values, "hi") - _col(values, "lo")
    return ((std < FLAT_STD) | (spread < FLAT_SPREAD)) & ((mean < FLAT_DARK) |
                                                          (mean > FLAT_BRIGHT))


def _fades(values: np.ndarray) -> list[Boundary]:
    mean = _col(values, "mean")
    flat = _flat(values)
    n = len(mean)
    out: list[Boundary] = []
    t = 0
    while t < n:
        if not flat[t]:
            t += 1
            continue
        q = t
        while q + 1 < n and flat[q + 1]:
            q += 1
        dark = mean[t] < 0.5
        sign = 1.0 if dark else -1.0  # luma rises away from a black frame
        a = t
        floor = out[-1].end + 1 if out else 0  # fades never overlap
        while a > floor and sign * (mean[a - 1] - mean[a]) > RAMP_STEP and not flat[a - 1]:
            a -= 1
        b = q
        while b + 1 < n and sign * (mean[b + 1] - mean[b]) > RAMP_STEP and not flat[b + 1]:
            b += 1
        ramps = (t - a) + (b - q)
        if ramps >= 3 and (t - a >= 2 or b - q >= 2):
            conf = min(1.0, 0.5 + 0.05 * ramps)
            # one step into (or out of) the flat frames is a cut, not a fade: the fade is
            # then only the other side, and the cut detector may find that step
            a, b = (q if t - a == 1 else a), (t if b - q == 1 else b)
            out.append(Boundary("fade", a, b, conf))
        t = q + 1
    return out


def _neighbours(x: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """The larger of ``x`` at the rows before and after, each scaled to this row's frame
    gap: where frames were skipped, a change between rows spans that many frames, and a
    shot's own motion grows with it (a cut does not)."""
    out = np.zeros_like(x)
    for by in (-1, 1):
        other, other_gap = _shift(x, by, 0.0), _shift(gap, by, 1.0)
        out = np.fmax(out, other * np.clip(gap / np.maximum(other_gap, 1.0), 0.5, 2.0))
    return out


def cut_candidates(values: np.ndarray) -> np.ndarray:
    """Rows where a cut is plausible at the highest sensitivity (for the refining pass)."""
    if len(values) < 2:
        return np.zeros(0, int)
    spike, moved, colour, _ = _cut_evidence(values, Params.from_sensitivity(1.0))
    # the pixel-change test, loosened: refined to one frame, a change over ``gap``
    # frames can stand out up to ``gap`` times more from its neighbours
    gap = np.nan_to_num(_col(values, "gap"), nan=1.0)
    return np.flatnonzero((spike & (moved * gap >= MOVED_REFINED)) | colour)


def _cut_evidence(values: np.ndarray, p: Params
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row: a structural spike that is no flash, its pixel change (>= 1: enough
    for a cut), a colour-only cut, and the spike's strength."""
    n = len(values)
    strength = np.zeros(n)
    raw = np.zeros(n)
    gap = np.nan_to_num(_col(values, "gap"), nan=1.0)
    for name in ("d1", "c1"):
        d = np.nan_to_num(_col(values, name), nan=0.0)
        nb = _neighbours(d, gap)
        iso = (d - nb) / (nb + 0.1)
        strength = np.maximum(strength, iso)
        raw = np.maximum(raw, d)
    c1 = np.nan_to_num(_col(values, "c1"), nan=0.0)
    lags = np.stack([_col(values, f"r{m}") for m in FLASH_LAGS]
                    + [_col(values, f"q{j}") for j in BACK_LAGS])
    ret = np.where(np.isnan(lags), np.inf, lags).min(axis=0)
    flash = ret < np.minimum(0.5 * c1, 0.3)
    # the pixel change must stand out too: in dark, grainy shots the structural distance
    # is mostly noise, but a real cut still moves the pixels more than its neighbours do
    m1 = np.nan_to_num(_col(values, "m1"), nan=0.0)
    m_nb = _neighbours(m1, gap)
    moved = m1 / (M1_RATIO * m_nb + M1_FLOOR)
    spike = (strength > p.cut) & (raw > p.cut_min) & ~flash
    colour = _chroma_cuts(values, p) & ~flash
    spike[0] = colour[0] = False
    return spike, moved, colour, strength


def _chroma_cuts(values: np.ndarray, p: Params) -> np.ndarray:
    """A spike of the colour distance that stands out from its neighbours and does not
    come back: the cut between two shots that differ (almost) only in hue."""
    u = np.nan_to_num(_col(values, "u1"), nan=0.0)
    nb = np.fmax(_shift(u, -1, 0.0), _shift(u, 1, 0.0))
    back = np.nan_to_num(_col(values, "ur"), nan=np.inf)
    mean = _col(values, "mean")
    # the brightness stays: an exposure step or a flash also shifts the colour a little,
    # and a cut that changes the brightness too is the luma detector's to find
    steady = np.abs(mean - _shift(mean, -1)) < CHROMA_STEADY
    return (u > p.chroma_min) & (u > CHROMA_RATIO * nb + p.chroma_min / 2) & \
        (back > 0.5 * u) & steady


def _cuts(values: np.ndarray, p: Params, in_fade: np.ndarray) -> list[Boundary]:
    spike, moved, colour, strength = _cut_evidence(values, p)
    luma = spike & (moved >= 1.0)
    ok = (luma | colour) & ~in_fade
    out = []
    for t in np.flatnonzero(ok):
        conf = float(min(1.0, strength[t] / (4 * p.cut))) if luma[t] else 0.5
        out.append(Boundary("cut", int(t), int(t), round(conf, 3)))
    return out


def _gradual(values: np.ndarray, p: Params, cuts: list[Boundary],
             in_fade: np.ndarray) -> list[Boundary]:
    n = len(values)
    blocked = in_fade.copy()
    for c in cuts:
        blocked[c.start] = True
    # prefix sums: is any frame of (t-k, t+k] blocked?
    csum = np.concatenate([[0], np.cumsum(blocked)])
    flat = _flat(values)
    g = {k: _col(values, f"g{k}") for k in SPANS}
    candidates = []
    for i, k in enumerate(SPANS):
        if k < 3:
            continue
        gk = g[k]
        t = np.arange(n)
        lo, hi = np.clip(t - k + 1, 0, n), np.clip(t + k + 1, 0, n)
        dirty = (csum[hi] - csum[lo]) > 0  # the window [t-k, t+k] holds a cut or fade
        # the same distance just before and just after: how much a shot changes by itself
        before, after = _shift(gk, -2 * k), _shift(gk, 2 * k)
        before_ok = ~_shift(dirty.astype(float), -2 * k, 1.0).astype(bool) & ~np.isnan(before)
        after_ok = ~_shift(dirty.astype(float), 2 * k, 1.0).astype(bool) & ~np.isnan(after)
        base = np.where(before_ok & after_ok, np.fmax(before, after),
                        np.where(before_ok, before, np.where(after_ok, after,
                                                            np.fmin(before, after))))
        base = np.where(np.isnan(base), gk, base)
        prom = gk - base
        wider = [g[k2] for k2 in SPANS[i + 1:] if k2 <= 3 * k]
        keeps = np.ones(n, bool)
        for w in wider:
            keeps &= ~(w < p.bridge * gk)
        ok = (prom > p.gradual) & (gk > p.gradual_min) & keeps & ~dirty
        ok &= ~flat  # a blend of two shots is not flat (a caption fading on black is)
        for t0 in np.flatnonzero(ok):
            kind = _classify(values, int(t0), k)
            if kind is not None:
                candidates.append((float(prom[t0]), int(t0), k, kind))
    wipes = [(t0, k) for _, t0, k, kind in candidates if kind == "wipe"]
    candidates.sort(reverse=True)
    taken = np.zeros(n, bool)
    frames_at = np.cumsum(np.nan_to_num(_col(values, "gap"), nan=1.0))  # frame of each row
    out = []
    for prom, t0, k, kind in candidates:
        # the transition's length: the smallest scale reaching most of the end-to-end distance
        scales = [k2 for k2 in SPANS if k2 <= k and not np.isnan(g[k2][t0])]
        top = max(g[k2][t0] for k2 in scales)
        span = next(k2 for k2 in scales if g[k2][t0] >= 0.85 * top)
        a, b = max(0, t0 - span + 1), min(n - 1, t0 + span - 1)
        if taken[max(0, a - 2):b + 3].any():
            continue
        if kind == "wipe" and (frames_at[b] - frames_at[a] + 1 < MIN_WIPE_FRAMES or len(
                {k2 for t2, k2 in wipes if abs(t2 - t0) <= WIPE_NEAR}) < WIPE_SCALES):
            continue  # something passing (briefly, or at one speed), not an edit
        taken[a:b + 1] = True
        out.append(Boundary(kind, a, b,
                            round(float(min(1.0, prom / (3 * p.gradual))), 3)))
    return out


def _classify(values: np.ndarray, t: int, k: int) -> str | None:
    """'dissolve' when frame ``t`` is a blend of ``t - k`` and ``t + k``, 'wipe' when it is
    a spatial mix of the two, None when it is neither (motion, a passing object...)."""
    lin = values[t, COLUMN[f"l{k}"]]
    whole = values[t, COLUMN[f"w{k}"]]
    balance = values[t, COLUMN[f"b{k}"]]
    if lin < DISSOLVE_LIN:
        return "dissolve"
    if whole > WIPE_WHOLE and balance > WIPE_BALANCE:
        return "wipe"
    return None
