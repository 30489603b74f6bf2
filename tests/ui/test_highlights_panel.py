"""The highlights panel: run, live re-selection from the sliders, the score plot,
"Create sequence" as one undo step, rendering the edit, presets."""

from __future__ import annotations

import pytest

from tests.analysis.test_highlights_media import ENERGETIC, make_clip


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("hlui") / "clip.mp4")


def test_panel_run_plot_sequence_and_undo(make_window, qtbot, clip, tmp_path):
    window = make_window(str(clip))
    panel = window.panels["highlights"]
    document = window.document
    qtbot.waitUntil(lambda: bool(document.project.assets), timeout=30_000)  # imported in a job
    asset = document.project.assets[0]
    panel.select_asset(asset.id)
    panel.fields["duration"].setValue(3.0)
    panel.run()
    qtbot.waitUntil(lambda: panel.job is None, timeout=60_000)
    lane = document.project.suggestions_in("highlights", asset.id)
    assert lane and all(s.kind == "highlight" and s.data["reasons"] for s in lane)
    assert all(ENERGETIC[0] * 25 <= s.start and s.end < ENERGETIC[1] * 25 for s in lane)
    assert panel.plot.score is not None and panel.plot.segments
    assert panel.results.count() == len(lane)

    # sliders re-select at once, without a job
    panel.sliders["motion"].setValue(-100)
    for name in ("cuts", "onsets", "loudness", "beat"):
        panel.sliders[name].setValue(-50)
    assert panel.job is None
    assert all(b <= ENERGETIC[0] or a >= ENERGETIC[1] for a, b in panel.plot.segments)
    panel.fields["mood"].setCurrentText("calm")  # a mood brings its own weights
    assert panel.weights()["motion"] == -1.0
    panel.fields["mood"].setCurrentText("energetic")
    assert panel.weights()["motion"] == 1.0

    timelines = len(document.project.timelines)
    undo_steps = document.undo_stack.count()
    panel.create_sequence()
    assert len(document.project.timelines) == timelines + 1
    assert document.undo_stack.count() == undo_steps + 1
    new = document.project.timelines[-1]
    video = [t for t in new.tracks if t.kind == "video"][0]
    assert sum(c.duration for c in video.clips) == 75  # 3 s at 25 fps
    assert [c.source_in for c in video.clips] == sorted(s.start for s in lane)
    assert window.timeline.timeline_id == new.id
    document.undo_stack.undo()
    assert len(document.project.timelines) == timelines

    # Render…: the lane's edit to an MP4 with audio, in a job
    from editor.media.probe import probe

    out = tmp_path / "teaser.mp4"
    panel.ask_render_path = lambda: str(out)
    panel.render_edit()
    assert panel.render_job is not None and not panel.render_button.isEnabled()
    qtbot.waitUntil(lambda: panel.render_job is None, timeout=60_000)
    assert panel.status.text() == f"Rendered {out}" and panel.render_button.isEnabled()
    info = probe(out)
    assert info.video.frame_count == 75 and abs(info.audio[0].duration_s - 3.0) < 0.05

    panel.resize(460, 900)
    panel.grab().save(str(tmp_path / "highlights_panel.png"))


def test_presets_round_trip(make_window, clip):
    window = make_window()
    panel = window.panels["highlights"]
    panel.fields["mood"].setCurrentText("calm")
    panel.sliders["motion"].setValue(-2 * 50)
    panel.save_preset("very still")
    assert panel.presets.findText("very still") > 0
    panel.fields["mood"].setCurrentText("energetic")
    panel._apply_preset(panel.presets.findText("very still"))
    assert panel.fields["mood"].currentText() == "calm"
    assert panel.weights()["motion"] == -2.0
