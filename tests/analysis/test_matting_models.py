"""The SAM model manager and the SAM backend, with a tiny SAM built by segment-anything's
own builder (random weights: its masks mean nothing, the code paths are the real ones)."""

from __future__ import annotations

import hashlib
import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("segment_anything")

from editor.analysis.matting import Prompt, make_segmenter, matte
from editor.analysis.matting.propagate import FrameSource
from editor.analysis.matting.models import (
    OFFICIAL,
    ModelError,
    ModelManager,
    ModelSpec,
    load_checkpoint,
)
from editor.analysis.matting.sam import EmbeddingCache, SamSegmenter, select_device
from tests.analysis.test_matting import make_subject_clip

TINY = dict(embed_dim=64, depth=2, num_heads=2, global_attn=(1,))


def test_official_checkpoints_are_listed_with_their_sums():
    assert OFFICIAL["vit_b"].sha256 == "ec2df62732614e57411cdcf32a23ffdf28910380d03139ee0f4fcbe91eb8c912"
    assert OFFICIAL["vit_h"].url.endswith("sam_vit_h_4b8939.pth")
    assert all(len(s.sha256) == 64 for s in OFFICIAL.values())


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    from segment_anything.build_sam import _build_sam

    torch.manual_seed(0)
    model = _build_sam(encoder_embed_dim=64, encoder_depth=2, encoder_num_heads=2,
                       encoder_global_attn_indexes=[1], checkpoint=None)
    path = tmp_path_factory.mktemp("ckpt") / "sam_tiny.pth"
    torch.save(model.state_dict(), path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return path, digest


def tiny_spec(digest: str, url: str = "") -> ModelSpec:
    return ModelSpec("tiny", url, digest, 0, **TINY, description="test SAM")


@pytest.fixture
def manager(tmp_path, tiny_checkpoint):
    path, digest = tiny_checkpoint
    m = ModelManager(root=tmp_path / "models")
    m.register(ModelSpec("tiny", "", digest, path.stat().st_size, **TINY))
    return m


def test_add_a_file_i_already_have_then_load_it(manager, tiny_checkpoint, tmp_path):
    path, _ = tiny_checkpoint
    assert manager.first_installed(("tiny",)) is None
    with pytest.raises(ModelError, match="not installed"):
        manager.load("tiny")
    manager.add("tiny", path)
    assert manager.installed("tiny")
    model = manager.load("tiny")
    assert model.image_encoder.patch_embed.proj.weight.shape[0] == 64
    assert not model.training


def test_a_file_that_is_not_the_model_is_refused(manager, tmp_path, tiny_checkpoint):
    wrong = tmp_path / "other.pth"
    wrong.write_bytes(b"x" * 100)
    with pytest.raises(ModelError, match="does not match tiny's SHA-256"):
        manager.add("tiny", wrong)
    with pytest.raises(ModelError, match="it is the tiny checkpoint"):
        manager.add("vit_b", tiny_checkpoint[0])
    with pytest.raises(ModelError, match="Unknown model"):
        manager.add("vit_x", wrong)


def test_corrupt_wrong_kind_and_unsafe_checkpoints(tiny_checkpoint, tmp_path):
    path, _ = tiny_checkpoint
    cut = tmp_path / "cut.pth"
    cut.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(ModelError, match="not a readable SAM checkpoint"):
        load_checkpoint(cut)
    with pytest.raises(ModelError, match="not vit_b"):
        load_checkpoint(path, OFFICIAL["vit_b"], [tiny_spec("0" * 64)])
    other = tmp_path / "not_sam.pth"
    torch.save({"weight": torch.zeros(3)}, other)
    with pytest.raises(ModelError, match="not a Segment Anything checkpoint"):
        load_checkpoint(other)
    unsafe = tmp_path / "code.pth"
    torch.save({"f": partial(print, "hi")}, unsafe)  # a pickled callable: refused by weights_only
    with pytest.raises(ModelError, match="not a readable SAM checkpoint"):
        load_checkpoint(unsafe)
    with pytest.raises(ModelError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pth")


def test_a_verified_file_that_changes_is_caught(manager, tiny_checkpoint):
    manager.add("tiny", tiny_checkpoint[0])
    target = manager.path_of("tiny")
    data = bytearray(target.read_bytes())
    data[-10] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="is corrupt"):
        manager.load("tiny")


class _RangeHandler(BaseHTTPRequestHandler):
    """Serves one file, honouring ``Range: bytes=N-`` as dl.fbaipublicfiles.com does."""

    payload = b""
    ranges: list = []

    def do_GET(self):
        data, status = self.payload, 200
        header = self.headers.get("Range")
        type(self).ranges.append(header)
        if header:
            start = int(header.split("=")[1].split("-")[0])
            data, status = data[start:], 206
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tiny_checkpoint):
    path, _ = tiny_checkpoint
    _RangeHandler.payload, _RangeHandler.ranges = path.read_bytes(), []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _RangeHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/sam_tiny.pth"
    httpd.shutdown()


def test_download_resumes_a_partial_file_and_verifies(tmp_path, tiny_checkpoint, server):
    path, digest = tiny_checkpoint
    m = ModelManager(root=tmp_path / "models")
    m.register(ModelSpec("tiny", server, digest, path.stat().st_size, **TINY))
    m.root.mkdir(parents=True)
    part = m.path_of("tiny").with_name("sam_tiny.pth.part")
    part.write_bytes(path.read_bytes()[:1_000_000])  # an interrupted earlier download
    seen = []
    target = m.download("tiny", progress=lambda done, total, msg="": seen.append(done))
    assert _RangeHandler.ranges == ["bytes=1000000-"]
    assert target.read_bytes() == path.read_bytes() and not part.exists()
    assert seen and seen[-1] == path.stat().st_size
    assert m.load("tiny") is not None


def test_a_corrupt_download_is_deleted(tmp_path, server):
    m = ModelManager(root=tmp_path / "models")
    m.register(ModelSpec("tiny", server, "0" * 64, 0, **TINY))
    with pytest.raises(ModelError, match="corrupt"):
        m.download("tiny")
    assert list(m.root.iterdir()) == []


def test_unreachable_download_says_what_to_do(tmp_path):
    m = ModelManager(root=tmp_path / "models")
    m.register(ModelSpec("tiny", "http://127.0.0.1:9/nothing.pth", "0" * 64, 10, **TINY))
    with pytest.raises(ModelError, match="cutwise models add tiny FILE"):
        m.download("tiny")


# --- the SAM backend -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_sam(tiny_checkpoint):
    return load_checkpoint(tiny_checkpoint[0], tiny_spec(tiny_checkpoint[1]))


def test_auto_backend_picks_sam_when_installed_else_grabcut(manager, tiny_checkpoint):
    notes = []
    assert make_segmenter("auto", manager=manager, on_warning=notes.append).name == "grabcut"
    assert "GrabCut fallback" in notes[0]
    manager.add("tiny", tiny_checkpoint[0])
    seg = make_segmenter("auto", model="tiny", manager=manager, device="cpu")
    assert isinstance(seg, SamSegmenter) and seg.device == "cpu" and not seg.bf16
    assert seg.batch_size == 1  # batching is for CUDA by default
    notes.clear()  # where only boxes are wanted (a reframe subject), not SAM on a CPU
    seg = make_segmenter("auto", model="tiny", manager=manager, gpu_only=True,
                         on_warning=notes.append)
    if select_device() == "cpu":
        assert seg.name == "grabcut" and "no GPU" in notes[0] and "'sam'" in notes[0]
    else:
        assert isinstance(seg, SamSegmenter) and notes == []
    assert isinstance(make_segmenter("sam", model="tiny", manager=manager, gpu_only=True),
                      SamSegmenter)  # asked for by name: SAM wherever it runs


def test_sam_propagates_through_a_shot_in_batches(tiny_sam, tmp_path, monkeypatch):
    path = tmp_path / "clip.mp4"
    make_subject_clip(path, frames=4)
    seg = SamSegmenter(tiny_sam, device="cpu", batch_size=2)

    def no_motion_cue(*args, **kwargs):
        raise AssertionError("decoded nearby frames for a motion cue SAM does not use")

    monkeypatch.setattr(FrameSource, "neighbours", no_motion_cue)
    session = matte(path, [Prompt(1, [(70, 50, 1)], box=(55, 15, 90, 95))], segmenter=seg,
                    shot=(0, 3), folder=tmp_path / "s")
    assert sorted(session.frames) == list(range(4))  # forward 1-3, backward 0
    assert session.read_mask(3).shape == (108, 192) and session.backend.startswith("sam (cpu")


def test_sam_on_a_cpu_it_chose_itself_says_so(tiny_sam):
    notes = []
    seg = SamSegmenter(tiny_sam, on_warning=notes.append)
    if seg.device == "cpu":  # no GPU here: the user hears that it will be slow
        assert len(notes) == 1 and "CPU" in notes[0] and "GrabCut" in notes[0]
    else:
        assert notes == []
    before = len(notes)
    SamSegmenter(tiny_sam, device="cpu", on_warning=notes.append)  # asked for: no note
    assert len(notes) == before


def test_out_of_memory_halves_the_batch_and_keeps_the_results(tiny_sam):
    """The encoder raises torch's OOM error for batches above 1, as a full GPU would."""
    images = [np.full((108, 192, 3), 90 * i, np.uint8) for i in range(2)]
    reference = SamSegmenter(tiny_sam, device="cpu", batch_size=1).prepare(images)
    notes = []
    seg = SamSegmenter(tiny_sam, device="cpu", batch_size=2, on_warning=notes.append)
    real = seg.encoder

    def small_gpu(batch):
        if batch.shape[0] > 1:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return real(batch)

    seg.encoder = small_gpu
    out = seg.prepare(images)
    assert seg.batch_size == 1 and len(out) == 2
    assert notes == ["GPU out of memory: encoder batch lowered to 1"]
    for a, b in zip(out, reference):
        torch.testing.assert_close(a["features"], b["features"], rtol=1e-4, atol=1e-4)


def test_out_of_memory_at_batch_one_on_cpu_is_an_error_not_a_loop(tiny_sam):
    seg = SamSegmenter(tiny_sam, device="cpu", batch_size=1)

    def no_memory(batch):
        raise torch.OutOfMemoryError("simulated")

    seg.encoder = no_memory
    with pytest.raises(MemoryError):
        seg.prepare([np.zeros((32, 32, 3), np.uint8)])


def test_embedding_cache_keeps_a_few_frames(tiny_sam):
    seg = SamSegmenter(tiny_sam, device="cpu")
    cache = EmbeddingCache(seg, size=1)
    img = np.zeros((64, 64, 3), np.uint8)
    first = cache.get(1, img)
    assert cache.get(1, img) is first
    cache.get(2, img)
    assert list(cache._items) == [2]


needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.mark.gpu
@needs_cuda
def test_cuda_bf16_batched_encoder_agrees_with_the_cpu(tiny_sam, tmp_path):
    images = [np.asarray(np.random.default_rng(i).integers(0, 255, (108, 192, 3)), np.uint8)
              for i in range(4)]
    reference = SamSegmenter(tiny_sam, device="cpu", batch_size=1).prepare(images)
    seg = SamSegmenter(tiny_sam, device="cuda", batch_size=4)
    assert seg.bf16 and seg.name == "sam (cuda, bf16)"
    for a, b in zip(seg.prepare(images), reference):
        cosine = torch.nn.functional.cosine_similarity(a["features"].cpu().flatten(),
                                                       b["features"].flatten(), dim=0)
        assert cosine > 0.99
    path = tmp_path / "clip.mp4"
    make_subject_clip(path, frames=6)
    session = matte(path, [Prompt(0, [(70, 50, 1)])], segmenter=seg, shot=(0, 5),
                    folder=tmp_path / "s")
    assert sorted(session.frames) == list(range(6)) and session.backend == "sam (cuda, bf16)"


@pytest.mark.gpu
@needs_cuda
def test_a_real_cuda_out_of_memory_halves_the_batch(tiny_sam):
    """GPU memory capped at 1.5 GB: a batch of 32 frames cannot be encoded at once."""
    images = [np.full((108, 192, 3), 7 * i, np.uint8) for i in range(32)]
    notes = []
    seg = SamSegmenter(tiny_sam, device="cuda", batch_size=32, bf16=False,
                       on_warning=notes.append)
    total = torch.cuda.get_device_properties(0).total_memory
    torch.cuda.empty_cache()
    torch.cuda.set_per_process_memory_fraction(1.5 * 2**30 / total)
    try:
        out = seg.prepare(images)
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0)
    assert len(out) == 32 and seg.device == "cuda" and 1 <= seg.batch_size < 32
    assert notes and notes[0].startswith("GPU out of memory: encoder batch lowered to 16")
    reference = SamSegmenter(tiny_sam, device="cuda", batch_size=1, bf16=False).prepare(images[-1:])
    torch.testing.assert_close(out[-1]["features"], reference[0]["features"], rtol=1e-3, atol=1e-3)


@pytest.mark.gpu
@needs_cuda
def test_cuda_features_read_as_soon_as_queued_are_complete(tiny_sam):
    """The encoder runs on a stream of its own, a batch ahead: a read right after
    prepare() must wait for it, not see half-computed features."""
    import copy

    images = [np.asarray(np.random.default_rng(i).integers(0, 255, (540, 960, 3)), np.uint8)
              for i in range(16)]
    seg = SamSegmenter(copy.deepcopy(tiny_sam), device="cuda", batch_size=8, bf16=False)
    at_once = [e["features"].clone() for e in seg.prepare(images)]
    torch.cuda.synchronize()
    settled = seg.prepare(images)
    torch.cuda.synchronize()
    for a, b in zip(at_once, settled):
        torch.testing.assert_close(a, b["features"])


def test_fused_attention_gives_the_encoders_own_result():
    from segment_anything.build_sam import _build_sam

    from editor.analysis.matting.sam import use_fused_attention

    torch.manual_seed(1)
    model = _build_sam(encoder_embed_dim=64, encoder_depth=2, encoder_num_heads=2,
                       encoder_global_attn_indexes=[1], checkpoint=None).eval()
    with torch.no_grad():  # trained position tables are not zero: make them count here
        for name, param in model.image_encoder.named_parameters():
            if "rel_pos" in name:
                param.normal_(0, 0.5)
    image = torch.randn(2, 3, 1024, 1024)
    with torch.inference_mode():
        reference = model.image_encoder(image)
        use_fused_attention(model)
        fused = model.image_encoder(image)
    assert not torch.equal(fused, reference)  # another code path ...
    torch.testing.assert_close(fused, reference, rtol=1e-4, atol=1e-4)  # ... same features
