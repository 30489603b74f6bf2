"""Segment Anything checkpoints: the official list, download, "a file I already have", loading.

Checkpoints live in ``<user data dir>/models`` (``$CUTWISE_DATA_DIR/models`` when set).
A download resumes a ``.part`` file with an HTTP Range request and is verified against the
official SHA-256 before it is renamed into place; a file the user already has is verified
the same way and copied (or linked) in. Loading never unpickles code: the model is built
empty by segment-anything's builder and the state dict is read with
``torch.load(..., weights_only=True)``. torch is imported only when a model is loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from editor.core.errors import CutwiseError
from editor.core.progress import CancelToken, ProgressCallback, no_progress


class ModelError(CutwiseError):
    """A checkpoint is missing, corrupt, of the wrong kind or cannot be downloaded."""


@dataclass(frozen=True)
class ModelSpec:
    """One SAM architecture and its official checkpoint."""

    name: str
    url: str
    sha256: str
    size: int  # bytes of the official file
    embed_dim: int
    depth: int
    num_heads: int
    global_attn: tuple[int, ...]
    description: str = ""

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1] if self.url else f"sam_{self.name}.pth"

    def build_kwargs(self) -> dict:
        return {"encoder_embed_dim": self.embed_dim, "encoder_depth": self.depth,
                "encoder_num_heads": self.num_heads,
                "encoder_global_attn_indexes": list(self.global_attn)}


_BASE = "https://dl.fbaipublicfiles.com/segment_anything/"
#: The checkpoints of facebookresearch/segment-anything's README, with their SHA-256 sums.
OFFICIAL = {
    "vit_b": ModelSpec("vit_b", _BASE + "sam_vit_b_01ec64.pth",
                       "ec2df62732614e57411cdcf32a23ffdf28910380d03139ee0f4fcbe91eb8c912",
                       375_042_383, 768, 12, 12, (2, 5, 8, 11),
                       "ViT-B, 91M parameters: fastest, 375 MB"),
    "vit_l": ModelSpec("vit_l", _BASE + "sam_vit_l_0b3195.pth",
                       "3adcc4315b642a4d2101128f611684e8734c41232a17c648ed1693702a49a622",
                       1_249_524_607, 1024, 24, 16, (5, 11, 17, 23),
                       "ViT-L, 308M parameters: 1.2 GB"),
    "vit_h": ModelSpec("vit_h", _BASE + "sam_vit_h_4b8939.pth",
                       "a7bf3b02f3ebf1267aba913ff637d9a2d5c33d3173bb679e46d9f338c26f262e",
                       2_564_550_879, 1280, 32, 16, (7, 15, 23, 31),
                       "ViT-H, 636M parameters: best quality, 2.6 GB"),
}


def default_models_dir() -> Path:
    env = os.environ.get("CUTWISE_DATA_DIR")
    if env:
        return Path(env) / "models"
    import platformdirs

    return Path(platformdirs.user_data_dir("cutwise", appauthor=False)) / "models"


def sha256_of(path: Path, cancel: CancelToken | None = None,
              progress: ProgressCallback = no_progress) -> str:
    digest = hashlib.sha256()
    total, done = path.stat().st_size, 0
    with path.open("rb") as f:
        while block := f.read(4 << 20):
            digest.update(block)
            done += len(block)
            progress(done, total, "verifying")
            if cancel is not None:
                cancel.raise_if_cancelled()
    return digest.hexdigest()


@dataclass
class ModelManager:
    """Where checkpoints are, which are installed, and how to get and load them.

    ``specs`` is the registry of known models; tests and plugins add their own
    (:meth:`register`), e.g. a tiny SAM with its own SHA-256: verification is never skipped.
    """

    root: Path = field(default_factory=default_models_dir)
    specs: dict[str, ModelSpec] = field(default_factory=lambda: dict(OFFICIAL))
    opener: Callable = urllib.request.urlopen

    def register(self, spec: ModelSpec) -> None:
        self.specs[spec.name] = spec

    def spec(self, name: str) -> ModelSpec:
        try:
            return self.specs[name]
        except KeyError:
            raise ModelError(f"Unknown model '{name}' (known: {', '.join(self.specs)}).") from None

    def path_of(self, name: str) -> Path:
        return self.root / self.spec(name).filename

    def installed(self, name: str) -> bool:
        return self.path_of(name).is_file()

    def first_installed(self, preferred: tuple[str, ...] = ("vit_b", "vit_l", "vit_h")) -> str | None:
        for name in preferred:
            if name in self.specs and self.installed(name):
                return name
        return None

    def listing(self) -> list[dict]:
        out = []
        for spec in self.specs.values():
            path = self.path_of(spec.name)
            part = path.with_name(path.name + ".part")
            out.append({"name": spec.name, "description": spec.description, "url": spec.url,
                        "sha256": spec.sha256, "size": spec.size, "path": str(path),
                        "installed": path.is_file(),
                        "partial_bytes": part.stat().st_size if part.is_file() else 0})
        return out

    # --- getting a checkpoint -------------------------------------------------------------
    def download(self, name: str, *, progress: ProgressCallback = no_progress,
                 cancel: CancelToken | None = None) -> Path:
        """Fetch ``name``'s official checkpoint, resuming a partial download, and verify it."""
        spec = self.spec(name)
        target = self.path_of(name)
        if target.is_file():
            return target
        self.root.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        have = part.stat().st_size if part.is_file() else 0
        if spec.size and have > spec.size:
            part.unlink()
            have = 0
        if not spec.size or have < spec.size:
            request = urllib.request.Request(spec.url, headers={"User-Agent": "cutwise"})
            if have:
                request.add_header("Range", f"bytes={have}-")
            try:
                response = self.opener(request, timeout=60)
            except (urllib.error.URLError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                raise ModelError(f"Could not download {name} from {spec.url}: {reason}. "
                                 f"Download it yourself and run 'cutwise models add {name} "
                                 f"FILE'.") from None
            with response:
                status = getattr(response, "status", 200)
                mode = "ab" if have and status == 206 else "wb"
                have = have if mode == "ab" else 0  # the server ignored the Range: start over
                try:
                    with part.open(mode) as f:
                        while chunk := response.read(1 << 20):
                            f.write(chunk)
                            have += len(chunk)
                            progress(have, spec.size, f"downloading {name}")
                            if cancel is not None and cancel.cancelled:
                                cancel.raise_if_cancelled()  # the .part stays for a resume
                except OSError as exc:
                    raise ModelError(f"Download of {name} stopped: {exc}. Run the same "
                                     "command again to resume.") from None
        digest = sha256_of(part, cancel, progress)
        if digest != spec.sha256:
            part.unlink()
            raise ModelError(f"The download of {name} is corrupt (SHA-256 {digest[:12]}…, "
                             f"expected {spec.sha256[:12]}…); it was deleted, try again.")
        os.replace(part, target)
        self._mark_verified(target)
        return target

    def add(self, name: str, source: str | os.PathLike, *, link: bool = False,
            progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> Path:
        """Install a checkpoint the user already has, after checking it is ``name``'s."""
        spec = self.spec(name)
        source = Path(source)
        if not source.is_file():
            raise ModelError(f"{source} does not exist or is not a file.")
        digest = sha256_of(source, cancel, progress)
        if digest != spec.sha256:
            other = next((s.name for s in self.specs.values() if s.sha256 == digest), None)
            hint = f"it is the {other} checkpoint" if other else "the file is not the official " \
                f"{name} checkpoint (corrupt, cut short or a different model)"
            raise ModelError(f"{source} does not match {name}'s SHA-256: {hint}.")
        target = self.path_of(name)
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".adding")
        tmp.unlink(missing_ok=True)
        if link:
            os.symlink(source.resolve(), tmp)
        else:
            shutil.copyfile(source, tmp)
        os.replace(tmp, target)
        self._mark_verified(target)
        return target

    # --- verification memo: hash a 2.5 GB file once, not at every load ----------------------
    def _stamp_path(self, path: Path) -> Path:
        return path.with_name(path.name + ".verified")

    def _mark_verified(self, path: Path) -> None:
        st = path.stat()
        self._stamp_path(path).write_text(json.dumps({"size": st.st_size, "mtime": st.st_mtime_ns}))

    def verify(self, name: str, cancel: CancelToken | None = None) -> Path:
        """``name``'s installed checkpoint, checked against its SHA-256 (memoised by size+mtime)."""
        spec = self.spec(name)
        path = self.path_of(name)
        if not path.is_file():
            hint = f"cutwise models download {name}" if spec.url else \
                f"cutwise models add {name} FILE"
            raise ModelError(f"The {name} checkpoint is not installed (run '{hint}', or use "
                             "the GrabCut fallback).")
        st = path.stat()
        try:
            stamp = json.loads(self._stamp_path(path).read_text())
            if stamp == {"size": st.st_size, "mtime": st.st_mtime_ns}:
                return path
        except (OSError, ValueError):
            pass
        if sha256_of(path, cancel) != spec.sha256:
            raise ModelError(f"{path} is corrupt (its SHA-256 does not match the official "
                             f"{name} checkpoint); delete it and download it again.")
        self._mark_verified(path)
        return path

    # --- loading --------------------------------------------------------------------------
    def load(self, name: str, cancel: CancelToken | None = None):
        """The verified installed ``name`` model (a segment-anything ``Sam``), in eval mode."""
        return load_checkpoint(self.verify(name, cancel), self.spec(name), self.specs.values())


def checkpoint_file(path: str | os.PathLike) -> Path:
    """``path`` as a Path, or :class:`ModelError` when no such file is there."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path} does not exist or is not a file.")
    return path


def load_checkpoint(path: str | os.PathLike, spec: ModelSpec | None = None, known=()):
    """Build a SAM and load ``path``'s weights safely (``weights_only=True``).

    Without ``spec`` the architecture is read from the weights (embedding width and depth),
    so any vit_b/l/h checkpoint (or fine-tune of one) loads.
    """
    import torch
    from segment_anything.build_sam import _build_sam

    path = checkpoint_file(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated zip, pickle with code, not a torch file at all
        raise ModelError(f"{path} is not a readable SAM checkpoint "
                         f"({type(exc).__name__}: {str(exc).splitlines()[0][:120]}).") from None
    if isinstance(state, dict) and "model" in state and isinstance(state["model"], dict):
        state = state["model"]
    key = "image_encoder.patch_embed.proj.weight"
    if not isinstance(state, dict) or key not in state:
        raise ModelError(f"{path} is a PyTorch file but not a Segment Anything checkpoint.")
    embed_dim = int(state[key].shape[0])
    depth = len({k.split(".")[2] for k in state if k.startswith("image_encoder.blocks.")})
    found = _kind_of(embed_dim, depth, [*(known or ()), *OFFICIAL.values()])
    if spec is not None and (spec.embed_dim, spec.depth) != (embed_dim, depth):
        what = f"a {found.name} checkpoint" if found else \
            f"a SAM with width {embed_dim} and depth {depth}"
        raise ModelError(f"{path} is {what}, not {spec.name}.")
    spec = spec or found
    if spec is None:
        raise ModelError(f"{path} is a SAM of an unknown size (width {embed_dim}, depth {depth}).")
    model = _build_sam(checkpoint=None, **spec.build_kwargs())
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise ModelError(f"{path} does not fit the {spec.name} model: "
                         f"{str(exc).splitlines()[0][:160]}") from None
    return model.eval()


def _kind_of(embed_dim: int, depth: int, specs) -> ModelSpec | None:
    return next((s for s in specs if (s.embed_dim, s.depth) == (embed_dim, depth)), None)
