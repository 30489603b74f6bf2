"""Project files: versioned JSON, atomic saves, autosave and crash recovery.

A ``.cutwise`` file is UTF-8 JSON (schema in docs/project-format.md)::

    {"format": "cutwise-project", "version": 1, "app_version": "0.1.0",
     "project": {"name": ..., "assets": [...], "timelines": [...], "suggestions": [...],
                 "settings": {...}}}

Saving writes a temp file, fsyncs it and renames it over the old one, so a crash or a
full disk never leaves a half-written project. Loading rejects files that are not
projects, are damaged, or come from a newer Cutwise, with one plain sentence and
without touching the file. Autosaves go to the user data dir with the owner's process
id, so after a crash the next start finds them and offers recovery.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from editor import __version__
from editor.core.errors import CutwiseError
from editor.core.files import atomic_write_bytes, describe_os_error
from editor.core.model import ModelError, Project

FORMAT = "cutwise-project"
VERSION = 1
EXTENSION = ".cutwise"


class ProjectFileError(CutwiseError):
    """A project file that cannot be read or written."""


def to_json(project: Project, project_path: str | os.PathLike | None = None) -> dict:
    """The file's content; asset paths are stored absolute and relative to the project."""
    body = project.to_dict()
    if project_path is not None:
        folder = Path(project_path).resolve().parent
        for asset in body["assets"]:
            try:
                asset["relative_path"] = os.path.relpath(Path(asset["path"]).resolve(), folder)
            except ValueError:  # another drive on Windows
                pass
    return {"format": FORMAT, "version": VERSION, "app_version": __version__, "project": body}


def from_json(data, project_path: str | os.PathLike | None = None, *, name: str = "") -> Project:
    """Validate a parsed file and build the project; raises ProjectFileError."""
    name = name or "This file"
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ProjectFileError(f"{name} is not a Cutwise project.")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ProjectFileError(f"{name} has an invalid format version ({version!r}).")
    if version > VERSION:
        raise ProjectFileError(
            f"{name} was saved by a newer Cutwise ({data.get('app_version', '?')}, file format "
            f"{version}); this version reads format {VERSION}. Update Cutwise to open it.")
    body = data.get("project")
    if not isinstance(body, dict):
        raise ProjectFileError(f"{name} is damaged: it has no project data.")
    try:
        project = Project.from_dict(body)
    except (ModelError, ValueError, TypeError) as exc:
        msg = exc.message if isinstance(exc, CutwiseError) else str(exc)
        raise ProjectFileError(f"{name} is damaged: {msg}") from None
    if project_path is not None:
        _relink_moved_media(project, body, Path(project_path).resolve().parent)
    return project


def _relink_moved_media(project: Project, body: dict, folder: Path) -> None:
    """When a project folder moved with its media, find the media beside it again."""
    for asset, stored in zip(project.assets, body["assets"]):
        relative = stored.get("relative_path")
        if relative and not Path(asset.path).exists() and (folder / relative).exists():
            asset.path = str((folder / relative).resolve())


def save(project: Project, path: str | os.PathLike) -> None:
    """Write the project atomically; on failure the previous file is intact."""
    data = json.dumps(to_json(project, path), indent=1, ensure_ascii=False).encode("utf-8")
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise describe_os_error(exc, "save the project to", path) from None


def load(path: str | os.PathLike) -> Project:
    """Read a project file, or raise ProjectFileError with one plain sentence."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ProjectFileError(f"{path} does not exist.", path=str(path)) from None
    except IsADirectoryError:
        raise ProjectFileError(f"{path} is a folder, not a project file.", path=str(path)) from None
    except OSError as exc:
        raise describe_os_error(exc, "open", path) from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ProjectFileError(f"{path.name} is not a Cutwise project (not JSON, or cut short).",
                               path=str(path)) from None
    return from_json(data, path, name=path.name)


# --- autosave and recovery -------------------------------------------------------------

def default_data_dir() -> Path:
    env = os.environ.get("CUTWISE_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("cutwise", appauthor=False))


def autosave_path(project_path: str | os.PathLike | None, data_dir: Path | None = None) -> Path:
    """Where this session autosaves: one file per project path, or per process if untitled."""
    folder = (data_dir or default_data_dir()) / "autosave"
    if project_path is None:
        return folder / f"untitled-{os.getpid()}{EXTENSION}"
    digest = hashlib.sha256(str(Path(project_path).resolve()).encode()).hexdigest()[:16]
    return folder / f"{Path(project_path).stem}-{digest}{EXTENSION}"


def write_autosave(project: Project, project_path: str | os.PathLike | None,
                   data_dir: Path | None = None) -> Path:
    """Save a recovery copy beside the user's file (not over it)."""
    target = autosave_path(project_path, data_dir)
    data = to_json(project, project_path)
    data["autosave"] = {
        "project_path": str(Path(project_path).resolve()) if project_path else None,
        "pid": os.getpid(),
        "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    try:
        atomic_write_bytes(target, json.dumps(data, ensure_ascii=False).encode("utf-8"))
    except OSError as exc:
        raise describe_os_error(exc, "autosave to", target) from None
    return target


def discard_autosave(project_path: str | os.PathLike | None, data_dir: Path | None = None) -> None:
    """Forget this session's recovery copy (after a save or a clean exit)."""
    autosave_path(project_path, data_dir).unlink(missing_ok=True)


@dataclass(frozen=True)
class Recovery:
    """An autosave left behind by a Cutwise that did not exit cleanly."""

    autosave: Path
    project_path: str | None
    saved_at: str
    name: str

    def load(self) -> Project:
        return from_json(json.loads(self.autosave.read_text("utf-8")), self.project_path,
                         name=f"The recovery copy of {self.name}")

    def discard(self) -> None:
        self.autosave.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def find_recoveries(data_dir: Path | None = None) -> list[Recovery]:
    """Autosaves whose Cutwise process is gone, newest first; unreadable ones skipped."""
    found = []
    for path in (data_dir or default_data_dir()).joinpath("autosave").glob(f"*{EXTENSION}"):
        try:
            data = json.loads(path.read_text("utf-8"))
            meta = data["autosave"]
            if _process_alive(int(meta["pid"])):
                continue
            project_path = meta.get("project_path")
            if project_path and Path(project_path).exists() and \
                    Path(project_path).stat().st_mtime > path.stat().st_mtime:
                continue  # the real file was saved after this autosave
            found.append(Recovery(path, project_path, str(meta.get("saved_at", "")),
                                  str(data["project"].get("name", path.stem))))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return sorted(found, key=lambda r: r.saved_at, reverse=True)
