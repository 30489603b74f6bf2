"""File ▸ Export/Import timeline in the window, and plugins in the window: the Plugins
dialog, and a plugin that fails being disabled with a message while the app goes on."""

from __future__ import annotations

import textwrap

import pytest
from PySide6.QtWidgets import QMessageBox

from editor.ui.interchange import export_filters, export_timeline, import_timeline
from editor.ui.plugins_dialog import PluginsDialog


@pytest.fixture
def messages(monkeypatch):
    """Message boxes recorded instead of shown."""
    seen = []
    for kind in ("warning", "information"):
        monkeypatch.setattr(QMessageBox, kind, lambda parent, title, text, *a, kind=kind: seen.append((kind, title, text)))
    return seen


def clips(timeline):
    return [(t.kind, [(c.asset_id, c.start, c.duration, c.source_in) for c in t.clips]) for t in timeline.tracks]


def test_file_menu_has_export_and_import_above_quit(make_window):
    window = make_window()
    texts = [a.text() for a in window.actions.menus["&File"].actions()]
    assert texts.index("&Export timeline…") < texts.index("Import &timeline…") < texts.index("&Quit")
    assert window.actions["export_timeline"].shortcut().toString() == "Ctrl+E"
    assert window.actions["plugins"].text() == "&Plugins…"


@pytest.mark.parametrize("suffix", [".otio", ".xml", ".fcpxml", ".edl"])
def test_export_then_import_as_a_new_sequence_in_one_undo_step(make_window, tmp_path, messages, suffix):
    window = make_window("--demo")
    project = window.document.project
    original = project.timeline
    out = tmp_path / f"demo{suffix}"
    assert export_timeline(window, out)
    before = project.to_dict()
    assert import_timeline(window, out)
    assert len(project.assets) == 3  # the demo's media reused, not imported again
    imported = project.timelines[-1]
    assert window.timeline.timeline is imported
    tracks = 1 if suffix == ".edl" else None  # an EDL holds only V1
    assert clips(imported)[:tracks] == clips(original)[:tracks]
    assert [(m.frame, m.name.upper()) for m in imported.markers] == [(m.frame, m.name.upper()) for m in original.markers]
    window.document.undo_stack.undo()
    assert project.to_dict() == before
    if suffix == ".edl":  # what the EDL could not hold was said, not hidden
        assert [k for k, *_ in messages] == ["information"] and "A1 not exported" in messages[0][2]
    else:
        assert messages == []


def test_bad_export_and_import_say_why_and_change_nothing(make_window, tmp_path, messages):
    window = make_window("--demo")
    before = window.document.project.to_dict()
    assert not export_timeline(window, tmp_path / "demo.mov")
    assert not (tmp_path / "demo.mov").exists()
    (tmp_path / "broken.otio").write_text("{nope")
    assert not import_timeline(window, tmp_path / "broken.otio")
    assert [(k, t) for k, t, _ in messages] == [("warning", "Cannot export the timeline"),
                                                ("warning", "Cannot import the timeline")]
    assert "Cannot export 'demo.mov'" in messages[0][2]
    assert window.document.project.to_dict() == before and not window.document.is_modified


def test_plugin_exporter_is_offered_by_extension(make_window, tmp_path, messages):
    window = make_window("--demo")
    assert export_timeline(window, tmp_path / "markers.srt")
    assert (tmp_path / "markers.srt").read_text().startswith("1\n00:00:00,000 --> ")
    assert ("Markers as subtitles (SRT)", ".srt") in export_filters(window)


def write_plugin(folder, name, engine_code, panel=""):
    pkg = folder / name / f"cw_{name}"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "engine.py").write_text(textwrap.dedent(engine_code))
    (pkg / "cutwise-plugin.toml").write_text(textwrap.dedent(f"""
        name = "{name}"
        api = 1
        [[engines]]
        id = "{name}"
        name = "{name.title()} engine"
        lane = "{name}"
        run = "cw_{name}.engine:run"
        panel = "{panel}"
        """))


def test_a_plugin_that_raises_is_disabled_and_the_app_goes_on(make_window, qtbot, tmp_path, monkeypatch):
    write_plugin(tmp_path / "plugins", "crashy", """
        def run(asset, params, *, progress, cancel):
            raise RuntimeError("model file missing")
        """)
    monkeypatch.setenv("CUTWISE_PLUGIN_PATH", str(tmp_path / "plugins"))
    window = make_window("--demo")
    panel = window.panels["crashy"]
    assert panel.isEnabled() and window.panels["blackframes.black"].isEnabled()
    before = window.document.project.to_dict()
    panel.run()
    qtbot.waitUntil(lambda: not panel.isEnabled(), timeout=10000)
    qtbot.waitUntil(lambda: panel.job is None, timeout=10000)
    expected = ("Plugin 'crashy' failed in Crashy engine: RuntimeError: model file missing. "
                "It is disabled until Cutwise restarts; your project is unchanged.")
    assert window.statusBar().currentMessage() == expected
    assert expected in panel.status.text()
    assert window.docks["engine-crashy"].windowTitle() == "Crashy engine (disabled)"
    assert not window.actions["run_crashy"].isEnabled()
    assert window.document.project.to_dict() == before and not window.document.is_modified
    assert window.panels["shots"].isEnabled() and window.panels["blackframes.black"].isEnabled()
    dialog = PluginsDialog(window.registry, window)
    rows = [[dialog.tree.topLevelItem(i).text(c) for c in range(5)] for i in range(dialog.tree.topLevelItemCount())]
    assert ["cutwise", "loaded"] == [rows[0][0], rows[0][2]]
    assert any(r[0] == "blackframes" and r[2] == "loaded" and "Black frames" in r[3] for r in rows)
    assert any(r[0] == "crashy" and r[2] == "failed" and r[3] == expected for r in rows)
    dialog.deleteLater()


def test_broken_plugins_at_startup_leave_a_working_window(make_window, tmp_path, monkeypatch):
    plugins = tmp_path / "plugins"
    write_plugin(plugins, "nopanel", "def run(asset, params, *, progress, cancel):\n    return []\n",
                 panel="cw_nopanel.missing:Panel")
    bad = plugins / "badapi" / "cw_badapi"
    bad.mkdir(parents=True)
    (bad / "cutwise-plugin.toml").write_text('name = "badapi"\napi = 99\n')
    monkeypatch.setenv("CUTWISE_PLUGIN_PATH", str(plugins))
    window = make_window("--demo")
    failures = {f.plugin: f.message for f in window.registry.failures}
    assert failures["badapi"].startswith("Plugin 'badapi' targets plugin API 99")
    assert "The panel of 'Nopanel engine' (cw_nopanel.missing:Panel) could not be loaded" in failures["nopanel"]
    assert not window.panels["nopanel"].isEnabled()
    assert window.statusBar().currentMessage() == "2 plugins could not be loaded: see Help ▸ Plugins"
    assert window.panels["shots"].isEnabled()
