#!/bin/sh
# Screenshots of the real editor under a virtual X server (apt-get install xvfb).
# Usage: tests/screenshots/make_screenshots.sh [OUT_DIR]
set -e
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
if [ -n "$DISPLAY" ] && [ -z "$SHOTLOOM_FORCE_XVFB" ]; then
    QT_QPA_PLATFORM=xcb exec "$PY" tests/screenshots/make_screenshots.py "$@"
fi
QT_QPA_PLATFORM=xcb exec xvfb-run -a -s "-screen 0 1600x1000x24" "$PY" tests/screenshots/make_screenshots.py "$@"
