"""Crash-safe file writing shared by project saves, autosaves and caches."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from editor.core.errors import CutwiseError


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def usual_permissions(path: str | os.PathLike, folder: bool = False) -> None:
    """Give a file (0600) or folder (0700) made by :mod:`tempfile` the permissions a
    plain ``open()`` or ``mkdir()`` would have had (0666 / 0777 less the umask), before
    it is renamed into place: a saved project or an export is readable as usual."""
    try:
        os.chmod(path, (0o777 if folder else 0o666) & ~_UMASK)
    except OSError:
        pass  # a file system without modes (FAT, some network shares)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder, fsync, rename.

    Either the whole new content is there afterwards or the old file is untouched; no
    half-written file is left behind, even when the disk fills up mid-write.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        usual_permissions(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not supported on this platform (Windows)
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def describe_os_error(exc: OSError, action: str, path: str | os.PathLike) -> CutwiseError:
    """Turn an OSError into a one-line, plain-language CutwiseError."""
    name = os.fspath(path)
    reasons = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is exceeded",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EROFS: "the disk is read-only",
        errno.ENOENT: "the folder does not exist",
        errno.EISDIR: "it is a folder",
        errno.EEXIST: "a file of that name is in the way of a folder",
        errno.ENOTDIR: "a file is in the way of a folder",
    }
    reason = reasons.get(exc.errno, exc.strerror or str(exc))
    return CutwiseError(f"Could not {action} {name}: {reason}.", path=name)
