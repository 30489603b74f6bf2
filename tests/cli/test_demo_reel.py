"""resources/make_demo_reel.py: a deterministic plan shaped as documented, and the
highlights CLI on a short, small reel from it finds the energetic stretches and keeps
words whole (the committed 4.5-minute reel is never decoded here)."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from editor.cli import main

GENERATOR = Path(__file__).resolve().parents[2] / "resources" / "make_demo_reel.py"


@pytest.fixture(scope="module")
def reel():
    spec = importlib.util.spec_from_file_location("make_demo_reel", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def section_at(plan, frame):
    return next(s for s in plan.sections if s.start <= frame < s.end)


def test_plan_is_deterministic_and_shaped(reel):
    plan = reel.make_plan()
    assert plan == reel.make_plan() and plan != reel.make_plan(seed=1)
    assert 240 <= plan.frames / reel.FPS <= 300
    assert plan.sections[0].start == 0 and plan.sections[-1].end == plan.frames
    assert all(a.end == b.start for a, b in zip(plan.sections, plan.sections[1:]))
    assert plan.shots[0].start == 0 and plan.shots[-1].end == plan.frames
    assert all(a.end == b.start for a, b in zip(plan.shots, plan.shots[1:]))
    moods = {s.mood for s in plan.sections}
    assert moods == {"calm", "speech", "energetic"}
    lengths = {m: [s.end - s.start for s in plan.shots if section_at(plan, s.start).mood == m]
               for m in moods}
    assert max(lengths["energetic"]) <= 6 * reel.BEAT < min(lengths["calm"])
    assert sum(s.dissolve > 0 for s in plan.shots) >= 3
    # speech has real pauses between phrases, and the cuts inside it sit in them
    speech_cuts = [s.start / reel.FPS for s in plan.shots
                   if section_at(plan, s.start).mood == "speech"
                   and s.start != section_at(plan, s.start).start]
    assert speech_cuts
    for syl in plan.syllables:
        assert not any(syl.start - 0.2 < c < syl.start + syl.length + 0.2 for c in speech_cuts)
    gaps = [b.start - a.start - a.length for a, b in zip(plan.syllables, plan.syllables[1:])]
    assert sum(g >= 0.6 for g in gaps) >= 10


def test_highlights_cli_on_a_short_reel(reel, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CUTWISE_CACHE_DIR", str(tmp_path / "cache"))
    plan = reel.make_plan(scale=0.2)
    path = reel.write_reel(tmp_path / "short.mp4", plan, 2026, size=(192, 108))

    def edit(seconds, mood):
        assert main(["highlights", str(path), "--duration", str(seconds), "--mood", mood,
                     "--json", "-q"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["frames"] == round(seconds * reel.FPS)
        return [(round(s["start_s"] * reel.FPS), round(s["end_s"] * reel.FPS))
                for s in data["segments"]]

    energetic = edit(8, "energetic")
    inside = sum(max(0, min(b, s.end) - max(a, s.start)) for a, b in energetic
                 for s in plan.sections if s.mood == "energetic")
    assert inside >= 0.8 * 8 * reel.FPS
    story = edit(20, "story")
    assert story == sorted(story)
    thirds = {min(2, 3 * a // plan.frames) for a, _ in story}
    assert thirds == {0, 1, 2}  # the whole arc
    for a, b in story:  # no cut in the middle of a syllable
        for syl in plan.syllables:
            lo, hi = syl.start * reel.FPS + 1, (syl.start + syl.length) * reel.FPS - 1
            assert not (lo < a < hi or lo < b < hi), (a, b, syl)
