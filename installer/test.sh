#!/usr/bin/env bash
# Set up Shotloom with the test tools, then run the import contracts, the linter and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash installer/install.sh --dev
echo "== import contracts (the editor never imports torch; the engine never imports Qt)"
.venv/bin/lint-imports
echo "== ruff"
.venv/bin/ruff check engine desktop tests
echo "== engine tests"
.venv/bin/python -m pytest tests/engine "$@"
echo "== editor tests (a process of their own: torch must never load in the GUI process)"
QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest tests/desktop "$@"
