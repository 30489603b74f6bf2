from editor.core.timecode import FrameRate
from editor.media.assets import import_files


def test_import_files_makes_assets_and_reports_unreadable_ones(basic_clip, rotated_clip,
                                                               audio_only_clip, tmp_path):
    notes = tmp_path / "notes.mp4"
    notes.write_text("not a video")
    seen = []
    assets, problems = import_files([basic_clip.path, rotated_clip.path, audio_only_clip, notes],
                                    progress=lambda d, t, m: seen.append((d, t)))
    basic, rotated, tone = assets
    assert (basic.frame_rate, basic.frame_count, basic.width, basic.height, basic.has_audio) == \
        (FrameRate(25), 50, 160, 90, True)
    assert (rotated.width, rotated.height) == (90, 160)  # display size, upright
    assert tone.has_audio and tone.width == 0 and tone.frame_count == 25  # 1 s at 25 fps
    assert len(problems) == 1 and "notes.mp4" in problems[0]
    assert seen[-1] == (4, 4)
    assert len({a.fingerprint for a in assets}) == 3
