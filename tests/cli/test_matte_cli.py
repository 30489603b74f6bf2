"""``cutwise matte`` and ``cutwise models`` end to end on a generated clip (GrabCut backend)."""

import json

import av
import cv2
import numpy as np
import pytest

from editor.cli import main
from tests.analysis.test_matting import make_subject_clip, mask_iou


@pytest.fixture(scope="module")
def dancer(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "dancer.mp4"
    return path, make_subject_clip(path, frames=30, cut=20)


@pytest.fixture(autouse=True)
def private_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("CUTWISE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CUTWISE_CACHE_DIR", str(tmp_path / "cache"))


def test_png_sequence_of_the_detected_shot(dancer, tmp_path, capsys):
    path, truth = dancer
    out = tmp_path / "frames"
    code = main(["matte", str(path), "--frame", "5", "--point", "75,50", "--point", "75,25",
                 "--negative", "10,10", "--format", "png", "-o", str(out), "--json", "-q"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["frames"] == [0, 19] and result["backend"] == "grabcut"
    assert result["lower_quality"] is True
    assert result["prompts"] == [{"frame": 5, "points": [[75.0, 50.0, 1], [75.0, 25.0, 1],
                                                         [10.0, 10.0, 0]], "box": None}]
    assert sorted(p.name for p in out.iterdir()) == [f"frame_{i:06d}.png" for i in range(20)]
    rgba = cv2.imread(str(out / "frame_000015.png"), cv2.IMREAD_UNCHANGED)
    assert mask_iou(rgba[:, :, 3] >= 128, truth[15]) > 0.75


def test_prores_of_a_frame_range_with_a_box_and_a_note_on_stderr(dancer, tmp_path, capsys):
    path, truth = dancer
    out = tmp_path / "subject.mov"
    code = main(["matte", str(path), "--box", "55,15,95,100@2", "--frames", "2-9",
                 "--format", "prores", "-o", str(out)])
    assert code == 0
    err = capsys.readouterr().err
    assert "GrabCut fallback" in err and f"wrote {out}" in err
    with av.open(str(out)) as container:
        frames = list(container.decode(video=0))
    assert len(frames) == 8 and frames[0].format.name.startswith("yuva444p")
    alpha = frames[3].to_ndarray(format="rgba")[:, :, 3]
    assert mask_iou(alpha >= 128, truth[5]) > 0.75


@pytest.mark.parametrize("argv, message", [
    (["--point", "75;50"], "should be 2 numbers"),
    (["--negative", "10,10"], "only negative points"),
    (["--box", "90,15,55,100"], "second corner"),
    (["--point", "900,50"], "outside the 192x108 picture"),
    (["--point", "75,50@400"], "outside the video"),
    (["--point", "75,50", "--frames", "9-2"], "START <= END"),
    (["--point", "75,50@25", "--frames", "0-10"], "outside frames 0-10"),
    (["--point", "75,50", "--shot", "7"], "has 2 shots"),
    (["--point", "75,50", "--backend", "sam"], "No SAM checkpoint is installed"),
    ([], "give the subject"),
])
def test_bad_input_is_one_line_and_exit_2(dancer, tmp_path, capsys, argv, message):
    out = tmp_path / "never"
    code = main(["matte", str(dancer[0]), *argv, "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


def test_existing_output_is_not_overwritten(dancer, tmp_path, capsys):
    out = tmp_path / "taken.webm"
    out.write_bytes(b"keep me")
    code = main(["matte", str(dancer[0]), "--point", "75,50", "--format", "webm", "-o", str(out)])
    assert code == 2 and "--overwrite" in capsys.readouterr().err
    assert out.read_bytes() == b"keep me"


def test_bad_checkpoint_is_reported(dancer, tmp_path, capsys):
    bad = tmp_path / "sam.pth"
    bad.write_bytes(b"not a checkpoint")
    code = main(["matte", str(dancer[0]), "--point", "75,50", "--checkpoint", str(bad),
                 "-o", str(tmp_path / "x")])
    assert code == 2 and "not a readable SAM checkpoint" in capsys.readouterr().err


def test_models_list_and_add(tmp_path, capsys):
    assert main(["models", "list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    names = {m["name"]: m for m in listing["models"]}
    assert set(names) == {"vit_b", "vit_l", "vit_h"}
    assert not any(m["installed"] for m in names.values())
    assert listing["folder"] == str(tmp_path / "data" / "models")
    wrong = tmp_path / "wrong.pth"
    wrong.write_bytes(np.zeros(10, np.uint8).tobytes())
    assert main(["models", "add", "vit_b", str(wrong)]) == 2
    assert "does not match vit_b's SHA-256" in capsys.readouterr().err
    assert main(["models", "download", "vit_q"]) == 2


def test_a_kept_session_is_corrected_from_the_command_line(dancer, tmp_path, capsys):
    """A poor first prompt (a 'not the subject' click on the body), kept; one corrected
    frame fixes the shot, and the corrected export is written."""
    path, truth = dancer
    session = tmp_path / "session"
    first = main(["matte", str(path), "--point", "75,25@5", "--negative", "75,60@5",
                  "--keep", str(session), "-o", str(tmp_path / "first"), "--json", "-q"])
    assert first == 0 and json.loads(capsys.readouterr().out)["session"] == str(session)
    before = cv2.imread(str(tmp_path / "first" / "frame_000015.png"), cv2.IMREAD_UNCHANGED)
    code = main(["matte", str(path), "--session", str(session), "--point", "75,50@8",
                 "--point", "75,25@8", "--format", "png", "-o", str(tmp_path / "fixed"),
                 "--json", "-q"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["corrected"] == [8] and [p["frame"] for p in result["prompts"]] == [5, 8]
    after = cv2.imread(str(tmp_path / "fixed" / "frame_000015.png"), cv2.IMREAD_UNCHANGED)
    iou_before = mask_iou(before[:, :, 3] >= 128, truth[15])
    iou_after = mask_iou(after[:, :, 3] >= 128, truth[15])
    assert iou_after > 0.75 and iou_after > iou_before + 0.1, (iou_before, iou_after)
    # a session is only continued for its own file, and not with options that restart it
    other = tmp_path / "other.mp4"
    other.write_bytes(path.read_bytes())
    assert main(["matte", str(other), "--session", str(session), "--point", "75,50",
                 "-o", str(tmp_path / "x")]) == 2
    assert "is of" in capsys.readouterr().err
    assert main(["matte", str(path), "--session", str(session), "--point", "75,50",
                 "--frames", "0-5", "-o", str(tmp_path / "y")]) == 2
    assert "do not apply" in capsys.readouterr().err
