"""PyInstaller runtime hook: let the bundle use the user's own torch (CPU, CUDA or MPS).

The bundle ships without torch/torchvision/segment-anything (several GB, and the right
build depends on the user's GPU). Matting finds them in ``$CUTWISE_TORCH_SITE`` or, if
unset, in ``<user data dir>/cutwise/python``: a folder filled with
``python3.11 -m pip install --target <folder> torch torchvision segment-anything``.
"""

import os
import sys
from pathlib import Path


def _torch_site() -> Path:
    explicit = os.environ.get("CUTWISE_TORCH_SITE")
    if explicit:
        return Path(explicit)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "cutwise" / "python"


_site = _torch_site()
if _site.is_dir() and str(_site) not in sys.path:
    sys.path.append(str(_site))
