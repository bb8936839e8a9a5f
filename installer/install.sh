#!/usr/bin/env bash
# Set up Shotloom in ./.venv: picks the PyTorch build (CUDA when nvidia-smi finds a GPU, CPU
# otherwise), then installs the project. Usage: bash installer/install.sh [--dev] [--light] [--farm]
#   --dev    add the test tools (pytest, pytest-qt, hypothesis, import-linter, ruff; ffmpeg's tools via
#            apt) and the farm's GPU side (the farm tests run a local Ray cluster)
#   --light  editing and export only: no torch, no generation
#   --farm   the GPU side of a render farm (`shotloom farm serve|join`: Ray); never needed to use one
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0; light=0; farm=0
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1; farm=1 ;;
    --light) light=1 ;;
    --farm) farm=1 ;;
    *) echo "install.sh: unknown option $arg (use --dev, --light or --farm)" >&2; exit 2 ;;
  esac
done

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "install.sh: Shotloom needs Python 3.11 or newer ($PY is $("$PY" --version 2>&1))" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@"; }
pip install --upgrade pip >/dev/null

# Qt's xcb platform needs a few X libraries on a desktop; offscreen (tests, CI) needs none.
has_lib() { ldconfig -p 2>/dev/null | grep -c "$1" >/dev/null; }
qt_x_libs() {  # every one the xcb plugin links (a machine can have some of them only)
  for lib in libxkbcommon-x11 libxcb-cursor libxcb-icccm libxcb-keysyms libxcb-shape libxcb-xinerama \
             libxcb-randr libxcb-render-util libxcb-image; do has_lib "$lib" || return 1; done
}
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && ! qt_x_libs; then
  (apt-get update -qq && apt-get install -y -qq libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 \
     libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0 \
     >/dev/null) || echo "install.sh: could not install Qt's X libraries; the editor may only run offscreen" >&2
fi

# The media benchmarks compare against the ffmpeg tools (ffprobe -count_frames); the tests use the
# ffmpeg binary that the dev extra's imageio-ffmpeg brings, so this is optional.
if [ "$dev" = 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && ! command -v ffprobe >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null) \
    || echo "install.sh: could not install ffmpeg; tests/bench/bench_import.py needs ffprobe" >&2
fi

# Screenshots of the editor (tests/screenshots) run under a virtual X server, and the Chinese UI
# needs a CJK font to show anything but boxes.
if [ "$dev" = 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null \
    && ! { command -v xvfb-run >/dev/null && fc-list :lang=zh 2>/dev/null | grep -c . >/dev/null; }; then
  (apt-get update -qq && apt-get install -y -qq xvfb fonts-wqy-microhei >/dev/null) \
    || echo "install.sh: could not install xvfb and a CJK font; screenshots may not run" >&2
fi

extras=""
if [ "$light" = 0 ]; then
  if ! .venv/bin/python -c 'import torch' 2>/dev/null; then
    if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
      echo "install.sh: NVIDIA GPU found, installing PyTorch with CUDA"
      pip install "torch>=2.4,<2.15"
    else
      echo "install.sh: no NVIDIA GPU found, installing the CPU build of PyTorch"
      pip install "torch==2.13.0" || pip install "torch>=2.4,<2.15"
    fi
  fi
  # spandrel (the upscalers' loader) asks for torchvision, which it uses only for inpainting and
  # face models. PyPI's torchvision is built against PyPI's CUDA torch: next to the CPU build it
  # fails at import and takes transformers down with it. So it is installed with its other
  # requirements but without torchvision, unless a torchvision that imports is already here.
  if .venv/bin/python -c 'import torchvision' 2>/dev/null; then
    pip install "spandrel>=0.4,<0.5"
  else
    pip install "einops>=0.7" "typing_extensions" && pip install --no-deps "spandrel>=0.4,<0.5"
  fi
  extras="ml"
fi
[ "$dev" = 1 ] && extras="${extras:+$extras,}dev"
[ "$farm" = 1 ] && extras="${extras:+$extras,}farm"
pip install -e ".${extras:+[$extras]}"
echo "install.sh: Shotloom installed in .venv ($(.venv/bin/python -c 'import engine; print(engine.__version__)'))"
