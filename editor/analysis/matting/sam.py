"""Segment Anything as a propagation backend: device choice, bf16, batched encoder, OOM fallback.

The image encoder (the expensive part) runs on a batch of frames at once; the mask
decoder then runs frame by frame with the carried prompts (box, an interior point and
last frame's low-res mask logits). On CUDA the encoder runs under bf16 autocast,
optionally ``torch.compile``d; an out-of-memory error halves the batch and retries, and
at a batch of one the model moves to the CPU with a warning instead of crashing. The same
code runs on MPS and on the CPU (batch 1, float32), which is what the tests exercise.
Only one batch of embeddings is alive at a time; :class:`EmbeddingCache` keeps a few for
the interactive preview.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from editor.analysis.matting.types import Prompt, Segment, bbox, interior_point, iou


def select_device(requested: str | None = None) -> str:
    """``requested`` if given, else CUDA, then Apple's MPS, then the CPU."""
    import torch

    if requested:
        return requested
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def out_of_memory_types():
    import torch

    kinds = [getattr(torch, "OutOfMemoryError", None), getattr(torch.cuda, "OutOfMemoryError", None)]
    return tuple(k for k in kinds if k is not None)


def use_fused_attention(model) -> None:
    """Run the image encoder's attention through ``torch.nn.functional.scaled_dot_product_attention``.

    segment-anything builds each attention map in full (the softmax in float32 under
    autocast) and re-indexes its relative-position tables on every call, a host-side
    index that waits for the GPU. Here the tables are indexed once per input size and
    added as the fused kernel's bias, as segment-anything-fast does: the same result
    (to rounding), less memory, no stall.
    """
    import types

    from segment_anything.modeling.image_encoder import Attention

    for module in model.image_encoder.modules():
        if isinstance(module, Attention) and not hasattr(module, "rel_tables"):
            module.rel_tables = {}
            module.forward = types.MethodType(_fused_attention_forward, module)


def _fused_attention_forward(self, x):
    import torch
    import torch.nn.functional as F
    from segment_anything.modeling.image_encoder import get_rel_pos

    b, h, w, _ = x.shape
    heads = self.num_heads
    q, k, v = self.qkv(x).reshape(b, h * w, 3, heads, -1).permute(2, 0, 3, 1, 4).unbind(0)
    bias = None
    if self.use_rel_pos:
        key = (h, w, self.rel_pos_h.device)
        if key not in self.rel_tables:
            self.rel_tables[key] = (get_rel_pos(h, h, self.rel_pos_h).detach(),
                                    get_rel_pos(w, w, self.rel_pos_w).detach())
        table_h, table_w = self.rel_tables[key]
        r_q = q.reshape(b * heads, h, w, -1)
        rel_h = torch.einsum("bhwc,hkc->bhwk", r_q, table_h.to(r_q.dtype))
        rel_w = torch.einsum("bhwc,wkc->bhwk", r_q, table_w.to(r_q.dtype))
        bias = (rel_h[:, :, :, :, None] + rel_w[:, :, :, None, :]).reshape(b, heads, h * w, h * w)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
    return self.proj(out.reshape(b, heads, h, w, -1).permute(0, 2, 3, 1, 4).reshape(b, h, w, -1))


class Embedding(dict):
    """One frame's encoder output: ``features``, ``input_size``, ``original_size``.

    Made on CUDA on the encoder's own stream (``ready``: the event after it): the first
    read of ``features`` makes the reading stream wait for that event, and tells the
    allocator that stream uses the memory. So the next batch is encoded while the one
    before it is tracked, and no reader can see features that are not there yet.
    """

    def __init__(self, *, ready=None, **items):
        super().__init__(**items)
        self._ready = ready

    def __getitem__(self, key):
        value = super().__getitem__(key)
        if key == "features" and self._ready is not None:
            import torch

            stream = torch.cuda.current_stream(value.device)
            stream.wait_event(self._ready)
            value.record_stream(stream)
            self._ready = None
        return value

    def get(self, key, default=None):
        return self[key] if key in self else default


class SamSegmenter:
    """A loaded SAM (``segment_anything.modeling.Sam``) driven frame by frame."""

    name = "sam"
    lower_quality = False
    uses_motion = False

    def __init__(self, model, *, device: str | None = None, batch_size: int | None = None,
                 bf16: bool | None = None, compile: bool = False,
                 on_warning: Callable[[str], None] | None = None):
        import torch
        from segment_anything import SamPredictor

        self.device = select_device(device)
        self.model = model.to(self.device).eval()
        use_fused_attention(self.model)
        self.bf16 = (self.device == "cuda") if bf16 is None else bf16
        self.batch_size = batch_size or (8 if self.device == "cuda" else 1)
        self._stream = None  # the encoder's CUDA stream, made when first needed
        self.warn = on_warning or (lambda message: None)
        if device is None and self.device == "cpu":
            self.warn("No GPU found: Segment Anything runs on the CPU, seconds a frame; the "
                      "GrabCut backend is much faster (lower quality).")
        self.predictor = SamPredictor(self.model)
        self.encoder = self.model.image_encoder
        if compile and self.device == "cuda":
            self.encoder = torch.compile(self.encoder)
        self.name = f"sam ({self.device}{', bf16' if self.bf16 else ''})"

    # --- the image encoder, batched ---------------------------------------------------------
    def _autocast(self):
        import torch

        if self.bf16:
            return torch.autocast(device_type=self.device, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _to_input(self, image: np.ndarray):
        import torch

        transform = self.predictor.transform
        size = transform.get_preprocess_shape(*image.shape[:2], transform.target_length)
        # frames come at the encoder's size already (the session's analysis size): a
        # resize through PIL would only copy them
        resized = image if size == image.shape[:2] else transform.apply_image(image)
        x = torch.as_tensor(resized, device=self.device).permute(2, 0, 1).contiguous()
        return self.model.preprocess(x[None].float()), tuple(resized.shape[:2])

    def _encode(self, batch):
        import torch

        with torch.inference_mode(), self._autocast():
            return self.encoder(batch)

    def prepare(self, images: list[np.ndarray]) -> list[Embedding]:
        """Embeddings for ``images`` (one batch); halves the batch on out-of-memory. On
        CUDA the encoder runs on a stream of its own and this returns once its work is
        queued: the frames before this batch are tracked meanwhile (see :class:`Embedding`)."""
        import torch

        inputs = [self._to_input(img) for img in images]
        out: list[Embedding] = []
        start = 0
        while start < len(inputs):
            size = min(self.batch_size, len(inputs) - start)
            chunk = inputs[start:start + size]
            side = self._encoder_stream()
            try:
                batch = torch.cat([x for x, _ in chunk])
                if side is not None:
                    side.wait_stream(torch.cuda.current_stream())  # its input is made
                    batch.record_stream(side)
                on_side = torch.cuda.stream(side) if side is not None else contextlib.nullcontext()
                with on_side:  # (torch.cuda.stream(None) asks for a device even off CUDA)
                    features = self._encode(batch)
                    parts = [features[i:i + 1].float() for i in range(size)]
                ready = None
                if side is not None:
                    ready = torch.cuda.Event()
                    ready.record(side)
            except out_of_memory_types():
                if self.device == "cuda":
                    torch.cuda.empty_cache()
                if size > 1:
                    self.batch_size = size // 2
                    self.warn(f"GPU out of memory: encoder batch lowered to {self.batch_size}")
                    continue
                self._fall_back_to_cpu()
                inputs = [self._to_input(img) for img in images]
                continue
            for i, (_, input_size) in enumerate(chunk):
                out.append(Embedding(features=parts[i], input_size=input_size,
                                     original_size=images[start + i].shape[:2], ready=ready))
            start += size
        return out

    def _encoder_stream(self):
        """The CUDA stream the encoder runs on (made once), or None off CUDA."""
        import torch

        if self.device != "cuda":
            return None
        if self._stream is None:
            self._stream = torch.cuda.Stream()
        return self._stream

    def _fall_back_to_cpu(self) -> None:
        import torch

        if self.device == "cpu":
            raise MemoryError("out of memory on the CPU while encoding one frame")
        self.warn("GPU out of memory even at batch 1: SAM continues on the CPU (slower)")
        self.device, self.bf16, self.batch_size = "cpu", False, 1
        self.model = self.model.to("cpu")
        self.encoder = self.model.image_encoder
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        self.name = "sam (cpu after GPU out of memory)"

    # --- the mask decoder -------------------------------------------------------------------
    def _predict(self, feature: dict, points=None, labels=None, box=None, logits=None,
                 multimask: bool = True):
        import torch

        p = self.predictor
        p.features, p.input_size, p.original_size = (feature["features"], feature["input_size"],
                                                     feature["original_size"])
        p.is_image_set = True
        with torch.inference_mode():
            masks, scores, low_res = p.predict(point_coords=points, point_labels=labels, box=box,
                                               mask_input=logits, multimask_output=multimask)
        return masks, scores, low_res

    def from_prompt(self, feature, image, prompt: Prompt, neighbours=()) -> Segment:
        points = np.array([[x, y] for x, y, _ in prompt.points], np.float32) if prompt.points else None
        labels = np.array([lab for _, _, lab in prompt.points], np.int32) if prompt.points else None
        box = np.array(prompt.box, np.float32) if prompt.box is not None else None
        single = box is None and len(prompt.points) == 1
        masks, scores, low_res = self._predict(feature, points, labels, box, multimask=single)
        best = int(np.argmax(scores))
        return Segment(masks[best], float(scores[best]), low_res[best:best + 1])

    def track(self, feature, image, prior: Segment, evidence=None) -> Segment:
        found = bbox(prior.mask)
        if found is None:
            return Segment(np.zeros_like(prior.mask), 0.0)
        x0, y0, x1, y1 = found
        pad = 0.1 * max(x1 - x0, y1 - y0)
        h, w = prior.mask.shape
        box = np.array([max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)],
                       np.float32)
        point = interior_point(prior.mask)
        masks, scores, low_res = self._predict(
            feature, np.array([point], np.float32), np.array([1], np.int32), box,
            prior.logits, multimask=True)
        agreement = [iou(m, prior.mask) for m in masks]
        best = int(np.argmax(np.array(agreement) + 0.25 * np.asarray(scores)))
        return Segment(masks[best], float(scores[best]), low_res[best:best + 1])


class EmbeddingCache:
    """The last few frames' embeddings, for instant previews while the user clicks."""

    def __init__(self, segmenter, size: int = 4):
        self.segmenter, self.size = segmenter, size
        self._items: OrderedDict[int, object] = OrderedDict()

    def get(self, frame: int, image: np.ndarray):
        if frame in self._items:
            self._items.move_to_end(frame)
            return self._items[frame]
        feature = self.segmenter.prepare([image])[0]
        self._items[frame] = feature
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return feature
