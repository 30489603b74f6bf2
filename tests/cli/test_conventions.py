"""The CLI's shared conventions: one-line errors with exit 2, --debug, --version."""

import json
import subprocess
import sys

import pytest

from editor.cli import main


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "editor", *args], capture_output=True, text=True)


def test_version_and_help():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("cutwise ")
    result = run_cli("--help")
    assert result.returncode == 0 and "probe" in result.stdout


@pytest.mark.parametrize("argv,message", [
    ([], "no command given"),
    (["frobnicate"], "invalid choice"),
    (["probe"], "the following arguments are required"),
    (["probe", "x.mp4", "--bogus"], "unrecognized arguments"),
])
def test_usage_errors_are_one_line_exit_2(capsys, argv, message):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("cutwise: error:")


def test_bad_input_is_one_line_and_debug_adds_traceback(tmp_path):
    missing = tmp_path / "missing.mp4"
    result = run_cli("probe", str(missing))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "missing.mp4" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_cli("probe", str(missing), "--debug")
    assert result.returncode == 2 and "Traceback" in result.stderr


@pytest.mark.parametrize("argv", [
    ["--json", "probe", "{clip}"],
    ["probe", "{clip}", "--json"],
    ["-q", "--json", "shots", "{clip}"],
    ["shots", "-q", "{clip}", "--json"],
])
def test_common_options_work_before_or_after_the_command(capsys, basic_clip, argv):
    assert main([a.format(clip=basic_clip.path) for a in argv]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["path"] == str(basic_clip.path)


def test_without_json_the_output_is_text(capsys, basic_clip):
    assert main(["-q", "shots", str(basic_clip.path)]) == 0
    out = capsys.readouterr().out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)
    assert "shots" in out


def test_an_os_error_is_one_readable_line_with_exit_2(capsys, basic_clip, tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    out = tmp_path / "afile" / "cuts.csv"  # its folder cannot be made: a real OSError
    assert main(["-q", "shots", str(basic_clip.path), "--format", "csv", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("cutwise: error: Could not use ")
    assert err[0].endswith("afile: a file of that name is in the way of a folder.")
