"""File ▸ Export timeline… and File ▸ Import timeline…: other editors' formats, chosen
by file extension (plus the extensions plugins add)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from editor.core.errors import CutwiseError
from editor.interchange import timeline_io
from editor.ui.actions import ActionSpec

_EXPORT_FILTERS = [
    ("OpenTimelineIO – DaVinci Resolve", ".otio"), ("FCP 7 XML – Premiere Pro", ".xml"),
    ("FCPXML – Final Cut Pro", ".fcpxml"), ("CMX 3600 EDL", ".edl"),
    ("PySceneDetect scene list", ".csv"), ("YouTube chapters from markers", ".txt"),
]
IMPORT_FILTER = "Timelines (*.otio *.xml *.fcpxml *.edl);;All files (*)"


def export_filters(window) -> list[tuple[str, str]]:
    """(description, extension) of every format on offer, plugins' included."""
    registry = window.registry
    extra = [(x.name, x.extension) for x in registry.exporters.values() if x.id not in registry.disabled]
    return _EXPORT_FILTERS + extra


def install_interchange_actions(window) -> None:
    """Add the two File menu commands, just above Quit."""
    menu = window.actions.menus["&File"]
    quit_action = window.actions.actions.get("quit")
    for spec, handler in (
            (ActionSpec("export_timeline", "&Export timeline…", "&File", "Ctrl+E",
                        "Write the timeline for Resolve, Premiere, Final Cut, as an EDL, CSV or "
                        "YouTube chapters (format by extension)"), lambda: export_timeline_dialog(window)),
            (ActionSpec("import_timeline", "Import &timeline…", "&File", "Ctrl+Shift+I",
                        "Open an OTIO, FCP 7 XML, FCPXML or EDL timeline as a new sequence"),
             lambda: import_timeline_dialog(window))):
        action = window.actions.add(spec, handler)
        if quit_action is not None:
            menu.removeAction(action)
            menu.insertAction(quit_action, action)
    if quit_action is not None:
        menu.insertSeparator(quit_action)


def export_timeline_dialog(window) -> bool:
    filters = export_filters(window)
    names = [f"{name} (*{ext})" for name, ext in filters]
    folder = str(window.document.path.parent) if window.document.path else str(Path.home())
    stem = window.timeline.timeline.name or "timeline"
    path, chosen = QFileDialog.getSaveFileName(window, "Export timeline", str(Path(folder) / stem),
                                               ";;".join(names))
    if not path:
        return False
    if not Path(path).suffix and chosen in names:
        path += filters[names.index(chosen)][1]
    return export_timeline(window, path)


def export_timeline(window, path: str | Path) -> bool:
    """Write the timeline shown in the timeline view to ``path`` (format by extension)."""
    from editor.core.files import atomic_write_bytes

    project, timeline = window.document.project, window.timeline.timeline
    exporter = window.registry.exporter_for(str(path))
    try:
        if exporter is not None:
            text, warnings = exporter.run(project, timeline), []
            atomic_write_bytes(Path(path), text.encode("utf-8"))
        else:
            warnings = timeline_io.export_file(project, path, timeline=timeline)
    except CutwiseError as exc:
        QMessageBox.warning(window, "Cannot export the timeline", exc.message)
        return False
    except OSError as exc:
        QMessageBox.warning(window, "Cannot export the timeline", f"Cannot write {path}: {exc.strerror}.")
        return False
    if warnings:
        QMessageBox.information(window, "Exported with notes", "\n".join(warnings))
    window.show_message(f"Exported {timeline.name} to {path}")
    return True


def import_timeline_dialog(window) -> bool:
    folder = str(window.document.path.parent) if window.document.path else str(Path.home())
    path, _ = QFileDialog.getOpenFileName(window, "Import timeline", folder, IMPORT_FILTER)
    return bool(path) and import_timeline(window, path)


def import_timeline(window, path: str | Path) -> bool:
    """Add the file's timeline (and any media it needs) as a new sequence, in one undo step."""
    try:
        imported = timeline_io.read_file(path, window.document.project)
        window.document.push(timeline_io.import_command(imported))
    except CutwiseError as exc:
        QMessageBox.warning(window, "Cannot import the timeline", exc.message)
        return False
    window.timeline.set_timeline(imported.timeline.id)
    if imported.warnings:
        QMessageBox.information(window, "Imported with notes", "\n".join(imported.warnings))
    clips = sum(len(t.clips) for t in imported.timeline.tracks)
    window.show_message(f"Imported {imported.timeline.name}: {clips} clips, "
                        f"{len(imported.timeline.markers)} markers")
    return True
