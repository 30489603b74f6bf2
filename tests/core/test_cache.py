"""The per-media analysis cache: round trips, keys, damaged entries, unwritable dirs."""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from editor.core.cache import AnalysisCache, fingerprint

MIB = 1 << 20


@pytest.fixture
def media(tmp_path):
    path = tmp_path / "clip.mov"
    path.write_bytes(np.random.default_rng(1).bytes(64 * 1024))
    return path


@pytest.fixture
def cache(tmp_path):
    return AnalysisCache(tmp_path / "cache")


def flip_byte(path, offset):
    with path.open("r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0xFF]))


def test_arrays_round_trip(cache, media):
    key = cache.key(media, "shots", 1, {"threshold": 0.3})
    arrays = {"scores": np.linspace(0, 1, 50, dtype=np.float32),
              "cuts": np.array([0, 12, 40], dtype=np.int64),
              "mask": np.eye(3, dtype=bool)}
    cache.put_arrays(key, arrays)

    loaded = cache.get_arrays(key)
    assert loaded.keys() == arrays.keys()
    for name, array in arrays.items():
        assert loaded[name].dtype == array.dtype
        np.testing.assert_array_equal(loaded[name], array)


def test_json_round_trip(cache, media):
    key = cache.key(media, "highlights", "2.1")
    value = {"ranges": [[1.5, 4.0], [10.25, 12.0]], "label": "goal ⚽", "peak": None}
    cache.put_json(key, value)
    assert cache.get_json(key) == value


def test_a_missing_entry_is_a_miss(cache, media):
    key = cache.key(media, "shots", 1)
    assert cache.get_arrays(key) is None
    assert cache.get_json(key) is None


def test_the_key_is_stable_for_the_same_content_producer_and_params(cache, media, tmp_path):
    key = cache.key(media, "shots", 1, {"threshold": 0.3, "min_len": 12})
    assert cache.key(media, "shots", 1, {"min_len": 12, "threshold": 0.3}) == key
    assert AnalysisCache(tmp_path / "elsewhere").key(
        media, "shots", 1, {"threshold": 0.3, "min_len": 12}) == key

    moved = tmp_path / "renamed.mov"
    moved.write_bytes(media.read_bytes())
    assert cache.key(moved, "shots", 1, {"threshold": 0.3, "min_len": 12}) == key
    assert cache.key(media, "shots", 1) == cache.key(media, "shots", 1, {})


@pytest.mark.parametrize("change", ["content", "version", "params", "producer"])
def test_the_key_changes_with_content_version_params_or_producer(cache, media, change):
    before = cache.key(media, "shots", 1, {"threshold": 0.3})
    producer, version, params = "shots", 1, {"threshold": 0.3}
    if change == "content":
        flip_byte(media, 1000)
    elif change == "version":
        version = 2
    elif change == "params":
        params = {"threshold": 0.35}
    else:
        producer = "highlights"
    assert cache.key(media, producer, version, params) != before


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=4),
       b=st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=4))
def test_keys_match_exactly_when_params_match(cache, media, a, b):
    reordered = dict(reversed(list(a.items())))
    assert cache.key(media, "reframe", 3, a) == cache.key(media, "reframe", 3, reordered)
    assert (cache.key(media, "reframe", 3, a) == cache.key(media, "reframe", 3, b)) == (a == b)


@pytest.mark.parametrize("damage", ["half", "tail", "header", "empty", "flipped"])
def test_a_damaged_array_entry_reads_as_a_miss_and_can_be_rewritten(cache, media, damage):
    key = cache.key(media, "shots", 1)
    arrays = {"scores": np.arange(2000, dtype=np.float64)}
    cache.put_arrays(key, arrays)
    [entry] = (cache.root).glob("*/*.npz")
    data = entry.read_bytes()
    if damage == "half":
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "tail":
        entry.write_bytes(data[:-10])
    elif damage == "header":
        entry.write_bytes(data[:10])
    elif damage == "empty":
        entry.write_bytes(b"")
    else:
        flip_byte(entry, len(data) // 2)

    assert cache.get_arrays(key) is None
    cache.put_arrays(key, arrays)
    np.testing.assert_array_equal(cache.get_arrays(key)["scores"], arrays["scores"])


def test_a_damaged_json_entry_reads_as_a_miss(cache, media):
    key = cache.key(media, "highlights", 1)
    cache.put_json(key, {"ranges": [[0, 1]]})
    [entry] = cache.root.glob("*/*.json")
    entry.write_bytes(entry.read_bytes()[:-3])
    assert cache.get_json(key) is None
    entry.write_bytes(b"\xff\xfe not utf-8")
    assert cache.get_json(key) is None


def test_writes_leave_no_temp_files(cache, media):
    key = cache.key(media, "shots", 1)
    cache.put_arrays(key, {"a": np.zeros(3)})
    cache.put_json(key, [1, 2])
    names = sorted(path.name for path in cache.root.rglob("*") if path.is_file())
    assert names == [f"{key}.json", f"{key}.npz"]


def test_clear_removes_every_entry(cache, media):
    key = cache.key(media, "shots", 1)
    cache.put_arrays(key, {"a": np.zeros(3)})
    cache.put_json(key, {"b": 1})
    cache.clear()
    assert cache.get_arrays(key) is None and cache.get_json(key) is None


def test_fingerprint_of_a_large_file_samples_start_middle_and_end(tmp_path):
    path = tmp_path / "film.mkv"
    size = 4 * MIB
    path.write_bytes(np.random.default_rng(2).bytes(size))
    original = fingerprint(path)
    assert fingerprint(path) == original

    for offset in (10, size // 2 + 100, size - 10):  # inside the three samples
        flip_byte(path, offset)
        assert fingerprint(path) != original
        flip_byte(path, offset)
        assert fingerprint(path) == original

    with path.open("ab") as f:
        f.write(b"\0")
    assert fingerprint(path) != original


def test_fingerprint_of_a_large_file_skips_bytes_between_samples(tmp_path):
    """The documented trade-off: a large file is hashed by size and three samples only."""
    path = tmp_path / "film.mkv"
    path.write_bytes(np.random.default_rng(3).bytes(4 * MIB))
    original = fingerprint(path)
    flip_byte(path, MIB + MIB // 4)  # between the start and middle samples
    assert fingerprint(path) == original


def test_fingerprint_of_a_small_file_covers_every_byte(tmp_path):
    path = tmp_path / "short.mp4"
    path.write_bytes(np.random.default_rng(4).bytes(3 * MIB))
    original = fingerprint(path)
    flip_byte(path, MIB + MIB // 4)
    assert fingerprint(path) != original


def test_a_cache_under_a_file_does_not_raise_on_put(tmp_path, media):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    cache = AnalysisCache(blocker / "cache")
    key = cache.key(media, "shots", 1)
    cache.put_arrays(key, {"a": np.zeros(3)})
    cache.put_json(key, {"b": 1})
    assert cache.get_arrays(key) is None and cache.get_json(key) is None


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="needs POSIX permissions that apply (not root)")
def test_a_read_only_cache_dir_does_not_raise_on_put(tmp_path, media):
    root = tmp_path / "cache"
    root.mkdir()
    root.chmod(0o500)
    try:
        cache = AnalysisCache(root)
        key = cache.key(media, "shots", 1)
        cache.put_arrays(key, {"a": np.zeros(3)})
        cache.put_json(key, {"b": 1})
        assert cache.get_arrays(key) is None
    finally:
        root.chmod(0o700)


def test_cutwise_cache_dir_sets_the_default_location(tmp_path, monkeypatch):
    monkeypatch.setenv("CUTWISE_CACHE_DIR", str(tmp_path / "env-cache"))
    assert AnalysisCache().root == tmp_path / "env-cache" / "analysis"


def test_array_names_that_clash_with_savez_arguments_round_trip(cache, media):
    key = cache.key(media, "shots", 1)
    cache.put_arrays(key, {"file": np.arange(4), "allow_pickle": np.ones(2, np.float32)})
    got = cache.get_arrays(key)
    assert sorted(got) == ["allow_pickle", "file"]
    np.testing.assert_array_equal(got["file"], np.arange(4))
    np.testing.assert_array_equal(got["allow_pickle"], np.ones(2, np.float32))


def test_numpy_scalar_params_key_like_python_numbers(cache, media):
    assert cache.key(media, "shots", 1, {"k": np.int64(3), "s": np.float32(0.5)}) == \
        cache.key(media, "shots", 1, {"k": 3, "s": 0.5})


class _Result:
    def __init__(self, values, warnings=()):
        self.values, self.warnings = values, tuple(warnings)

    def to_arrays(self):
        return {"values": self.values}

    @classmethod
    def from_arrays(cls, arrays, warnings):
        return cls(arrays["values"], warnings) if "values" in arrays else None


def test_load_or_compute_stores_once_and_keeps_warnings(cache, media):
    from editor.core.cache import load_or_compute

    calls = []

    def compute():
        calls.append(1)
        return _Result(np.arange(3), ["frame 7 was damaged"])

    key = cache.key(media, "probe-like", 1)
    first, hit = load_or_compute(cache, key, compute, _Result.from_arrays)
    again, hit_again = load_or_compute(cache, key, compute, _Result.from_arrays)
    assert (hit, hit_again, len(calls)) == (False, True, 1)
    np.testing.assert_array_equal(again.values, first.values)
    assert again.warnings == ("frame 7 was damaged",)
    _, hit_without_cache = load_or_compute(None, None, compute, _Result.from_arrays)
    assert not hit_without_cache and len(calls) == 2


def test_cached_warnings_name_the_file_read_now(cache, media, tmp_path):
    """The cache is keyed by content: a copy (or the file renamed) hits the entry, and
    its warnings name the copy, not the file they were first found in."""
    from editor.core.cache import load_or_compute

    def compute():
        return _Result(np.arange(3), [f"{media}: skipped a damaged frame near 1.20 s"])

    load_or_compute(cache, cache.key(media, "shots", 1), compute, _Result.from_arrays,
                    media=media)
    copy = tmp_path / "renamed.mov"
    copy.write_bytes(media.read_bytes())
    again, hit = load_or_compute(cache, cache.key(copy, "shots", 1), compute,
                                 _Result.from_arrays, media=copy)
    assert hit and again.warnings == (f"{copy}: skipped a damaged frame near 1.20 s",)
