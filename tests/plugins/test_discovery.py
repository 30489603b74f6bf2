"""Plugin discovery: a plugin installed with pip shows up; broken ones are disabled with a
readable message while everything else keeps working."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from editor.core.errors import Cancelled
from editor.core.model import MediaAsset
from editor.core.progress import CancelToken
from editor.core.timecode import FrameRate
from editor.plugins.api import PluginError
from editor.plugins.discovery import load_registry

ROOT = Path(__file__).resolve().parents[2]
ASSET = MediaAsset(path="/nowhere/clip.mp4", frame_rate=FrameRate(25), frame_count=10, width=16, height=9)


def pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
                   check=True, capture_output=True, timeout=180)


@pytest.fixture(scope="module")
def pip_installed(tmp_path_factory):
    """The example plugin and a second tiny one, built as wheels and pip-installed into a
    private site folder (what `pip install` into Cutwise's environment does)."""
    work = tmp_path_factory.mktemp("pip")
    example = shutil.copytree(ROOT / "plugins" / "blackframes", work / "blackframes",
                              ignore=shutil.ignore_patterns("tests", "build", "*.egg-info", "__pycache__"))
    tiny = work / "tiny"
    (tiny / "cutwise_tiny").mkdir(parents=True)
    (tiny / "pyproject.toml").write_text(textwrap.dedent("""
        [build-system]
        requires = ["setuptools>=68"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "cutwise-tiny"
        version = "2.0"
        [project.entry-points."cutwise.plugins"]
        tiny = "cutwise_tiny"
        [tool.setuptools.package-data]
        cutwise_tiny = ["cutwise-plugin.toml"]
        """))
    (tiny / "cutwise_tiny" / "__init__.py").write_text("")
    (tiny / "cutwise_tiny" / "engine.py").write_text(textwrap.dedent("""
        import sys
        from editor.core.model import Suggestion
        sys.modules[__name__].IMPORTED = True
        def first_frame(asset, params, *, progress, cancel):
            progress(1, 1, "done")
            return [Suggestion(lane="firsts", asset_id=asset.id, start=0, end=params["length"] - 1)]
        """))
    (tiny / "cutwise_tiny" / "cutwise-plugin.toml").write_text(textwrap.dedent("""
        name = "tiny"
        version = "2.0"
        api = 1
        [[engines]]
        id = "tiny.first"
        name = "First frames"
        lane = "firsts"
        run = "cutwise_tiny.engine:first_frame"
        [[engines.parameters]]
        name = "length"
        label = "Length"
        default = 2
        kind = "int"
        """))
    wheels, site = work / "wheels", work / "site"
    for project in (example, tiny):
        pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(wheels), str(project))
    pip("install", "--no-deps", "--no-index", "--target", str(site), *map(str, sorted(wheels.glob("*.whl"))))
    return site


@pytest.fixture
def installed(pip_installed, monkeypatch):
    monkeypatch.syspath_prepend(str(pip_installed))
    yield pip_installed
    for name in [m for m in sys.modules if m.startswith(("cutwise_tiny", "cutwise_blackframes"))]:
        del sys.modules[name]


def write_plugin(folder: Path, package: str, manifest: str, modules: dict[str, str] | None = None) -> Path:
    pkg = folder / package.replace("_", "-") / package
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "cutwise-plugin.toml").write_text(textwrap.dedent(manifest))
    for name, code in (modules or {}).items():
        (pkg / f"{name}.py").write_text(textwrap.dedent(code))
    return pkg


ENGINE = """
    name = "{name}"
    api = {api}
    [[engines]]
    id = "{name}.engine"
    name = "{name} engine"
    lane = "{name}"
    run = "{package}.engine:run"
    """


def test_pip_installed_plugins_show_up_and_load_lazily(installed):
    registry = load_registry(folders=[])
    names = {p.name: p for p in registry.plugins}
    assert {"cutwise", "blackframes", "tiny"} <= set(names)
    assert names["tiny"].source == "entry point tiny (cutwise-tiny 2.0)"
    assert names["blackframes"].engines == ("blackframes.black", "blackframes.silence")
    assert registry.exporter_for("out.srt").id == "blackframes.srt"
    assert "shots" in registry.engines and not registry.failures
    assert "cutwise_tiny.engine" not in sys.modules  # only the manifest was read
    engine = registry.engines["tiny.first"]
    found = engine.run(ASSET, engine.resolve({"length": 3}), progress=lambda *a: None, cancel=CancelToken())
    assert [(s.lane, s.start, s.end) for s in found] == [("firsts", 0, 2)]
    assert sys.modules["cutwise_tiny.engine"].IMPORTED
    assert str(installed) in sys.modules["cutwise_tiny"].__file__


def test_installed_copy_wins_over_the_folder_copy(installed):
    registry = load_registry(folders=[ROOT / "plugins"])
    (info,) = [p for p in registry.plugins if p.name == "blackframes"]
    assert info.source.startswith("entry point blackframes") and not registry.failures


def test_broken_manifests_are_reported_and_the_rest_loads(tmp_path):
    write_plugin(tmp_path, "bad_toml", "name = 'bad_toml'\napi = [")
    write_plugin(tmp_path, "future", ENGINE.format(name="future", api=2, package="future"))
    write_plugin(tmp_path, "noapi", 'name = "noapi"\n[[engines]]\nid = "x"\n')
    write_plugin(tmp_path, "clash", ENGINE.format(name="clash", api=1, package="clash").replace(
        'id = "clash.engine"', 'id = "shots"'))
    write_plugin(tmp_path, "good", ENGINE.format(name="good", api=1, package="good"),
                 {"engine": "def run(asset, params, *, progress, cancel):\n    return []\n"})
    registry = load_registry(folders=[tmp_path], entry_points=False)
    messages = {f.plugin: f.message for f in registry.failures}
    assert "not valid TOML" in messages["bad-toml"]
    assert messages["future"].startswith("Plugin 'future' targets plugin API 2; this Cutwise provides API 1")
    assert "does not say which plugin API" in messages["noapi"]
    assert "shots" in messages["clash"] and "already provides" in messages["clash"]
    assert "good.engine" in registry.engines and "shots" in registry.engines
    assert registry.engines["shots"].name == "Shot boundaries"  # the built-in, not the clash


@pytest.mark.parametrize("package, code, expected", [
    ("broken_import", "import not_a_real_module_xyz\n", "could not be loaded"),
    ("raises", "def run(asset, params, *, progress, cancel):\n    raise ZeroDivisionError('oops')\n",
     "failed in raises engine: ZeroDivisionError: oops"),
    ("wrong_type", "def run(asset, params, *, progress, cancel):\n    return 'cuts'\n",
     "returned something other than a list of suggestions"),
])
def test_a_plugin_that_fails_is_disabled_with_a_message(tmp_path, caplog, package, code, expected):
    write_plugin(tmp_path, package, ENGINE.format(name=package, api=1, package=package), {"engine": code})
    registry = load_registry(folders=[tmp_path], entry_points=False)
    heard = []
    registry.failure_listeners.append(heard.append)
    engine = registry.engines[f"{package}.engine"]
    with pytest.raises(PluginError) as first:
        engine.run(ASSET, {}, progress=lambda *a: None, cancel=CancelToken())
    assert expected in first.value.message and "disabled" in first.value.message
    assert [f.plugin for f in heard] == [package] and heard[0].engines == (f"{package}.engine",)
    assert expected in caplog.text
    with pytest.raises(PluginError) as again:  # stays disabled, same message, no new failure
        engine.run(ASSET, {}, progress=lambda *a: None, cancel=CancelToken())
    assert again.value.message == first.value.message and len(registry.failures) == 1


def test_a_plugin_engine_that_takes_on_warning_gets_the_notes(tmp_path):
    write_plugin(tmp_path, "noting", ENGINE.format(name="noting", api=1, package="noting"),
                 {"engine": "def run(asset, params, *, progress, cancel, on_warning):\n"
                            "    on_warning('no model file: a slower method')\n    return []\n"})
    write_plugin(tmp_path, "quiet", ENGINE.format(name="quiet", api=1, package="quiet"),
                 {"engine": "def run(asset, params, *, progress, cancel):\n    return []\n"})
    registry = load_registry(folders=[tmp_path], entry_points=False)
    heard = []
    for name in ("noting", "quiet"):  # one that does not take it runs as before
        engine = registry.engines[f"{name}.engine"]
        assert engine.run(ASSET, {}, progress=lambda *a: None, cancel=CancelToken(),
                          on_warning=heard.append) == []
    assert heard == ["no model file: a slower method"] and not registry.failures


def test_readable_errors_and_cancel_do_not_disable(tmp_path):
    code = """
        from editor.core.errors import Cancelled, CutwiseError
        def run(asset, params, *, progress, cancel):
            cancel.raise_if_cancelled()
            raise CutwiseError("clip.mp4 has no audio.")
        """
    write_plugin(tmp_path, "picky", ENGINE.format(name="picky", api=1, package="picky"), {"engine": code})
    registry = load_registry(folders=[tmp_path], entry_points=False)
    engine = registry.engines["picky.engine"]
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        engine.run(ASSET, {}, progress=lambda *a: None, cancel=token)
    with pytest.raises(Exception, match="has no audio"):
        engine.run(ASSET, {}, progress=lambda *a: None, cancel=CancelToken())
    assert not registry.failures and not registry.disabled


def test_plugin_suggestions_must_be_for_its_lane(tmp_path):
    code = """
        from editor.core.model import Suggestion
        def run(asset, params, *, progress, cancel):
            return [Suggestion(lane="shots", asset_id=asset.id, start=0, end=0)]
        """
    write_plugin(tmp_path, "sneaky", ENGINE.format(name="sneaky", api=1, package="sneaky"), {"engine": code})
    registry = load_registry(folders=[tmp_path], entry_points=False)
    with pytest.raises(PluginError):
        registry.engines["sneaky.engine"].run(ASSET, {}, progress=lambda *a: None, cancel=CancelToken())
    assert registry.disabled["sneaky.engine"].startswith("Plugin 'sneaky'")
