#!/usr/bin/env bash
# Build the Linux desktop bundle with PyInstaller and smoke-test it:
#   dist/cutwise/                    the app folder (cutwise-gui, cutwise, .desktop, icon)
#   dist/cutwise-linux-x86_64.tar.gz the same, packed
# The smoke test starts the bundled app offscreen on the demo project and checks that it
# exits 0 with a picture of the window, and that the bundled CLI exports the demo
# timeline through the OpenTimelineIO adapters. Takes minutes: not part of `make test`/CI.
#   packaging/build_linux.sh [--install]   (--install: link it into ~/.local for the menu)
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
[ -x "$PY" ] || bash packaging/bootstrap.sh
"$PY" -c "import PyInstaller" 2>/dev/null || "$PY" -m pip install -q "pyinstaller>=6.10"

started=$(date +%s)
"$PY" -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
    packaging/cutwise.spec
ln -sf cutwise-gui dist/cutwise/cutwise
cp packaging/cutwise.desktop resources/cutwise.png resources/cutwise.svg dist/cutwise/
built=$(date +%s)

echo "--- smoke test"
smoke=$(mktemp -d)
trap 'rm -rf "$smoke"' EXIT
export CUTWISE_DATA_DIR="$smoke/data" CUTWISE_CACHE_DIR="$smoke/cache"
QT_QPA_PLATFORM=offscreen timeout 120 dist/cutwise/cutwise-gui --demo --snapshot "$smoke/window.png"
test -s "$smoke/window.png" || { echo "smoke test: no window picture" >&2; exit 1; }
dist/cutwise/cutwise --version
dist/cutwise/cutwise demo --out "$smoke/demo" -q >/dev/null
for ext in otio xml fcpxml edl; do
    dist/cutwise/cutwise export "$smoke/demo/demo.cutwise" -o "$smoke/demo.$ext" -q
done
dist/cutwise/cutwise import "$smoke/demo.otio" -o "$smoke/back.cutwise" -q
cp "$smoke/window.png" dist/smoke-window.png
smoked=$(date +%s)
echo "smoke test passed"

tar czf dist/cutwise-linux-x86_64.tar.gz -C dist cutwise
if [ "${1:-}" = "--install" ]; then
    mkdir -p ~/.local/bin ~/.local/share/applications ~/.local/share/icons/hicolor/256x256/apps
    ln -sf "$PWD/dist/cutwise/cutwise-gui" ~/.local/bin/cutwise-gui
    ln -sf "$PWD/dist/cutwise/cutwise-gui" ~/.local/bin/cutwise
    cp packaging/cutwise.desktop ~/.local/share/applications/
    cp resources/cutwise.png ~/.local/share/icons/hicolor/256x256/apps/cutwise.png
    echo "installed: Cutwise is in the application menu; cutwise-gui and cutwise are on ~/.local/bin"
fi
echo "built in $((built - started)) s, smoke test $((smoked - built)) s; bundle $(du -sh dist/cutwise | cut -f1), archive $(du -sh dist/cutwise-linux-x86_64.tar.gz | cut -f1)"
