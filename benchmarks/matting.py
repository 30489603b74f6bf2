"""Matting benchmark: the GrabCut fallback (tracked) against a naive per-frame baseline,
scored against the corpus's ground-truth alpha; plus the SAM code path's speed with a tiny
untrained SAM (its masks are meaningless, so it is not scored for quality).

Protocol: for every shot of every clip that shows the dancer, one simulated click on the
first frame of the shot where the dancer is visible, at the centre of its ground-truth box
(moved to the nearest dancer pixel when the centre falls between arms or legs, as a user
clicks the subject, not the gap). The shot's bounds come from the corpus JSON, so shot
detection errors do not count here. Scored on every frame that has ground truth:

- IoU of ``alpha >= 128`` against the ground truth's ``alpha >= 128`` (mean over frames);
- SAD (sum of |alpha - gt| in 0..1 units, /1000 as in the matting literature) and MSE;
- flicker: mean |alpha(t+1) - alpha(t)| (0..255) over pixels whose ground truth does not
  change between the two frames, inside the subject's box grown by 16 px;
- frames/s of propagation and of rendering (soft alpha + temporal smoothing), and peak RSS.

Each method runs in its own subprocess so its peak RSS is its own::

    .venv/bin/python benchmarks/matting.py /tmp/corpus-small --out benchmarks/results/matting
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BOX_MARGIN = 4  # px the box prompt extends beyond the subject's true box
sys.path.insert(0, str(ROOT))


def click_prompts(gt: dict, alpha_frames: list[int], alpha: np.ndarray):
    """One (shot_start, shot_end, frame, x, y) per shot with the dancer (on its first frame
    showing the dancer; the frame's ground-truth box is ``gt["subject"]["boxes"][frame]``)."""
    index = {f: i for i, f in enumerate(alpha_frames)}
    out = []
    for shot in gt["shots"]:
        for f in range(shot["start"], shot["end"] + 1):
            if gt["subject"]["boxes"][f] is not None and f in index:
                x, y, w, h = gt["subject"]["boxes"][f]
                cx, cy = x + w // 2, y + h // 2
                a = alpha[index[f]] >= 128
                scale = a.shape[1] / gt["width"]
                ax, ay = int(cx * scale), int(cy * scale)
                if not a[min(ay, a.shape[0] - 1), min(ax, a.shape[1] - 1)]:
                    ys, xs = np.nonzero(a)
                    k = int(np.argmin((xs - ax) ** 2 + (ys - ay) ** 2))
                    cx, cy = xs[k] / scale, ys[k] / scale
                out.append((shot["start"], shot["end"], f, float(cx), float(cy)))
                break
    return out


class NaiveSegmenter:
    """Baseline: the click's first-frame mask, then per-frame GrabCut in that fixed box."""

    # uses_motion: its click gets the same motion cue as GrabCut's (tracking ignores it)
    name, lower_quality, batch_size, uses_motion = "naive", True, 1, True

    def __init__(self):
        from editor.analysis.matting import GrabCutSegmenter

        self.inner = GrabCutSegmenter()
        self.rect = None

    def prepare(self, images):
        return list(images)

    def from_prompt(self, feature, image, prompt, neighbours=()):
        from editor.analysis.matting.types import bbox

        seg = self.inner.from_prompt(feature, image, prompt, neighbours)
        self.rect = bbox(seg.mask)
        return seg

    def track(self, feature, image, prior, evidence=None):
        from editor.analysis.matting.types import Segment

        h, w = image.shape[:2]
        if self.rect is None:
            return Segment(np.zeros((h, w), bool), 0.0)
        x0, y0, x1, y1 = self.rect
        labels = np.zeros((h, w), np.uint8)
        bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
        try:
            cv2.grabCut(np.ascontiguousarray(image[:, :, ::-1]), labels,
                        (x0, y0, max(1, x1 - x0), max(1, y1 - y0)), bgd, fgd, 3,
                        cv2.GC_INIT_WITH_RECT)
        except cv2.error:
            pass
        return Segment((labels == 1) | (labels == 3), 1.0)


def tiny_sam():
    import torch
    from segment_anything.build_sam import _build_sam

    from editor.analysis.matting.sam import SamSegmenter

    torch.manual_seed(0)
    model = _build_sam(encoder_embed_dim=64, encoder_depth=2, encoder_num_heads=2,
                       encoder_global_attn_indexes=[1], checkpoint=None)
    return SamSegmenter(model, device="cpu")


def run_method(method: str, corpus: Path, clips: list[str], max_frames: int | None) -> dict:
    """Worker (in its own process): matte every shot of ``clips``; return per-frame scores."""
    from editor.analysis.matting import GrabCutSegmenter, Prompt, matte, render
    from editor.analysis.matting.render import read_alpha

    seg = {"grabcut": GrabCutSegmenter, "grabcut_box": GrabCutSegmenter, "naive": NaiveSegmenter,
           "tiny_sam": tiny_sam}[method]()
    rows, t_prop, t_render, n_frames = [], 0.0, 0.0, 0
    for name in clips:
        gt = json.loads((corpus / f"{name}.json").read_text())
        data = np.load(corpus / gt["subject"]["alpha_file"])
        frames, alpha = list(data["frames"]), data["alpha"]
        index = {f: i for i, f in enumerate(frames)}
        for start, end, f, x, y in click_prompts(gt, frames, alpha):
            if max_frames:
                end = min(end, f + max_frames - 1)
                start = max(start, f)
            if method == "grabcut_box":  # the true box grown by BOX_MARGIN px, as a user drags
                bx, by, bw, bh = gt["subject"]["boxes"][f]
                prompt = Prompt(f, [], (bx - BOX_MARGIN, by - BOX_MARGIN, bx + bw + BOX_MARGIN,
                                        by + bh + BOX_MARGIN))
            else:
                prompt = Prompt(f, [(x, y, 1)])
            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.perf_counter()
                session = matte(corpus / gt["video"], [prompt], segmenter=seg,
                                shot=(start, end), folder=tmp)
                t1 = time.perf_counter()
                render(session)
                t2 = time.perf_counter()
                t_prop += t1 - t0
                t_render += t2 - t1
                n_frames += end - start + 1
                if method == "tiny_sam":
                    continue
                prev = None
                for g in range(start, end + 1):
                    ours = read_alpha(session, g)
                    if g not in index or ours is None:
                        prev = None
                        continue
                    truth = alpha[index[g]]
                    if ours.shape != truth.shape:
                        ours = cv2.resize(ours, truth.shape[::-1], interpolation=cv2.INTER_AREA)
                    a, t = ours.astype(np.float32) / 255, truth.astype(np.float32) / 255
                    m_ours, m_truth = ours >= 128, truth >= 128
                    union = np.count_nonzero(m_ours | m_truth)
                    row = {"clip": name, "frame": g, "shot": start,
                           "iou": float(np.count_nonzero(m_ours & m_truth) / union) if union else 1.0,
                           "sad": float(np.abs(a - t).sum() / 1000),
                           "mse": float(((a - t) ** 2).mean())}
                    if prev is not None:
                        p_ours, p_truth = prev
                        box = gt["subject"]["boxes"][g]
                        s = truth.shape[1] / gt["width"]
                        near = np.zeros(truth.shape, bool)
                        x0, y0 = int(box[0] * s) - 16, int(box[1] * s) - 16
                        near[max(0, y0):int((box[1] + box[3]) * s) + 16,
                             max(0, x0):int((box[0] + box[2]) * s) + 16] = True
                        static = near & (p_truth == truth)
                        if static.any():
                            row["flicker"] = float(np.abs(ours.astype(np.int16)
                                                          - p_ours.astype(np.int16))[static].mean())
                    rows.append(row)
                    prev = (ours, truth)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"method": method, "rows": rows, "propagate_s": t_prop, "render_s": t_render,
            "frames": n_frames, "peak_rss_mb": peak, "backend": getattr(seg, "name", method)}


def summarize(result: dict) -> dict:
    rows = result["rows"]
    out = {"method": result["method"], "backend": result["backend"], "frames": result["frames"],
           "propagate_fps": round(result["frames"] / max(1e-9, result["propagate_s"]), 2),
           "render_fps": round(result["frames"] / max(1e-9, result["render_s"]), 2),
           "end_to_end_fps": round(result["frames"] / max(1e-9, result["propagate_s"]
                                                          + result["render_s"]), 2),
           "peak_rss_mb": round(result["peak_rss_mb"], 1)}
    if rows:
        flick = [r["flicker"] for r in rows if "flicker" in r]
        out.update({"scored_frames": len(rows),
                    "mean_iou": round(float(np.mean([r["iou"] for r in rows])), 4),
                    "median_iou": round(float(np.median([r["iou"] for r in rows])), 4),
                    "mean_sad": round(float(np.mean([r["sad"] for r in rows])), 3),
                    "mean_mse": round(float(np.mean([r["mse"] for r in rows])), 5),
                    "flicker": round(float(np.mean(flick)), 3) if flick else None,
                    "per_clip_iou": {c: round(float(np.mean([r["iou"] for r in rows if r["clip"] == c])), 4)
                                     for c in sorted({r["clip"] for r in rows})}})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--methods", default="grabcut,grabcut_box,naive,tiny_sam")
    parser.add_argument("--clips", default="", help="comma-separated clip names (default: all)")
    parser.add_argument("--sam-frames", type=int, default=6,
                        help="frames per shot for the tiny SAM speed path (it is slow on a CPU)")
    parser.add_argument("--sam-clips", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1,
                        help="methods run at once (speed figures are only clean with 1)")
    parser.add_argument("--out", type=Path, default=None, help="write OUT.json and OUT.md")
    parser.add_argument("--worker", nargs=3, metavar=("METHOD", "CLIPS", "MAXFRAMES"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        method, clips, max_frames = args.worker
        json.dump(run_method(method, args.corpus, clips.split(","), int(max_frames) or None),
                  sys.stdout)
        return 0
    corpus = json.loads((args.corpus / "corpus.json").read_text())
    clips = [c["name"] for c in corpus["clips"]]
    if args.clips:
        clips = [c for c in clips if c in args.clips.split(",")]
    summaries, running = [], []
    for method in args.methods.split(","):
        use = clips[:args.sam_clips] if method == "tiny_sam" else clips
        limit = args.sam_frames if method == "tiny_sam" else 0
        running.append((time.perf_counter(), subprocess.Popen(
            [sys.executable, __file__, str(args.corpus), "--worker", method, ",".join(use),
             str(limit)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
        if len(running) >= args.jobs or method == args.methods.split(",")[-1]:
            for started, proc in running:
                out, err = proc.communicate()
                if proc.returncode:
                    print(err, file=sys.stderr)
                    return 1
                summary = summarize(json.loads(out))
                summary["wall_s"] = round(time.perf_counter() - started, 1)
                summaries.append(summary)
                print(json.dumps(summary), flush=True)
            running = []
    report = {"corpus": str(args.corpus), "clips": clips, "floor_mean_iou_fallback": 0.80,
              "jobs": args.jobs, "box_margin_px": BOX_MARGIN, "results": summaries}
    by = {s["method"]: s for s in summaries}
    if "grabcut" in by and "naive" in by and by["naive"].get("mean_iou"):
        report["grabcut_vs_naive_iou_ratio"] = round(by["grabcut"]["mean_iou"]
                                                     / by["naive"]["mean_iou"], 3)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
        args.out.with_suffix(".md").write_text(markdown(report))
    print(markdown(report))
    return 0


def markdown(report: dict) -> str:
    lines = [f"# Matting benchmark on {report['corpus']}", "",
             "One click per shot (ground-truth box centre on the shot's first subject frame); "
             "grabcut_box instead drags the ground-truth box grown by "
             f"{BOX_MARGIN} px, once per shot. Floor for the GrabCut fallback (click): "
             "mean IoU >= 0.80.", "",
             f"Clips: {', '.join(report['clips'])}. Methods run {report.get('jobs', 1)} at a "
             "time" + (" (speed figures not clean)" if report.get("jobs", 1) > 1 else "") + ".",
             "",
             "| method | scored frames | mean IoU | median IoU | SAD/1000 | MSE | flicker | "
             "propagate fps | render fps | end-to-end fps | peak RSS MB |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in report["results"]:
        lines.append(f"| {s['method']} ({s['backend']}) | {s.get('scored_frames', '-')} | "
                     f"{s.get('mean_iou', '-')} | {s.get('median_iou', '-')} | "
                     f"{s.get('mean_sad', '-')} | {s.get('mean_mse', '-')} | "
                     f"{s.get('flicker', '-')} | {s['propagate_fps']} | {s['render_fps']} | "
                     f"{s['end_to_end_fps']} | {s['peak_rss_mb']} |")
    if "grabcut_vs_naive_iou_ratio" in report:
        lines += ["", f"GrabCut (tracked) / naive mean IoU: {report['grabcut_vs_naive_iou_ratio']}x"]
    for s in report["results"]:
        if "per_clip_iou" in s:
            lines += ["", f"{s['method']} per clip IoU: " +
                      ", ".join(f"{k} {v}" for k, v in s["per_clip_iou"].items())]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
