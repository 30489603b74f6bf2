"""Per-media cache for analysis features, thumbnails and waveforms.

An entry's key is the media file's content fingerprint + the producer's name and
version + its parameters, so a changed file, a new engine version or another setting
never reads a stale entry. Entries are written atomically (temp file, rename) and a
damaged entry reads as a miss. The cache lives in the user cache dir (platformdirs), or
in ``$CUTWISE_CACHE_DIR`` when set.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np

from editor.core.files import atomic_write_bytes

_SAMPLE = 1 << 20  # bytes hashed at the start, middle and end of a file
_PREFIX = "a_"  # array names are prefixed so none clashes with np.savez's own arguments


def _plain(value):
    """JSON form of parameter values: numpy scalars as numbers, anything else as text."""
    return value.item() if isinstance(value, np.generic) else str(value)


def fingerprint(path: str | os.PathLike) -> str:
    """A content hash that is fast on multi-GB files: size + three 1 MiB samples."""
    path = Path(path)
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with path.open("rb") as f:
        if size <= 3 * _SAMPLE:
            digest.update(f.read())
        else:
            for offset in (0, size // 2 - _SAMPLE // 2, size - _SAMPLE):
                f.seek(offset)
                digest.update(f.read(_SAMPLE))
    return digest.hexdigest()[:32]


def default_cache_dir() -> Path:
    env = os.environ.get("CUTWISE_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("cutwise", appauthor=False))


class AnalysisCache:
    """Arrays and JSON stored per (media content, producer, version, parameters)."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else default_cache_dir() / "analysis"

    def key(self, media_path: str | os.PathLike, producer: str, version: str | int,
            params: dict | None = None) -> str:
        blob = json.dumps([fingerprint(media_path), producer, str(version), params or {}],
                          sort_keys=True, default=_plain)
        return f"{producer}-{hashlib.sha256(blob.encode()).hexdigest()[:32]}"

    def _path(self, key: str, suffix: str) -> Path:
        return self.root / key[-2:] / f"{key}{suffix}"

    def has(self, key: str) -> bool:
        """Whether arrays are stored under ``key`` (they may still fail to load)."""
        return self._path(key, ".npz").is_file()

    def get_arrays(self, key: str) -> dict[str, np.ndarray] | None:
        path = self._path(key, ".npz")
        try:
            with np.load(path, allow_pickle=False) as data:
                return {name[len(_PREFIX):]: data[name] for name in data.files}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return None

    def put_arrays(self, key: str, arrays: dict[str, np.ndarray]) -> None:
        """Store plain (non-object) arrays; any names, even ``file``, are fine."""
        buf = io.BytesIO()
        np.savez(buf, allow_pickle=False, **{_PREFIX + name: a for name, a in arrays.items()})
        self._write(self._path(key, ".npz"), buf.getvalue())

    def get_json(self, key: str):
        try:
            return json.loads(self._path(key, ".json").read_text("utf-8"))
        except (OSError, ValueError):
            return None

    def put_json(self, key: str, value) -> None:
        self._write(self._path(key, ".json"), json.dumps(value).encode("utf-8"))

    def _write(self, path: Path, data: bytes) -> None:
        try:
            atomic_write_bytes(path, data)
        except OSError:
            pass  # a cache that cannot be written (full disk, read-only) only costs speed

    def clear(self) -> None:
        for path in self.root.glob("*/*"):
            path.unlink(missing_ok=True)


def load_or_compute(cache: AnalysisCache | None, key: str | None, compute, from_arrays,
                    media: str | os.PathLike | None = None):
    """``(result, from_cache)``: a cached result, or ``compute()`` stored for next time.

    The result has ``to_arrays()`` and ``warnings``; ``from_arrays(arrays, warnings)``
    rebuilds it and may return None for an entry it cannot use (then it is recomputed).
    ``media``: the file the warnings name; the cache is keyed by content, so the same
    content read again under another name has its warnings name that one.
    """
    if cache is not None and key is not None:
        arrays = cache.get_arrays(key)
        if arrays is not None:
            stored = cache.get_json(key) or {}
            warnings = stored.get("warnings", ())
            if media is not None and stored.get("media"):
                warnings = renamed(warnings, stored["media"], media)
            result = from_arrays(arrays, warnings)
            if result is not None:
                return result, True
    result = compute()
    if cache is not None and key is not None:
        cache.put_arrays(key, result.to_arrays())
        cache.put_json(key, {"warnings": list(result.warnings),
                             "media": None if media is None else str(media)})
    return result, False


def renamed(warnings, stored: str | os.PathLike, media: str | os.PathLike) -> tuple[str, ...]:
    """Cached ``warnings`` about the file once read as ``stored``, naming ``media``."""
    return tuple(w.replace(str(stored), str(media)) for w in warnings)
