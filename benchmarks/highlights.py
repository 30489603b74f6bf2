"""Highlights benchmark: Cutwise's moods vs a random and a loudness-only baseline.

    python benchmarks/highlights.py /tmp/corpus-small /tmp/corpus-full [--work DIR]

For each corpus (``corpus.json`` with energetic ``highlights`` spans and one ``boring``
span per clip, in seconds), and for an **equal-loudness variant** of it made here (the
clip's audio levelled to a constant short-term loudness, then mixed with a constant
synthetic music bed at the same level, video stream copied), in the same run:

* ``energetic`` at a duration equal to the clip's total energetic time: recall of the
  energetic time (chosen time inside energetic spans / their total) and the share of the
  chosen time inside the boring span. Floors: recall >= 0.7, boring <= 10 %.
* ``calm`` at the boring span's length: the reverse (recall of the boring time, share in
  energetic spans).
* baselines with the same durations: random segments (the lengths of ours, placed at
  random without overlap, mean of 50 draws) and loudness-only (our selection with every
  weight 0 but loudness).
* the variant's loudness gap (mean short-term LUFS inside energetic spans minus outside)
  next to the original's, to show the variant's energetic spans really are not louder.
* joins: the share of segment ends (source edges excluded) on a shot boundary or an
  audio pause as chosen, and within one frame of a ground-truth cut or transition edge.
* duration accuracy: 15 s, 30 s, 60 s, 3 min and 5 min edits of a 5.75-minute clip made by
  re-encoding the small corpus three times in a row, and a 15 s edit of the 29.97 fps
  ``testvideo.mp4`` (no audio): |frames - round(target * fps)| must be 0.
* speed: the analysis with the shot features already cached (the floor: >= 4x real time on
  1080p) and cold (shot features too), as x real time; re-selection after a slider change
  on the longest clip and on a one-hour signal set (the full corpus' signals tiled).

Results: ``benchmarks/results/highlights.json`` and ``highlights.md``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from editor.analysis.highlights import analyse, select  # noqa: E402
from editor.analysis.highlights.signals import Signals  # noqa: E402
from editor.analysis.shots import detect_shots  # noqa: E402
from editor.core.cache import AnalysisCache  # noqa: E402
from editor.media.audio import iter_audio  # noqa: E402

RATE = 48000
LOUDNESS_ONLY = {n: 0.0 for n in ("motion", "cuts", "onsets", "beat", "speech", "brightness",
                                  "colour")}


# --- the equal-loudness variant --------------------------------------------------------

def music_bed(n: int, rate: int = RATE, bpm: float = 100.0) -> np.ndarray:
    """A steady loop: kick on every beat, hi-hat on eighths, a sustained chord."""
    t = np.arange(n) / rate
    beat = 60.0 / bpm
    phase = np.mod(t, beat)
    kick = np.sin(2 * np.pi * 55 * phase) * np.exp(-phase * 18)
    half = np.mod(t, beat / 2)
    rng = np.random.default_rng(7)
    hat = rng.normal(0, 1, n) * np.exp(-half * 60) * 0.3
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6)) / 3 * 0.4
    return (kick + hat + chord).astype(np.float32)


def level(x: np.ndarray, rate: int = RATE) -> np.ndarray:
    """Constant short-term level: divide by the RMS over 400 ms (gain at most +40 dB)."""
    hop = rate // 10
    n = len(x) // hop
    power = np.mean(x[:n * hop].reshape(n, hop) ** 2, axis=1)
    smooth = np.convolve(power, np.ones(4) / 4, mode="same")
    rms = np.sqrt(np.maximum(smooth, 1e-8))
    gain = 0.1 / np.maximum(rms, 0.001)
    centres = (np.arange(n) + 0.5) * hop
    return x * np.interp(np.arange(len(x)), centres, gain).astype(np.float32)


def make_variant(src: Path, dst: Path) -> Path:
    """Copy ``src``'s video; replace its audio by the levelled audio plus a music bed."""
    if dst.exists():
        return dst
    x = np.concatenate([b.samples for b in iter_audio(src, sample_rate=RATE, mono=True)])
    mix = 0.5 * level(x) + 0.5 * music_bed(len(x)) * (0.1 / np.sqrt(np.mean(music_bed(
        RATE * 4) ** 2)))
    mix = (mix * (0.5 / max(1e-6, np.abs(mix).max()))).astype(np.float32)
    tmp = dst.with_suffix(".tmp.mp4")
    with av.open(str(src)) as inp, av.open(str(tmp), "w") as out:
        vin = inp.streams.video[0]
        vout = out.add_stream_from_template(vin)
        aout = out.add_stream("aac", rate=RATE)
        aout.layout = "mono"
        for packet in inp.demux(vin):
            if packet.dts is None:
                continue
            packet.stream = vout
            out.mux(packet)
        for start in range(0, len(mix), 1024):
            frame = av.AudioFrame.from_ndarray(mix[None, start:start + 1024], format="flt",
                                               layout="mono")
            frame.sample_rate, frame.pts = RATE, start
            out.mux(aout.encode(frame))
        out.mux(aout.encode(None))
    tmp.replace(dst)
    return dst


def make_long(clips: list[Path], dst: Path, repeats: int = 3) -> Path:
    """The clips one after the other, ``repeats`` times, re-encoded (640x360, 25 fps)."""
    if dst.exists():
        return dst
    tmp = dst.with_suffix(".tmp.mp4")
    with av.open(str(tmp), "w") as out:
        vout = out.add_stream("libx264", rate=25)
        vout.width, vout.height, vout.pix_fmt = 640, 360, "yuv420p"
        vout.options = {"preset": "ultrafast", "crf": "23"}
        aout = out.add_stream("aac", rate=RATE)
        aout.layout = "mono"
        vpts = apts = 0
        for _ in range(repeats):
            for clip in clips:
                with av.open(str(clip)) as inp:
                    for frame in inp.decode(video=0):
                        image = frame.to_ndarray(format="rgb24")
                        new = av.VideoFrame.from_ndarray(image, format="rgb24")
                        new.pts = vpts
                        vpts += 1
                        out.mux(vout.encode(new))
                audio = np.concatenate([b.samples for b in iter_audio(clip, sample_rate=RATE)])
                audio = np.pad(audio, (0, max(0, round(vpts * RATE / 25) - apts - len(audio))))
                audio = audio[:round(vpts * RATE / 25) - apts]
                for start in range(0, len(audio), 1024):
                    frame = av.AudioFrame.from_ndarray(audio[None, start:start + 1024],
                                                       format="flt", layout="mono")
                    frame.sample_rate, frame.pts = RATE, apts + start
                    out.mux(aout.encode(frame))
                apts += len(audio)
        out.mux(vout.encode(None))
        out.mux(aout.encode(None))
    tmp.replace(dst)
    return dst


# --- scoring ---------------------------------------------------------------------------

def overlap(segments: list[tuple[float, float]], spans: list[dict]) -> float:
    return sum(max(0.0, min(b, s["end_s"]) - max(a, s["start_s"]))
               for a, b in segments for s in spans)


def random_segments(lengths: list[float], total: float, rng) -> list[tuple[float, float]]:
    """Segments of ``lengths`` at random places without overlap (rejection sampling)."""
    for _ in range(200):
        starts = np.sort(rng.uniform(0, total - max(lengths), len(lengths)))
        order = rng.permutation(len(lengths))
        segs = [(s, s + lengths[i]) for s, i in zip(starts, order)]
        if all(b[0] >= a[1] for a, b in zip(segs, segs[1:])):
            return segs
    return [(s, s + length) for s, length in zip(np.linspace(0, total, len(lengths) + 1), lengths)]


def truth_edges(truth: dict) -> set[int]:
    edges = set(truth["cuts"])
    for t in truth["transitions"]:
        edges |= {t["start"], t["end"] + 1}
    return edges


def evaluate_clip(path: Path, truth: dict, cache: AnalysisCache) -> dict:
    t0 = time.perf_counter()
    detect_shots(path, cache=cache)
    t_shots = time.perf_counter() - t0
    t0 = time.perf_counter()
    signals = analyse(path, cache=cache)
    t_ours = time.perf_counter() - t0
    length = signals.duration_s
    hl, boring = truth["highlights"], truth["boring"]
    hl_total = sum(s["end_s"] - s["start_s"] for s in hl)
    boring_total = sum(s["end_s"] - s["start_s"] for s in boring)
    rng = np.random.default_rng(0)
    out = {"clip": path.name, "seconds": round(length, 3), "width": truth["width"],
           "height": truth["height"], "t_shots_s": t_shots, "t_analysis_s": t_ours,
           "energetic_s": hl_total, "boring_s": boring_total}

    def measure(edit, wanted, unwanted, wanted_total):
        segs = [(s.start_s, s.end_s) for s in edit.segments]
        chosen = sum(b - a for a, b in segs)
        return overlap(segs, wanted) / wanted_total, overlap(segs, unwanted) / chosen, edit

    for mood, target, wanted, unwanted, total in (("energetic", hl_total, hl, boring, hl_total),
                                                  ("calm", boring_total, boring, hl,
                                                   boring_total)):
        t0 = time.perf_counter()
        recall, wrong, edit = measure(select(signals, target, mood), wanted, unwanted, total)
        t_select = time.perf_counter() - t0
        lo_weights = dict(LOUDNESS_ONLY, loudness=1.0 if mood == "energetic" else -1.0)
        lo_recall, lo_wrong, _ = measure(select(signals, target, mood, lo_weights), wanted,
                                         unwanted, total)
        lengths = [s.end_s - s.start_s for s in edit.segments]
        draws = [random_segments(lengths, length, rng) for _ in range(50)]
        rnd_recall = np.mean([overlap(d, wanted) / total for d in draws])
        rnd_wrong = np.mean([overlap(d, unwanted) / sum(lengths) for d in draws])
        edges = truth_edges(truth)
        ends = [(s.start, s.start_at) for s in edit.segments] + \
               [(s.end, s.end_at) for s in edit.segments]
        inner = [(f, kind) for f, kind in ends if kind != "edge"]
        out[mood] = {
            "recall": recall, "wrong_share": wrong,
            "loudness_only": {"recall": lo_recall, "wrong_share": lo_wrong},
            "random": {"recall": float(rnd_recall), "wrong_share": float(rnd_wrong)},
            "frames_off": abs(edit.frames - round(target * edit.fps)),
            "joins": len(inner),
            "joins_snapped": sum(kind in ("shot", "pause") for _, kind in inner),
            "joins_on_true_cut": sum(any(abs(f - e) <= 1 for e in edges) for f, _ in inner),
            "select_ms": t_select * 1000,
            "segments": [s.to_dict() for s in edit.segments],
        }
    grid = signals.times
    inside = np.zeros(len(grid), bool)
    for s in hl:
        inside |= (grid >= s["start_s"]) & (grid < s["end_s"])
    loud = signals.raw["loudness"]
    out["loudness_gap_lu"] = float(np.nanmean(loud[inside]) - np.nanmean(loud[~inside])) \
        if np.isfinite(loud).any() else None
    out["_signals"] = signals
    return out


def tile(signals: Signals, seconds: float) -> Signals:
    """A long signal set: ``signals`` repeated until ``seconds`` (for selection speed)."""
    reps = int(np.ceil(seconds / signals.duration_s))
    frames = signals.frame_count
    span = frames / signals.fps
    return Signals(
        path="tiled", frame_rate=signals.frame_rate, frame_count=frames * reps,
        duration_s=signals.duration_s * reps,
        raw={k: np.tile(v, reps) for k, v in signals.raw.items()},
        norm={k: np.tile(v, reps) for k, v in signals.norm.items()},
        boundaries=np.concatenate([signals.boundaries + r * frames for r in range(reps)]),
        transitions=[(a + r * frames, b + r * frames) for r in range(reps)
                     for a, b in signals.transitions],
        quiet=np.concatenate([signals.quiet + r * span for r in range(reps)]),
        tempo=np.tile(signals.tempo, reps),
        frame_times=np.concatenate([signals.frame_times[:frames] + r * span
                                    for r in range(reps)]))


def summarise(rows: list[dict]) -> dict:
    out = {"clips": len(rows), "seconds": sum(r["seconds"] for r in rows)}
    for mood in ("energetic", "calm"):
        total = {"ours": [0.0, 0.0, 0.0], "loudness_only": [0.0, 0.0, 0.0],
                 "random": [0.0, 0.0, 0.0]}
        wanted_key = "energetic_s" if mood == "energetic" else "boring_s"
        for r in rows:
            m = r[mood]
            chosen = r[wanted_key]  # durations equal the wanted total
            for name, rec, wrong in (("ours", m["recall"], m["wrong_share"]),
                                     ("loudness_only", m["loudness_only"]["recall"],
                                      m["loudness_only"]["wrong_share"]),
                                     ("random", m["random"]["recall"],
                                      m["random"]["wrong_share"])):
                total[name][0] += rec * r[wanted_key]
                total[name][1] += wrong * chosen
                total[name][2] += r[wanted_key]
        out[mood] = {name: {"recall": v[0] / v[2], "wrong_share": v[1] / v[2]}
                     for name, v in total.items()}
        out[mood]["frames_off_max"] = max(r[mood]["frames_off"] for r in rows)
        joins = sum(r[mood]["joins"] for r in rows)
        out[mood]["joins"] = joins
        out[mood]["joins_snapped"] = sum(r[mood]["joins_snapped"] for r in rows) / max(1, joins)
        out[mood]["joins_on_true_cut"] = sum(r[mood]["joins_on_true_cut"] for r in rows) / \
            max(1, joins)
    gaps = [r["loudness_gap_lu"] for r in rows if r["loudness_gap_lu"] is not None]
    out["loudness_gap_lu_mean"] = float(np.mean(gaps)) if gaps else None
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpora", nargs="+")
    parser.add_argument("--work", default=None, help="where variants and caches go")
    args = parser.parse_args(argv)
    work = Path(args.work or tempfile.mkdtemp(prefix="cutwise-hl-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    cache = AnalysisCache(work / "cache")
    cache.clear()
    results = {"machine": {"python": platform.python_version(), "cpu": platform.processor()
                           or platform.machine()}, "corpora": {}}
    all_signals = []
    small_clips = []
    for corpus in map(Path, args.corpora):
        meta = json.loads((corpus / "corpus.json").read_text())
        for variant in ("original", "equal-loudness"):
            rows = []
            for clip in meta["clips"]:
                truth = json.loads((corpus / clip["ground_truth"]).read_text())
                path = corpus / clip["video"]
                if meta.get("scale") == "small" and variant == "original":
                    small_clips.append(path)
                if variant == "equal-loudness":
                    path = make_variant(path, work / f"{path.stem}.equal-loudness.mp4")
                row = evaluate_clip(path, truth, cache)
                if variant == "original":
                    all_signals.append(row["_signals"])
                del row["_signals"]
                rows.append(row)
                print(f"{corpus.name} {variant} {path.name}: energetic recall "
                      f"{row['energetic']['recall']:.2f} boring {row['energetic']['wrong_share']:.2f}"
                      f" | loudness-only {row['energetic']['loudness_only']['recall']:.2f} | "
                      f"random {row['energetic']['random']['recall']:.2f} | "
                      f"{row['seconds'] / row['t_analysis_s']:.1f}x rt", flush=True)
            key = f"{corpus.name}/{variant}"
            results["corpora"][key] = {"summary": summarise(rows), "clips": rows}
            hd = [r for r in rows if r["height"] >= 1080]
            if hd:
                results["corpora"][key]["summary"]["speed_1080p"] = {
                    "cached_shots_x_realtime": sum(r["seconds"] for r in hd) /
                    sum(r["t_analysis_s"] for r in hd),
                    "cold_x_realtime": sum(r["seconds"] for r in hd) /
                    sum(r["t_analysis_s"] + r["t_shots_s"] for r in hd)}
            results["corpora"][key]["summary"]["speed_all"] = {
                "cached_shots_x_realtime": sum(r["seconds"] for r in rows) /
                sum(r["t_analysis_s"] for r in rows)}

    # duration accuracy
    durations = []
    long_clip = make_long(sorted(small_clips), work / "long.mp4") if small_clips else None
    sources = ([long_clip] if long_clip else []) + \
        [p for p in [ROOT.parent / "shared/real-clips/testvideo.mp4"] if p.exists()]
    for source in sources:
        signals = analyse(source, cache=cache)
        for target in (15, 30, 60, 180, 300):
            if target >= signals.duration_s:
                continue
            for mood in ("energetic", "calm", "story"):
                edit = select(signals, target, mood)
                inner = [k for s in edit.segments for k in (s.start_at, s.end_at)
                         if k != "edge"]
                durations.append({"source": source.name, "fps": str(signals.frame_rate),
                                  "target_s": target, "mood": mood,
                                  "frames": edit.frames,
                                  "frames_off": edit.frames - round(target * signals.fps),
                                  "duration_s": edit.duration_s, "segments": len(edit.segments),
                                  "joins_snapped": sum(k in ("shot", "pause") for k in inner)
                                  / max(1, len(inner))})
    results["durations"] = durations

    # re-selection speed
    longest = max(all_signals, key=lambda s: s.duration_s)
    hour = tile(longest, 3600.0)
    speed = {}
    for name, signals in (("longest clip", longest), ("one hour (tiled)", hour)):
        for mood, target in (("energetic", 30), ("calm", 60), ("story", 180)):
            if target >= signals.duration_s:
                target = signals.duration_s / 4
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                select(signals, target, mood)
                times.append((time.perf_counter() - t0) * 1000)
            speed[f"{name}: {mood} {target:.0f} s"] = {"median_ms": statistics.median(times),
                                                       "max_ms": max(times)}
    results["reselect"] = speed
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "highlights.json").write_text(json.dumps(results, indent=1, default=float))
    (out_dir / "highlights.md").write_text(report(results))
    print(report(results))
    return 0


def report(results: dict) -> str:
    lines = ["# Highlights benchmark", "",
             "Energetic: duration = the clip's energetic time; recall of energetic time and "
             "share of the chosen time in the boring span (floors 0.7 / 0.10). Calm: the "
             "reverse. Micro averages over the clips.", "",
             "| corpus | variant | loudness gap (LU) | mood | ours recall | ours wrong | "
             "loudness-only recall | loudness-only wrong | random recall | random wrong | "
             "joins snapped | joins on a true cut | max frames off |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for key, data in results["corpora"].items():
        s = data["summary"]
        corpus, variant = key.split("/")
        for mood in ("energetic", "calm"):
            m = s[mood]
            lines.append(
                f"| {corpus} | {variant} | {s['loudness_gap_lu_mean']:+.1f} | {mood} | "
                f"**{m['ours']['recall']:.3f}** | **{m['ours']['wrong_share']:.3f}** | "
                f"{m['loudness_only']['recall']:.3f} | {m['loudness_only']['wrong_share']:.3f} | "
                f"{m['random']['recall']:.3f} | {m['random']['wrong_share']:.3f} | "
                f"{m['joins_snapped']:.2f} | {m['joins_on_true_cut']:.2f} | "
                f"{m['frames_off_max']} |")
    lines += ["", "## Speed", "", "| corpus | 1080p, shot features cached | 1080p cold "
              "(shots + ours) | all clips, shot features cached |", "|---|---|---|---|"]
    for key, data in results["corpora"].items():
        s = data["summary"]
        hd = s.get("speed_1080p")
        lines.append(f"| {key} | {hd['cached_shots_x_realtime']:.1f}x |"
                     f" {hd['cold_x_realtime']:.1f}x |" if hd else f"| {key} | - | - |")
        lines[-1] += f" {s['speed_all']['cached_shots_x_realtime']:.1f}x |"
    lines += ["", "| re-selection | median ms | max ms |", "|---|---|---|"]
    for name, v in results["reselect"].items():
        lines.append(f"| {name} | {v['median_ms']:.1f} | {v['max_ms']:.1f} |")
    lines += ["", "## Duration accuracy", "", "| source | fps | target s | mood | frames | "
              "frames off | segments | joins snapped |", "|---|---|---|---|---|---|---|---|"]
    for d in results["durations"]:
        lines.append(f"| {d['source']} | {d['fps']} | {d['target_s']} | {d['mood']} | "
                     f"{d['frames']} | {d['frames_off']} | {d['segments']} | "
                     f"{d['joins_snapped']:.2f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
