"""Shot boundary benchmark: Cutwise vs PySceneDetect 0.7 (ContentDetector, AdaptiveDetector).

    python benchmarks/shots.py /tmp/corpus-small /tmp/corpus-full [--long-minutes 30]

Every detector runs on every file in its own subprocess (so peak RSS is its own), in the
same run. Files: each corpus dir (``corpus.json``, or every ``*.json`` ground truth in it),
``resources/bikes.mp4`` with ``benchmarks/labels/bikes.json``, and
``../shared/real-clips/*`` (no labels: what each detector finds is listed). A long synthetic
clip (``--long-minutes``, default 30; 0 skips it) shows Cutwise's memory stays bounded.

Scoring (TRECVID convention, as PySceneDetect's own benchmark):

* hard cuts: predicted and true cuts matched 1-to-1 within +-1 frame;
* a gradual transition is found when a predicted transition overlaps it. A predicted *cut*
  inside a true gradual span (+-1 frame) also finds it: PySceneDetect only outputs cuts,
  and placing a cut in a dissolve is the right edit for a cut-only tool. Such cuts count as
  transition predictions, never as false cuts. The same rule applies to every detector;
* precision, recall, F1 for cuts and for transitions separately, summed over the clips of
  each corpus (micro average);
* throughput = frames / seconds of the detection call (decode included, imports excluded).

Results go to ``benchmarks/results/shots.json`` and ``shots.md``.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DETECTORS = ("cutwise", "psd-content", "psd-adaptive")
TOL = 1


# --- worker: one detector on one file, in a fresh process ------------------------------

def worker(detector: str, path: str, backend: str) -> dict:
    if detector == "cutwise":
        sys.path.insert(0, str(ROOT))
        from editor.analysis.shots import detect_shots

        t0 = time.perf_counter()
        result = detect_shots(path)
        seconds = time.perf_counter() - t0
        data = result.to_dict()
        out = {"cuts": data["cuts"],
               "transitions": [[t["type"], t["start"], t["end"]] for t in data["transitions"]],
               "frames": result.frame_count}
    else:
        from scenedetect import AdaptiveDetector, ContentDetector, SceneManager, open_video

        video = open_video(path, backend=backend)
        manager = SceneManager()
        manager.add_detector(ContentDetector() if detector == "psd-content" else AdaptiveDetector())
        t0 = time.perf_counter()
        manager.detect_scenes(video)
        seconds = time.perf_counter() - t0
        scenes = manager.get_scene_list()
        out = {"cuts": [s[0].frame_num for s in scenes[1:]], "transitions": [],
               "frames": video.frame_number}
    out["seconds"] = seconds
    out["fps"] = out["frames"] / seconds if seconds else 0.0
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def run_worker(detector: str, path: str, backend: str, python: str) -> dict:
    cmd = [python, str(Path(__file__).resolve()), "--worker", detector, path,
           "--backend", backend]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- scoring ----------------------------------------------------------------------------

def score_clip(pred: dict, truth: dict) -> dict:
    spans = [(t["start"], t["end"]) for t in truth.get("transitions", [])]

    def in_span(frame: int) -> bool:
        return any(s - TOL <= frame <= e + TOL for s, e in spans)

    cut_preds = [c for c in pred["cuts"] if not in_span(c)]
    span_cuts = [c for c in pred["cuts"] if in_span(c)]
    gt_cuts = sorted(truth.get("cuts", []))
    used, tp = set(), 0
    for c in sorted(cut_preds):
        best = None
        for j, g in enumerate(gt_cuts):
            if j not in used and abs(g - c) <= TOL and (best is None or
                                                          abs(g - c) < abs(gt_cuts[best] - c)):
                best = j
        if best is not None:
            used.add(best)
            tp += 1
    pred_spans = [(s, e) for _, s, e in pred["transitions"]]
    found = 0
    for s, e in spans:
        if any(ps <= e and pe >= s for ps, pe in pred_spans) or \
                any(s - TOL <= c <= e + TOL for c in span_cuts):
            found += 1
    # transition predictions: predicted transitions + cuts inside true spans (grouped per span)
    tr_pred = len(pred_spans) + len({next(i for i, (s, e) in enumerate(spans)
                                          if s - TOL <= c <= e + TOL) for c in span_cuts
                                     if not any(ps <= c <= pe for ps, pe in pred_spans)})
    tr_tp_pred = sum(1 for ps, pe in pred_spans if any(ps <= e and pe >= s for s, e in spans))
    tr_tp_pred += tr_pred - len(pred_spans)
    return {"cut_tp": tp, "cut_pred": len(cut_preds), "cut_gt": len(gt_cuts),
            "tr_found": found, "tr_gt": len(spans), "tr_pred": tr_pred, "tr_pred_ok": tr_tp_pred,
            "missed_cuts": [g for j, g in enumerate(gt_cuts) if j not in used],
            "false_cuts": [c for c in cut_preds
                           if all(abs(c - g) > TOL for g in gt_cuts)]}


def prf(tp_pred: int, n_pred: int, tp_gt: int, n_gt: int) -> dict:
    p = tp_pred / n_pred if n_pred else 1.0
    r = tp_gt / n_gt if n_gt else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def summarise(rows: list[dict]) -> dict:
    tot = {k: sum(r[k] for r in rows) for k in ("cut_tp", "cut_pred", "cut_gt", "tr_found",
                                                "tr_gt", "tr_pred", "tr_pred_ok")}
    frames = sum(r["frames"] for r in rows)
    seconds = sum(r["seconds"] for r in rows)
    return {"cuts": prf(tot["cut_tp"], tot["cut_pred"], tot["cut_tp"], tot["cut_gt"]),
            "transitions": prf(tot["tr_pred_ok"], tot["tr_pred"], tot["tr_found"], tot["tr_gt"]),
            "frames": frames, "seconds": seconds, "fps": frames / seconds if seconds else 0.0,
            "maxrss_mb": max(r["maxrss_mb"] for r in rows), "counts": tot}


# --- inputs -----------------------------------------------------------------------------

def corpus_clips(directory: Path) -> list[tuple[str, dict]]:
    listing = directory / "corpus.json"
    if listing.exists():
        names = [c["ground_truth"] for c in json.loads(listing.read_text())["clips"]]
    else:
        names = sorted(p.name for p in directory.glob("*.json"))
    out = []
    for name in names:
        truth = json.loads((directory / name).read_text())
        if "video" in truth and (directory / truth["video"]).exists():
            out.append((str(directory / truth["video"]), truth))
    return out


def make_long_clip(path: Path, minutes: float, fps: int = 25) -> dict:
    """640x360 H.264 (ultrafast): 5 s shots of moving noise textures, hard cuts."""
    import av
    import numpy as np

    frames = int(minutes * 60 * fps)
    rng = np.random.default_rng(0)
    textures = [np.clip(rng.normal(128, 50, (400, 700)).astype(np.float32), 0, 255)
                for _ in range(6)]
    import cv2

    textures = [cv2.GaussianBlur(t, (0, 0), 3 + i).astype(np.uint8) for i, t in enumerate(textures)]
    cuts = list(range(5 * fps, frames, 5 * fps))
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        stream.options = {"preset": "ultrafast", "g": "250"}
        for i in range(frames):
            shot = i // (5 * fps)
            tex = textures[shot % len(textures)]
            x = (i % (5 * fps)) * 59 // (5 * fps)  # a slow pan, no jump inside a shot
            y = (shot * 7) % 40
            gray = tex[y:y + 360, x:x + 640]
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(gray), format="gray")
            for packet in stream.encode(frame.reformat(format="yuv420p")):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return {"cuts": cuts, "transitions": [], "frame_count": frames}


# --- report -----------------------------------------------------------------------------

def fmt_table(results: dict) -> str:
    lines = ["| set | detector | cut P | cut R | cut F1 | trans. P | trans. R | trans. F1 "
             "| fps | vs Adaptive | peak RSS MB |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, per in results["sets"].items():
        adaptive = per.get("psd-adaptive", {}).get("fps") or 0
        for det, s in per.items():
            if "cuts" not in s:
                continue
            ratio = f"{s['fps'] / adaptive:.2f}x" if adaptive else "-"
            lines.append(f"| {name} | {det} | {s['cuts']['precision']:.3f} | "
                         f"{s['cuts']['recall']:.3f} | {s['cuts']['f1']:.3f} | "
                         f"{s['transitions']['precision']:.3f} | {s['transitions']['recall']:.3f} | "
                         f"{s['transitions']['f1']:.3f} | {s['fps']:.0f} | {ratio} | "
                         f"{s['maxrss_mb']:.0f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpora", nargs="*", help="corpus folders (make_corpus.py output)")
    ap.add_argument("--worker", nargs=2, metavar=("DETECTOR", "FILE"), help=argparse.SUPPRESS)
    ap.add_argument("--backend", default="opencv", help="PySceneDetect backend (opencv|pyav)")
    ap.add_argument("--psd-python", default=sys.executable,
                    help="interpreter with scenedetect installed (default: this one)")
    ap.add_argument("--long-minutes", type=float, default=30.0)
    ap.add_argument("--long-dir", default="/tmp/cutwise-bench")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "shots"))
    ap.add_argument("--no-real", action="store_true", help="skip bikes and the real clips")
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker[0], args.worker[1], args.backend)))
        return 0

    sets: dict[str, list[tuple[str, dict]]] = {}
    for c in args.corpora:
        clips = corpus_clips(Path(c))
        if clips:
            sets[Path(c).name] = clips
    if not args.no_real:
        labels = json.loads((ROOT / "benchmarks" / "labels" / "bikes.json").read_text())
        sets["bikes"] = [(str(ROOT / "resources" / "bikes.mp4"), labels)]
    results = {"machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores",
               "python": platform.python_version(), "backend": args.backend,
               "sets": {}, "clips": {}, "real_clips": {}, "long": {}}
    for set_name, clips in sets.items():
        per_det: dict[str, list[dict]] = {d: [] for d in DETECTORS}
        by_size: dict[str, dict[str, list[dict]]] = {}
        for path, truth in clips:
            for det in DETECTORS:
                py = sys.executable if det == "cutwise" else args.psd_python
                pred = run_worker(det, path, args.backend, py)
                if "error" in pred:
                    print(f"{det} failed on {path}: {pred['error']}", file=sys.stderr)
                    continue
                row = dict(score_clip(pred, truth), frames=pred["frames"],
                           seconds=pred["seconds"], maxrss_mb=pred["maxrss_mb"])
                per_det[det].append(row)
                size = f"{truth.get('width', '?')}x{truth.get('height', '?')}"
                by_size.setdefault(size, {}).setdefault(det, []).append(row)
                results["clips"].setdefault(Path(path).name, {})[det] = dict(
                    row, predicted_cuts=pred["cuts"], predicted_transitions=pred["transitions"])
                print(f"{set_name} {Path(path).name} {det}: {pred['fps']:.0f} fps, "
                      f"cuts {row['cut_tp']}/{row['cut_gt']} (pred {row['cut_pred']}), "
                      f"trans {row['tr_found']}/{row['tr_gt']} (pred {row['tr_pred']})",
                      file=sys.stderr, flush=True)
        results["sets"][set_name] = {d: summarise(r) for d, r in per_det.items() if r}
        if len(by_size) > 1 or set_name.startswith("corpus-full"):
            for size, dets in by_size.items():
                results["sets"][f"{set_name} {size}"] = {d: summarise(r) for d, r in dets.items()}
    if not args.no_real:
        for path in sorted(glob.glob(str(ROOT.parent / "shared" / "real-clips" / "*"))):
            for det in DETECTORS:
                py = sys.executable if det == "cutwise" else args.psd_python
                pred = run_worker(det, path, args.backend, py)
                results["real_clips"].setdefault(Path(path).name, {})[det] = pred
                print(f"real {Path(path).name} {det}: {pred.get('cuts')} "
                      f"{pred.get('transitions', '')}", file=sys.stderr, flush=True)
    if args.long_minutes > 0:
        long_dir = Path(args.long_dir)
        long_dir.mkdir(parents=True, exist_ok=True)
        for minutes in (1.0, args.long_minutes):
            path = long_dir / f"long-v2-{minutes:g}min.mp4"
            meta = long_dir / f"long-v2-{minutes:g}min.json"
            if not (path.exists() and meta.exists()):
                t0 = time.perf_counter()
                truth = make_long_clip(path, minutes)
                meta.write_text(json.dumps(truth))
                print(f"generated {path} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
            truth = json.loads(meta.read_text())
            pred = run_worker("cutwise", str(path), args.backend, sys.executable)
            row = score_clip(pred, truth) if "error" not in pred else {}
            results["long"][f"{minutes:g} min"] = {
                "frames": pred.get("frames"), "fps": pred.get("fps"),
                "maxrss_mb": pred.get("maxrss_mb"), "cut_tp": row.get("cut_tp"),
                "cut_gt": row.get("cut_gt"), "cut_pred": row.get("cut_pred"),
                "error": pred.get("error")}
            print(f"long {minutes:g} min: {results['long'][f'{minutes:g} min']}", file=sys.stderr)
    table = fmt_table(results)
    print(table)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(results, indent=1, default=float))
    md = ["# Shot boundary benchmark", "", f"Machine: {results['machine']}, Python "
          f"{results['python']}, PySceneDetect backend: {args.backend}.", "", table, ""]
    if results["long"]:
        md += ["## Bounded memory (Cutwise)", "", "| clip | frames | fps | peak RSS MB |",
               "|---|---|---|---|"]
        for name, r in results["long"].items():
            md.append(f"| {name} | {r['frames']} | {(r['fps'] or 0):.0f} | "
                      f"{(r['maxrss_mb'] or 0):.0f} |")
        md.append("")
    if results["real_clips"]:
        md += ["## Real clips (no labels): cuts found", "", "| clip | detector | frames | cuts | "
               "transitions |", "|---|---|---|---|---|"]
        for name, dets in results["real_clips"].items():
            for det, r in dets.items():
                md.append(f"| {name} | {det} | {r.get('frames')} | {r.get('cuts')} | "
                          f"{r.get('transitions') or ''} |")
        md.append("")
    out.with_suffix(".md").write_text("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
