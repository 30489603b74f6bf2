#!/usr/bin/env bash
# Set up everything Cutwise needs on a Debian/Ubuntu machine, idempotently:
# the system libraries (libmpv for the player, the libraries Qt loads) and a virtual
# environment at .venv with the project and its test tools. Safe to run again: it only
# does what is missing. Called by `make run` and `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv
STAMP=$VENV/.cutwise-installed

# --- system libraries -----------------------------------------------------------------
# libmpv2 plays video in the preview; the others are what Qt needs to start, even offscreen.
SYSTEM_PACKAGES=(libmpv2 libgl1 libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3)
missing=()
if command -v dpkg-query >/dev/null; then
    for pkg in "${SYSTEM_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
fi
if ((${#missing[@]})); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "Installing system libraries: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "Cutwise needs these system libraries: ${missing[*]}" >&2
        echo "Install them with:  sudo apt-get install -y ${missing[*]}" >&2
        echo "(continuing: the player will be unavailable until libmpv2 is installed)" >&2
    fi
fi

# --- Python environment ---------------------------------------------------------------
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "Cutwise needs Python 3.11 or newer; $PYTHON is $("$PYTHON" --version 2>&1)." >&2
    exit 1
fi
[ -x $VENV/bin/python ] || "$PYTHON" -m venv $VENV
if [ ! -f $STAMP ] || [ pyproject.toml -nt $STAMP ] || [ constraints.txt -nt $STAMP ]; then
    echo "Installing Cutwise and its dependencies into $VENV (torch is large: a few minutes the first time)"
    $VENV/bin/python -m pip install -q --upgrade pip
    # opencv-contrib-python-headless replaced opencv-python-headless: both own the cv2
    # folder, so an older .venv loses both before the contrib one goes in alone
    if $VENV/bin/python -m pip show -q opencv-python-headless 2>/dev/null; then
        $VENV/bin/python -m pip uninstall -y -q opencv-python-headless opencv-contrib-python-headless
    fi
    # constraints.txt pins the torch/torchvision pair that imports together on these machines.
    $VENV/bin/python -m pip install -q -c constraints.txt -e '.[dev]'
    touch $STAMP
fi
