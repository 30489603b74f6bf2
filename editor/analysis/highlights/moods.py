"""Moods: documented weightings of the signals, user weights and saved presets.

A segment's score is the weighted mean of its normalised signals' departures from the
video's typical level (0.5), mapped back to 0..1:
``score = 0.5 + sum(w * (s - 0.5)) / sum(|w|)`` over the signals that were measured. A
negative weight asks for *less* of a signal. No built-in mood gives loudness more than
22 % of its total weight, or any other signal more than 28 % (but speech in ``story``,
36 %: a story is told): a constant music bed or a loud crowd over a static shot cannot
decide a mood on its own.

* ``energetic``: action. Fast motion, quick cutting, dense onsets and a pulse; louder and
  more colourful helps. Picks the most intense moments wherever they are.
* ``calm``: the opposite. Still camera, long takes, sparse and soft sound, no speech;
  slightly favours bright, colourful pictures (a calm scene, not a black screen).
* ``story``: a summary of the whole arc: the source is split into equal chapters and each
  gives one segment, in order. Within a chapter it favours speech (cut at pauses, so
  sentences stay whole), faces in view (the people the story is about, close-ups more),
  people-scale motion and well-lit, colourful pictures.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from editor.core.errors import CutwiseError
from editor.core.files import atomic_write_bytes

from editor.analysis.highlights.signals import SIGNALS

MOODS: dict[str, dict[str, float]] = {
    "energetic": {"motion": 1.0, "cuts": 1.0, "onsets": 0.8, "loudness": 0.6, "beat": 0.4,
                  "colour": 0.3, "brightness": 0.2, "speech": 0.0, "faces": 0.0},
    "calm": {"motion": -1.0, "loudness": -0.8, "onsets": -0.6, "cuts": -0.5, "beat": -0.2,
             "speech": -0.2, "brightness": 0.2, "colour": 0.1, "faces": 0.0},
    "story": {"speech": 1.0, "faces": 0.5, "motion": 0.3, "loudness": 0.2, "brightness": 0.4,
              "colour": 0.3, "onsets": 0.1, "cuts": 0.0, "beat": 0.0},
}
MOOD_HELP = {
    "energetic": "the most intense moments: fast motion, quick cuts, dense beats",
    "calm": "still, quiet moments: little motion, long takes, soft sound",
    "story": "the whole arc in order: one segment per equal chapter, cut at pauses",
}


class PresetError(CutwiseError):
    """A preset that cannot be read, found or saved."""


def weights_for(mood: str, overrides: dict[str, float] | None = None) -> dict[str, float]:
    """The mood's weights with the user's ``overrides`` on top (unknown names refused)."""
    if mood not in MOODS:
        raise CutwiseError(f"Unknown mood '{mood}' (use one of {', '.join(MOODS)}).")
    weights = dict(MOODS[mood])
    for name, value in (overrides or {}).items():
        if name not in SIGNALS:
            raise CutwiseError(f"Unknown signal '{name}' in the weights (use "
                               f"{', '.join(SIGNALS)}).")
        weights[name] = float(value)
    return weights


def parse_weights(text: str) -> dict[str, float]:
    """``"motion=1.5,loudness=0"`` -> ``{"motion": 1.5, "loudness": 0.0}``."""
    out = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        try:
            if not sep:
                raise ValueError
            out[name.strip()] = float(value)
        except ValueError:
            raise CutwiseError(f"Bad weight '{part}': write name=number, e.g. motion=1.5") \
                from None
    weights_for("energetic", out)  # validates the names
    return out


def presets_path() -> Path:
    """``highlight-presets.json`` in the user data dir (``$CUTWISE_DATA_DIR`` when set)."""
    env = os.environ.get("CUTWISE_DATA_DIR")
    if env:
        return Path(env) / "highlight-presets.json"
    import platformdirs

    return Path(platformdirs.user_data_dir("cutwise", appauthor=False)) / \
        "highlight-presets.json"


def load_presets(path: Path | None = None) -> dict[str, dict]:
    """Saved presets: ``{name: {"mood": ..., "weights": {...}}}`` (empty when none)."""
    path = path or presets_path()
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise PresetError(f"Could not read the presets in {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise PresetError(f"{path} does not hold presets (expected an object).")
    return {str(k): v for k, v in data.items() if isinstance(v, dict)
            and v.get("mood") in MOODS and isinstance(v.get("weights", {}), dict)}


def save_preset(name: str, mood: str, weights: dict[str, float],
                path: Path | None = None) -> Path:
    """Add or replace preset ``name`` (atomic write)."""
    if not name.strip():
        raise PresetError("A preset needs a name.")
    path = path or presets_path()
    presets = load_presets(path)
    presets[name.strip()] = {"mood": mood, "weights": weights_for(mood, weights)}
    atomic_write_bytes(path, (json.dumps(presets, indent=2, sort_keys=True) + "\n")
                       .encode("utf-8"))
    return path


def preset(name: str, path: Path | None = None) -> tuple[str, dict[str, float]]:
    """(mood, weights) of a saved preset."""
    presets = load_presets(path)
    if name not in presets:
        known = ", ".join(sorted(presets)) or "none saved yet"
        raise PresetError(f"No highlight preset named '{name}' ({known}).")
    entry = presets[name]
    return entry["mood"], weights_for(entry["mood"], entry.get("weights", {}))
