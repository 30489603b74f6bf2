"""Matting speed on a GPU: frames per second end to end, and GPU memory against clip length.

End to end is what a user waits for: decode -> SAM image encoder (batched) -> mask decoder
(propagation from one click) -> soft alpha refine + temporal smoothing -> ProRes 4444
encode, through the same code the CLI runs (``matte`` then ``render``). SAM runs at random
weights (the model's speed does not depend on them; no checkpoint can be downloaded on
these machines). The clip is generated here: a 1920x1080 H.264 clip of a moving figure on
a textured background. Each configuration runs on two clip lengths, to show that GPU
memory does not grow with the length of the shot.

The work after the model does depend on the masks: random weights give a speckle over the
whole frame, whose outline (edge refinement, tracking checks, searches for a subject "lost"
every frame) is hundreds of times a real subject's. With ``--masks figure`` (the default)
SAM still runs in full on every frame, and its answer is then replaced by the figure's own
mask (picked by its colours, ~1 ms a frame): what trained weights give. ``--masks sam``
keeps the speckle (the worst case).

Run on the lent GPU machine (see the README's benchmark section)::

    .venv/bin/python benchmarks/matting_gpu.py --models vit_b vit_h --batches 1 8 \\
        --dtypes bf16 fp32 --compile off on --out benchmarks/results/matting_gpu

Without a GPU, ``--device cpu`` measures the same path on the CPU (use few frames).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FLOOR_FPS = 30.0  # vit_b, end to end


def make_clip(path: Path, frames: int, size: tuple[int, int], fps: int = 30) -> tuple[int, int]:
    """A figure walking across a textured background; returns a point on it at frame 0."""
    w, h = size
    rng = np.random.default_rng(0)
    texture = cv2.resize(rng.integers(40, 180, (h // 16, w // 16, 3), dtype=np.uint8), (w, h),
                         interpolation=cv2.INTER_CUBIC)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "23"}
        for i in range(frames):
            img = texture.copy()
            cx = int(w * (0.3 + 0.4 * i / max(1, frames - 1)))
            cy = h // 2
            cv2.ellipse(img, (cx, cy), (w // 20, h // 5), 0, 0, 360, (230, 60, 150), -1)
            cv2.circle(img, (cx, cy - h // 4), h // 14, (240, 200, 60), -1)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return int(w * 0.3), h // 2


def build_sam(name: str, device: str):
    """A SAM at random weights, made on ``device`` (initialising vit_h on the CPU is slow)."""
    import torch
    from segment_anything import sam_model_registry
    from segment_anything.build_sam import _build_sam

    torch.manual_seed(0)
    with torch.device(device):
        if name == "tiny":
            return _build_sam(encoder_embed_dim=64, encoder_depth=2, encoder_num_heads=2,
                              encoder_global_attn_indexes=[1], checkpoint=None)
        return sam_model_registry[name](checkpoint=None)


FIGURE_COLOURS = ((230, 60, 150), (240, 200, 60))  # make_clip's body and head (RGB)


def figure_mask(image: np.ndarray) -> np.ndarray:
    """The figure of :func:`make_clip` in ``image`` (RGB), by its colours (the background's
    channels stay below 180, far from the figure's reds)."""
    mask = np.zeros(image.shape[:2], np.uint8)
    for colour in FIGURE_COLOURS:
        low = tuple(max(0, c - 20) for c in colour)
        high = tuple(min(255, c + 20) for c in colour)
        mask |= cv2.inRange(image, low, high)
    return mask > 0


def figure_segmenter(base):
    """``base`` (a SamSegmenter class) run in full, answering with the figure's mask."""
    from editor.analysis.matting.types import Segment

    class FigureSam(base):
        def from_prompt(self, feature, image, prompt, neighbours=()):
            seg = super().from_prompt(feature, image, prompt, neighbours)
            return Segment(figure_mask(image), seg.score, seg.logits)

        def track(self, feature, image, prior, evidence=None):
            seg = super().track(feature, image, prior, evidence)
            return Segment(figure_mask(image), seg.score, seg.logits)

    return FigureSam


def run_config(clip: Path, size: tuple[int, int], point: tuple[int, int], frames: int, model,
               device: str, batch: int, dtype: str, compile: bool, masks: str = "figure") -> dict:
    """End to end as the CLI runs it (the export following the propagation), then each
    half alone, to show where the time goes."""
    import torch

    from editor.analysis.matting import Prompt, make_writer, matte, matte_and_render, render
    from editor.analysis.matting.sam import SamSegmenter

    kind = figure_segmenter(SamSegmenter) if masks == "figure" else SamSegmenter
    seg = kind(model, device=device, batch_size=batch, bf16=dtype == "bf16", compile=compile)
    cuda = device == "cuda"

    def now() -> float:
        if cuda:
            torch.cuda.synchronize()
        return time.perf_counter()

    prompt = Prompt(0, [(point[0], point[1], 1)])
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)

        def writer(name: str):
            return make_writer("prores", tmp / name, Fraction(30), size)

        t0 = now()
        matte_and_render(clip, [prompt], [writer("streamed.mov")], segmenter=seg,
                         shot=(0, frames - 1), folder=tmp / "streamed")
        t1 = now()
        session = matte(clip, [prompt], segmenter=seg, shot=(0, frames - 1), folder=tmp / "apart")
        t2 = now()
        render(session, [writer("apart.mov")])
        t3 = now()
    peak = torch.cuda.max_memory_allocated() / 2**20 if cuda else None
    return {"frames": frames, "seconds": round(t1 - t0, 2), "fps": round(frames / (t1 - t0), 2),
            "propagate_fps": round(frames / (t2 - t1), 2),
            "render_fps": round(frames / (t3 - t2), 2),
            "gpu_peak_mb": round(peak, 1) if peak is not None else None,
            "backend": seg.name}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=["vit_b", "vit_h"],
                        help="vit_b, vit_l, vit_h, or tiny (a small SAM, to check the script)")
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 8])
    parser.add_argument("--dtypes", nargs="+", choices=("bf16", "fp32"), default=["bf16", "fp32"])
    parser.add_argument("--frames", nargs="+", type=int, default=[120, 360],
                        help="clip lengths (two show whether memory grows with length)")
    parser.add_argument("--device", default=None, help="cuda (default when present) or cpu")
    parser.add_argument("--compile", nargs="+", choices=("off", "on"), default=["off"],
                        help="torch.compile the encoder: off, on or both")
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--masks", nargs="+", choices=("figure", "sam"), default=["figure"],
                        help="figure: SAM runs in full, its masks replaced by the figure's "
                        "(as trained weights give); sam: random weights' own speckle")
    parser.add_argument("--out", default=None, help="write OUT.json and OUT.md")
    args = parser.parse_args()

    import torch

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    size = tuple(int(v) for v in args.size.split("x"))
    report = {"device": device, "gpu": torch.cuda.get_device_name(0) if device == "cuda" else None,
              "machine": f"{platform.machine()}, {os.cpu_count()} CPU threads, "
              f"CPython {platform.python_version()}, torch {torch.__version__}",
              "size": args.size, "floor_fps_vit_b": FLOOR_FPS, "rows": []}
    with tempfile.TemporaryDirectory() as tmp:
        clips = {}
        for n in sorted(set(args.frames)):
            clips[n] = (Path(tmp) / f"clip{n}.mp4",)
            clips[n] += (make_clip(clips[n][0], n, size),)
        for name in args.models:
            for compiled in args.compile:
                model = build_sam(name, device)  # a fresh one: compiling changes the model
                for dtype, batch, masks, n in itertools.product(args.dtypes, args.batches,
                                                                args.masks, sorted(clips)):
                    path, point = clips[n]
                    try:
                        row = run_config(path, size, point, n, model, device, batch, dtype,
                                         compiled == "on", masks)
                    except Exception as exc:  # e.g. out of memory: record it, go on
                        row = {"frames": n, "error": f"{type(exc).__name__}: {exc}"}
                    row.update(model=name, dtype=dtype, batch=batch, device=device,
                               compile=compiled, masks=masks)
                    report["rows"].append(row)
                    print(json.dumps(row), flush=True)
                    if args.out:  # after every row: a run stopped early keeps its rows
                        write_report(report, Path(args.out))
                del model
                if device == "cuda":
                    torch.cuda.empty_cache()
    print(markdown(report))
    return 0


def write_report(report: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    out.with_suffix(".md").write_text(markdown(report))


def markdown(report: dict) -> str:
    lines = [f"# Matting speed, end to end ({report['size']}, {report['gpu'] or report['device']})",
             "", f"Machine: {report['machine']}. "
             f"Floor: >= {FLOOR_FPS:g} frames/s end to end with vit_b on the GPU. End to end = "
             "what `cutwise matte -o OUT.mov --format prores` does: propagation (decode, SAM "
             "encoder and decoder) with the export (decode, refine, ProRes 4444 encode) "
             "following it frame by frame; then each half alone.", "",
             "Masks: figure = SAM run in full, its masks replaced by the figure's (as trained "
             "weights give); sam = the random weights' own speckle.", "",
             "| model | dtype | batch | compile | masks | frames | end-to-end fps "
             "| propagate alone fps | export alone fps | GPU peak MB |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in report["rows"]:
        head = f"| {r['model']} | {r['dtype']} | {r['batch']} | {r.get('compile', 'off')} | " \
               f"{r.get('masks', 'sam')} | {r['frames']} | "
        if "error" in r:
            lines.append(head + f"{r['error'][:60]} | | | |")
            continue
        lines.append(head + f"{r['fps']} | {r['propagate_fps']} | {r.get('render_fps', '-')} | "
                     f"{r['gpu_peak_mb'] or '-'} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
