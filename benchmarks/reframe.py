"""Auto-reframe benchmark: Cutwise's camera vs a fixed centre crop and a naive tracker.

    python benchmarks/reframe.py /tmp/corpus-small /tmp/corpus-full [--aspect 9:16]
                                 [--limit N | --clips NAME,NAME] [--render-seconds 10]

In one run, on every clip of each corpus (``corpus.json``; the subject boxes are the
ground truth), three cameras with the same crop size:

* ``cutwise``: :func:`editor.analysis.reframe.reframe` (shots, subject signals, L1 path);
* ``centre``: a fixed centre crop;
* ``naive``: a per-frame tracker: the centre of the strongest subject blob of each frame
  (the same detections Cutwise uses) smoothed with an exponential moving average
  (alpha 0.2), never reset at cuts.

Measures (frames whose ground-truth box is null, inside transitions or absent, are
skipped):

* coverage: share of frames whose ground-truth box lies fully inside the crop, among
  frames where the box can fit (no wider/taller than the crop); floor ≥ 98 %;
* mean absolute acceleration of the crop position, px/frame², and direction reversals
  per minute (a reversal: the crop moves the other way than its last move), both
  inside the ground truth's shots only (a cut may jump); floor: ≤ half the naive's;
* drift: mean |velocity| (px/frame) on shots with no subject at all;
* speed: analysis frames/s and × real time (decode + shots + signals + planning,
  nothing cached), and render × real time on the first 1080p clip (``--render-seconds``).

``--truth-boxes`` also plans the camera from the ground-truth boxes and shots instead of
the detected ones (the planner alone: what it loses to smoothness, margins, whip pans),
reported as the ``planner_on_truth`` camera, and two bounds on what any camera can do
(:func:`least_acceleration_path`): ``bound_all``, the path of least total |acceleration|
that holds every true box that fits, and ``bound_no_whips``, the same with the whip
pans' frames left free (whether the coverage and smoothness floors can hold together,
and how few misses that leaves the subject finder). ``--face-cost`` times the subject analysis
of the last corpus's 1080p clips with and without the face signal, alternately, and
reports the ratio (the machines are noisy: one run, side by side).
``--speed-rounds N`` times the whole analysis (shots, signals, planning; nothing cached)
of the last corpus's 1080p clips N more times, one clip after the other in each round,
and reports each clip's × real time in every round with their best and median: the
corpus tables time each clip once, and these shared machines vary by ±10 % from one
minute to the next.

``--click`` adds the ``cutwise_click`` camera: a user clicks the subject once per shot
(the same simulated click as ``benchmarks/matting.py``: on the shot's first frame showing
the dancer), and one ``reframe(..., subjects=clicks)`` tracks each through its shot with
the matting engine (its GrabCut fallback here); shots without a click keep the automatic
path. Its tracking speed is reported as frames/s of the clicked shots. It also adds
``cutwise_click2``: the same clicks as the main subject plus, in each shot with the
second (smaller) dancer, a click on it as subject 2 (``(x, y, frame, 2)``, at its box's
centre on the shot's first frame where that centre is clear of the main dancer's box).
For every camera, ``both kept`` is the share of frames with both dancers whose two boxes
fit the crop together on which the crop holds both.

First, on real footage (``resources/bikes.mp4``, no ground truth but hand labels in
``benchmarks/labels/bikes_heads.json``): on how many labelled frames each camera's crop
holds the head of the person the shot is about; a guard for changes tuned on the
synthetic dancers.

Results: ``benchmarks/results/reframe.json`` and ``reframe.md``, rewritten after every
clip, so a run that is stopped early still leaves the clips it finished.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from editor.analysis.reframe import Signals, parse_aspect, plan, reframe  # noqa: E402
from editor.analysis.reframe.signals import BLOB_FIELDS, MAX_BLOBS  # noqa: E402
from editor.core.cache import AnalysisCache  # noqa: E402
from editor.core.files import atomic_write_bytes  # noqa: E402

CAMERAS = ("cutwise", "naive", "centre")


def naive_path(signals_boxes: np.ndarray, width: int, height: int, crop: tuple[int, int],
               alpha: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    cw, ch = crop
    xs, ys = np.zeros(len(signals_boxes)), np.zeros(len(signals_boxes))
    cx, cy = width / 2, height / 2
    for i, blobs in enumerate(signals_boxes):
        if blobs[0, 4] > 0:
            tx, ty = (blobs[0, 0] + blobs[0, 2]) / 2, (blobs[0, 1] + blobs[0, 3]) / 2
            cx += alpha * (tx - cx)
            cy += alpha * (ty - cy)
        xs[i] = np.clip(cx - cw / 2, 0, width - cw)
        ys[i] = np.clip(cy - ch / 2, 0, height - ch)
    return np.round(xs), np.round(ys)


def truth_path(truth: dict, n: int, width: int, height: int, crop: tuple[int, int],
               fps: float) -> tuple[np.ndarray, np.ndarray]:
    """The planner's path when it is given the true subject boxes and shots."""
    boxes = np.zeros((n, MAX_BLOBS, BLOB_FIELDS), np.float32)
    for i, box in enumerate(truth["subject"]["boxes"][:n]):
        if box is not None:
            x, y, w, h = box
            boxes[i, 0] = (x, y, x + w, y + h, 0.05, x + w / 2, y + h / 2, x, x + w, x, x + w)
    signals = Signals(width, height, n, np.arange(n), boxes)
    xs, ys, _, _ = plan(signals, [(s["start"], s["end"]) for s in truth["shots"]], crop, fps=fps)
    return xs, ys


def least_acceleration_path(truth: dict, n: int, width: int, crop: tuple[int, int], *,
                            whips: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Per true shot, the crop path (x only: full-height crops) of least total
    |acceleration| whose crop holds every true box that fits it (``whips=False``: not on
    the whip pans' frames and the frame either side), by linear programming (HiGHS)."""
    from scipy import sparse
    from scipy.optimize import linprog

    cw = crop[0]
    free = set() if whips else {f for d in truth["distractors"] if d["type"] == "whip_pan"
                                for f in range(d["start"] - 1, d["end"] + 2)}
    xs = np.full(n, (width - cw) / 2)
    for shot in truth["shots"]:
        s, e = shot["start"], min(shot["end"], n - 1)
        m = e - s + 1
        lo, hi = np.zeros(m), np.full(m, float(width - cw))
        for i in range(s, e + 1):
            box = truth["subject"]["boxes"][i]
            if box is not None and box[2] <= cw and i not in free:
                lo[i - s], hi[i - s] = max(0, box[0] + box[2] - cw), min(width - cw, box[0])
        if m < 3:
            xs[s:e + 1] = lo
            continue
        # minimise the sum of t_k with -t_k <= x_k - 2 x_k+1 + x_k+2 <= t_k
        second = sparse.diags([1.0, -2.0, 1.0], [0, 1, 2], shape=(m - 2, m))
        slack = sparse.identity(m - 2)
        solved = linprog(np.r_[np.zeros(m), np.ones(m - 2)],
                         A_ub=sparse.vstack([sparse.hstack([second, -slack]),
                                             sparse.hstack([-second, -slack])]),
                         b_ub=np.zeros(2 * (m - 2)),
                         bounds=list(zip(lo, hi)) + [(0, None)] * (m - 2), method="highs")
        xs[s:e + 1] = solved.x[:m] if solved.status == 0 else lo
    return np.round(xs), np.zeros(n)


def score(truth: dict, xs: np.ndarray, ys: np.ndarray, crop: tuple[int, int]) -> dict:
    cw, ch = crop
    boxes = truth["subject"]["boxes"]
    others = truth["subject"].get("secondary_boxes") or []  # the second dancer's
    fits = inside = pair_fits = pair_inside = 0

    def holds(i, x0, y0, x1, y1):
        return xs[i] <= x0 and x1 <= xs[i] + cw and ys[i] <= y0 and y1 <= ys[i] + ch

    for i, box in enumerate(boxes[:len(xs)]):
        if box is None or box[2] > cw or box[3] > ch:
            continue
        fits += 1
        inside += holds(i, box[0], box[1], box[0] + box[2], box[1] + box[3])
        other = others[i] if i < len(others) else None
        if other is not None:
            x0, y0 = min(box[0], other[0]), min(box[1], other[1])
            x1 = max(box[0] + box[2], other[0] + other[2])
            y1 = max(box[1] + box[3], other[1] + other[3])
            if x1 - x0 <= cw and y1 - y0 <= ch:
                pair_fits += 1
                pair_inside += holds(i, x0, y0, x1, y1)
    acc, reversals, frames, still = [], 0, 0, []
    for shot in truth["shots"]:
        s, e = shot["start"], min(shot["end"], len(xs) - 1)
        if e - s < 2:
            continue
        frames += e - s + 1
        for pos in (xs[s:e + 1], ys[s:e + 1]):
            acc.extend(np.abs(np.diff(pos, 2)).tolist())
            moves = np.sign(np.diff(pos))
            moves = moves[moves != 0]
            reversals += int(np.sum(moves[1:] != moves[:-1]))
        if all(b is None for b in boxes[s:e + 1]):
            still.extend(np.abs(np.diff(xs[s:e + 1])).tolist())
    minutes = frames / truth["fps"] / 60
    return {"fits": fits, "inside": inside, "pair_fits": pair_fits, "pair_inside": pair_inside,
            "acc_sum": float(np.sum(acc)), "acc_n": len(acc),
            "reversals": reversals, "minutes": minutes,
            "still_sum": float(np.sum(still)), "still_n": len(still)}


def summarise(rows: list[dict]) -> dict:
    tot = {k: sum(r[k] for r in rows) for k in rows[0]}
    return {"coverage": tot["inside"] / max(1, tot["fits"]),
            "frames_scored": tot["fits"],
            "both_kept": tot["pair_inside"] / max(1, tot["pair_fits"]),
            "pair_frames": tot["pair_fits"],
            "mean_abs_acceleration": tot["acc_sum"] / max(1, tot["acc_n"]),
            "reversals_per_minute": tot["reversals"] / max(1e-9, tot["minutes"]),
            "drift_px_per_frame": tot["still_sum"] / max(1, tot["still_n"])}


def click_path(video: Path, truth: dict, aspect: str, cache: AnalysisCache, *,
               second: bool = False) -> tuple[np.ndarray, np.ndarray, int, float]:
    """The path with one click per shot (and one on the second dancer as subject 2):
    (xs, ys, frames of clicked shots, seconds)."""
    from matting import click_prompts

    data = np.load(video.parent / truth["subject"]["alpha_file"])
    clicks = click_prompts(truth, list(data["frames"]), data["alpha"])
    subjects = [(x, y, frame) for _, _, frame, x, y in clicks]
    if second:
        subjects += second_dancer_clicks(truth)
    t0 = time.perf_counter()
    clicked = reframe(video, aspect=aspect, cache=cache, subject_backend="grabcut",
                      subjects=subjects)
    took = time.perf_counter() - t0
    return clicked.xs, clicked.ys, sum(end - start + 1 for start, end, *_ in clicks), took


def second_dancer_clicks(truth: dict) -> list[tuple[float, float, int, int]]:
    """A click on the second dancer per shot, as subject 2: its box's centre on the
    shot's first frame where that centre is clear of the main dancer's box."""
    boxes, others = truth["subject"]["boxes"], truth["subject"].get("secondary_boxes") or []
    clicks = []
    for shot in truth["shots"]:
        for f in range(shot["start"], min(shot["end"] + 1, len(others))):
            other, box = others[f], boxes[f]
            if other is None:
                continue
            x, y = other[0] + other[2] / 2, other[1] + other[3] / 2
            on_main = box is not None and box[0] <= x <= box[0] + box[2] and \
                box[1] <= y <= box[1] + box[3]
            if not on_main:
                clicks.append((x, y, f, 2))
                break
    return clicks


def automatic_cameras(video: Path, aspect: str, cache: AnalysisCache) -> tuple:
    """(result, {camera: (xs, ys)}, seconds): Cutwise's camera, timed (``cache`` empty:
    nothing cached before), and the centre and naive ones with its crop and detections."""
    t0 = time.perf_counter()
    result = reframe(video, aspect=aspect, cache=cache)
    took = time.perf_counter() - t0
    signals = Signals.from_arrays(next(iter(_signal_arrays(cache))))
    (w, h), crop = result.source, result.crop
    paths = {"cutwise": (result.xs, result.ys),
             "centre": (np.full(result.frame_count, (w - crop[0]) // 2),
                        np.full(result.frame_count, (h - crop[1]) // 2)),
             "naive": naive_path(signals.per_frame(), w, h, crop)}
    return result, paths, took


def run_corpus(folder: Path, aspect: str, limit: int | None, names: set[str] | None,
               on_clip=lambda corpus: None, truth_boxes: bool = False,
               click: bool = False) -> dict:
    """Score every (chosen) clip of ``folder``; ``on_clip(partial)`` after each one."""
    index = json.loads((folder / "corpus.json").read_text())
    clips = [c for c in index["clips"] if names is None or c["name"] in names]
    clips = clips[:limit] if limit else clips
    if not clips:
        raise SystemExit(f"{folder}: no clip matches --clips")
    cameras = CAMERAS + (("planner_on_truth", "bound_all", "bound_no_whips")
                         if truth_boxes else ()) + \
        (("cutwise_click", "cutwise_click2") if click else ())
    tracked, tracking = 0, 0.0
    per_camera = {c: [] for c in cameras}
    clip_rows, seconds, video_seconds, frames_total, padded_shots, shots_total = [], 0.0, 0.0, 0, 0, 0
    modes = {"stationary": 0, "pan": 0, "track": 0}
    for clip in clips:
        truth = json.loads((folder / clip["ground_truth"]).read_text())
        video = folder / clip["video"]
        with tempfile.TemporaryDirectory() as tmp:
            cache = AnalysisCache(tmp)
            result, paths, took = automatic_cameras(video, aspect, cache)
            crop = result.crop
            w, h = result.source
            if click:
                *paths["cutwise_click"], n, t = click_path(video, truth, aspect, cache)
                tracked, tracking = tracked + n, tracking + t
                *paths["cutwise_click2"], _, _ = click_path(video, truth, aspect, cache,
                                                            second=True)
        if truth_boxes:
            paths["planner_on_truth"] = truth_path(truth, result.frame_count, w, h, crop,
                                                   result.fps)
            for whips in (True, False):
                paths["bound_all" if whips else "bound_no_whips"] = least_acceleration_path(
                    truth, result.frame_count, w, crop, whips=whips)
        row = {"clip": clip["name"], "size": f"{w}x{h}", "fps": truth["fps"],
               "frames": result.frame_count, "seconds": round(took, 2),
               "analysis_fps": round(result.frame_count / took, 1),
               "realtime": round(result.frame_count / truth["fps"] / took, 2)}
        for cam in cameras:
            s = score(truth, *paths[cam], crop)
            per_camera[cam].append(s)
            row[f"{cam}_coverage"] = round(s["inside"] / max(1, s["fits"]), 4)
        clip_rows.append(row)
        seconds += took
        video_seconds += result.frame_count / truth["fps"]
        frames_total += result.frame_count
        padded_shots += sum(p.padded for p in result.shots)
        shots_total += len(result.shots)
        for p in result.shots:
            modes[p.mode] += 1
        print(f"  {clip['name']}: " + ", ".join(f"{k}={v}" for k, v in row.items()
                                                 if k != "clip"), flush=True)
        corpus = {"corpus": str(folder), "scale": index.get("scale"), "clips": clip_rows,
                  "clips_in_corpus": len(index["clips"]),
                  "summary": {cam: summarise(rows) for cam, rows in per_camera.items()},
                  "analysis_fps": frames_total / seconds,
                  "analysis_realtime": video_seconds / seconds, "shots": shots_total,
                  "padded_shots": padded_shots, "camera_modes": dict(modes)}
        if click:
            corpus["click_tracking_fps"] = tracked / max(tracking, 1e-9)
        on_clip(corpus)
    return corpus


def _signal_arrays(cache: AnalysisCache):
    for path in sorted(cache.root.glob("*/reframe-signals-*.npz")):
        yield cache.get_arrays(path.stem)


def _big_clips(folder: Path) -> list[dict]:
    """The corpus's 1080p clips (all its clips where it has none)."""
    clips = json.loads((folder / "corpus.json").read_text())["clips"]
    return [c for c in clips if c["height"] >= 1080] or clips


def render_speed(folder: Path, aspect: str, seconds: float) -> dict | None:
    """Render the first ``seconds`` of the corpus's first 1080p clip (× real time)."""
    from editor.analysis.reframe.render import render

    clip = _big_clips(folder)[0]
    video = folder / clip["video"]
    n = min(clip["frame_count"], int(seconds * clip["fps"]))
    result = reframe(video, aspect=aspect, cache=AnalysisCache(tempfile.mkdtemp()))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        render(video, Path(tmp) / "out.mp4", result.xs, result.ys, result.crop,
               result.output, padded=result.padded, last_frame=n - 1)
        took = time.perf_counter() - t0
    return {"clip": clip["name"], "size": f"{clip['width']}x{clip['height']}",
            "output": f"{result.output[0]}x{result.output[1]}", "frames": n,
            "seconds": round(took, 2), "fps": round(n / took, 1),
            "realtime": round(n / clip["fps"] / took, 2)}


def face_cost(folder: Path, rounds: int = 2) -> dict:
    """What the face signal costs: the subject analysis of the corpus's 1080p clips
    (:func:`_big_clips`) with and without it, alternately in one run (× real time, the
    best of ``rounds``)."""
    from editor.analysis.reframe.signals import extract_signals

    big = _big_clips(folder)
    seconds = sum(c["frame_count"] / c["fps"] for c in big)
    best = {True: float("inf"), False: float("inf")}
    for _ in range(rounds):
        for faces in (True, False):
            t0 = time.perf_counter()
            for clip in big:
                extract_signals(folder / clip["video"], width=clip["width"],
                                height=clip["height"], frame_count=clip["frame_count"],
                                fps=clip["fps"], find_faces=faces)
            best[faces] = min(best[faces], time.perf_counter() - t0)
    return {"clips": [c["name"] for c in big], "with_faces": round(seconds / best[True], 2),
            "without_faces": round(seconds / best[False], 2),
            "ratio": round(best[False] / best[True], 3)}


def speed_rounds(folder: Path, aspect: str, rounds: int) -> dict:
    """× real time of the whole analysis of each 1080p clip (:func:`_big_clips`), nothing
    cached, in each of ``rounds`` rounds, with the best and the median."""
    big = _big_clips(folder)
    runs: dict[str, list[float]] = {c["name"]: [] for c in big}
    for _ in range(rounds):
        for clip in big:
            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.perf_counter()
                reframe(folder / clip["video"], aspect=aspect, cache=AnalysisCache(tmp))
                took = time.perf_counter() - t0
            runs[clip["name"]].append(round(clip["frame_count"] / clip["fps"] / took, 2))
            print(f"  speed {clip['name']}: {runs[clip['name']][-1]}× real time", flush=True)
    return {name: {"runs": r, "best": max(r), "median": round(float(np.median(r)), 2)}
            for name, r in runs.items()}


def real_heads(labels: Path, aspect: str) -> dict:
    """On real footage: on how many of the hand-labelled frames each camera's crop holds
    the head of the person the shot is about (``labels``: ``benchmarks/labels``); the
    ``cutwise_click`` camera has one click on that person per shot (GrabCut tracking)."""
    data = json.loads(labels.read_text())
    video = ROOT / data["video"]
    with tempfile.TemporaryDirectory() as tmp:
        cache = AnalysisCache(tmp)
        result, paths, _ = automatic_cameras(video, aspect, cache)
        clicked = reframe(video, aspect=aspect, cache=cache, subject_backend="grabcut",
                          subjects=[tuple(c) for c in data["clicks"]])
    paths["cutwise_click"] = (clicked.xs, clicked.ys)
    cw = result.crop[0]
    heads = {int(f): box for f, box in data["heads"].items()}
    row = {"video": data["video"], "labelled": len(heads), "crop": cw}
    for cam, (xs, _) in paths.items():
        row[cam] = int(sum(xs[f] <= x0 and x1 <= xs[f] + cw for f, (x0, x1) in heads.items()))
    return row


def markdown(report: dict) -> str:
    lines = [f"# Auto-reframe benchmark ({report['aspect']})", "",
             f"Machine: {report['machine']}. Crop: full height at {report['aspect']}.", ""]
    if report.get("real"):
        r = report["real"]
        lines += ["## Real footage: the person's head in the crop (hand-labelled frames)", "",
                  "| video | crop width | labelled frames | cutwise | cutwise, one click per "
                  "shot | naive | centre |",
                  "|---|---|---|---|---|---|---|",
                  f"| {r['video']} | {r['crop']} | {r['labelled']} | {r['cutwise']} | "
                  f"{r['cutwise_click']} | {r['naive']} | {r['centre']} |", ""]
    for corpus in report["corpora"]:
        s = corpus["summary"]
        naive = s["naive"]
        count = len(corpus["clips"])
        of = corpus.get("clips_in_corpus", count)
        lines += [f"## {corpus['corpus']} ({count} clips" + (f" of {of}" if of != count else "")
                  + ")", "",
                  "| camera | coverage | mean abs accel (px/frame²) | reversals / min | "
                  "drift (px/frame) | both kept |",
                  "|---|---|---|---|---|---|"]
        for cam in s:
            c = s[cam]
            lines.append(f"| {cam} | {c['coverage']:.2%} | {c['mean_abs_acceleration']:.3f} | "
                         f"{c['reversals_per_minute']:.1f} | {c['drift_px_per_frame']:.3f} | "
                         f"{c['both_kept']:.2%} |")
        cut = s["cutwise"]
        lines += ["", f"- frames scored: {cut['frames_scored']} ({cut['pair_frames']} with both "
                      f"dancers fitting the crop together: 'both kept'); coverage floor 98 %: "
                      f"**{'met' if cut['coverage'] >= 0.98 else 'NOT met'}**",
                  f"- acceleration vs naive: {cut['mean_abs_acceleration'] / max(1e-9, naive['mean_abs_acceleration']):.3f}× "
                  f"(floor ≤ 0.5×); reversals vs naive: "
                  f"{cut['reversals_per_minute'] / max(1e-9, naive['reversals_per_minute']):.3f}× (floor ≤ 0.5×)",
                  f"- analysis: {corpus['analysis_fps']:.0f} frames/s, "
                  f"{corpus['analysis_realtime']:.2f}× real time (floor 2× on 1080p)",
                  f"- shots: {corpus['shots']} ({corpus['camera_modes']}), padded: {corpus['padded_shots']}"]
        if "bound_no_whips" in s:
            lines.append("- bounds (least-|acceleration| paths on the true boxes): " + "; ".join(
                f"{label} {s[cam]['coverage']:.2%} at "
                f"{s[cam]['mean_abs_acceleration'] / max(1e-9, naive['mean_abs_acceleration']):.3f}× "
                f"the naive acceleration" for cam, label in
                (("bound_all", "every frame held"), ("bound_no_whips", "whip pans left free")))
                + f"; with the whip pans left free, 98 % allows "
                f"{int(s['bound_no_whips']['coverage'] * cut['frames_scored'] - 0.98 * cut['frames_scored'])}"
                " missed frames elsewhere")
        if "click_tracking_fps" in corpus:
            lines.append(f"- one click per shot: the clicked shots tracked at "
                         f"{corpus['click_tracking_fps']:.1f} frames/s (GrabCut fallback)")
        shown = [c for c in ("cutwise", "cutwise_click", "cutwise_click2", "naive", "centre")
                 if c in s]
        lines += ["", "| clip | size | frames | × real time | " + " | ".join(shown) + " |",
                  "|---|---|---|---|" + "---|" * len(shown)]
        for r in corpus["clips"]:
            lines.append(f"| {r['clip']} | {r['size']} | {r['frames']} | {r['realtime']} | "
                         + " | ".join(f"{r[c + '_coverage']:.2%}" for c in shown) + " |")
        lines.append("")
    if report.get("render"):
        r = report["render"]
        lines += ["## Render", "",
                  f"{r['clip']} ({r['size']} → {r['output']}, {r['frames']} frames): "
                  f"{r['fps']} frames/s, **{r['realtime']}× real time** (floor 1×)", ""]
    if report.get("speed"):
        lines += ["## Analysis speed, timed again", "",
                  "The whole analysis (shots, signals, planning; nothing cached) of each "
                  "1080p clip, one clip after the other in each round (floor 2× real time):",
                  "", "| clip | × real time, each round | best | median |", "|---|---|---|---|"]
        for name, r in report["speed"].items():
            lines.append(f"| {name} | {' / '.join(str(v) for v in r['runs'])} | "
                         f"**{r['best']}** | {r['median']} |")
        lines.append("")
    if report.get("face_cost"):
        f = report["face_cost"]
        lines += ["## What the face signal costs", "",
                  f"Subject analysis of the 1080p clips (or all, where none; {', '.join(f['clips'])}), with and "
                  f"without faces, alternately in one run (best of two): "
                  f"**{f['with_faces']}×** real time with faces, {f['without_faces']}× without "
                  f"(**{f['ratio']}×** the speed)", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpora", nargs="+", type=Path)
    parser.add_argument("--aspect", default="9:16")
    parser.add_argument("--limit", type=int, default=None, help="first N clips per corpus")
    parser.add_argument("--clips", default=None, help="only these clips (comma-separated names)")
    parser.add_argument("--render-seconds", type=float, default=10.0,
                        help="seconds of a 1080p clip to render (0: skip)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--name", default="reframe")
    parser.add_argument("--truth-boxes", action="store_true",
                        help="also plan from the ground-truth boxes (the planner alone)")
    parser.add_argument("--face-cost", action="store_true",
                        help="also time the 1080p analysis with and without the face signal")
    parser.add_argument("--speed-rounds", type=int, default=0,
                        help="time the 1080p clips' analysis this many more times")
    parser.add_argument("--click", action="store_true",
                        help="also one click on the subject per shot (tracked by matting), "
                             "and one more on the second dancer as subject 2")
    args = parser.parse_args()
    parse_aspect(args.aspect)
    report = {"aspect": args.aspect, "machine": f"{platform.machine()}, "
              f"{platform.python_implementation()} {platform.python_version()}",
              "corpora": []}
    names = set(args.clips.split(",")) if args.clips else None
    args.out.mkdir(parents=True, exist_ok=True)
    done: list[dict] = []

    def save(current: dict | None = None) -> str:
        report["corpora"] = done + ([current] if current else [])
        text = markdown(report)
        atomic_write_bytes(args.out / f"{args.name}.json",
                           (json.dumps(report, indent=2) + "\n").encode())
        atomic_write_bytes(args.out / f"{args.name}.md", (text + "\n").encode())
        return text

    report["real"] = real_heads(ROOT / "benchmarks" / "labels" / "bikes_heads.json", args.aspect)
    print("real footage, heads kept:", report["real"], flush=True)
    for folder in args.corpora:
        print(f"{folder}:", flush=True)
        done.append(run_corpus(folder, args.aspect, args.limit, names, on_clip=save,
                               truth_boxes=args.truth_boxes, click=args.click))
    if args.render_seconds > 0:
        report["render"] = render_speed(args.corpora[-1], args.aspect, args.render_seconds)
    if args.speed_rounds > 0:
        report["speed"] = speed_rounds(args.corpora[-1], args.aspect, args.speed_rounds)
    if args.face_cost:
        report["face_cost"] = face_cost(args.corpora[-1])
    print(save())
    return 0


if __name__ == "__main__":
    sys.exit(main())
