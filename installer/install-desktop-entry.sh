#!/usr/bin/env bash
# Register Shotloom with the Linux desktop (menu entry and icon) for the current user.
set -euo pipefail
cd "$(dirname "$0")/.."
apps=${XDG_DATA_HOME:-$HOME/.local/share}/applications
icons=${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/scalable/apps
mkdir -p "$apps" "$icons"
sed "s|^Exec=shotloom-gui|Exec=$PWD/.venv/bin/shotloom-gui|" installer/shotloom.desktop > "$apps/shotloom.desktop"
cp desktop/assets/icons/shotloom.svg "$icons/shotloom.svg"
command -v update-desktop-database >/dev/null && update-desktop-database "$apps" || true
echo "Shotloom added to the desktop menu ($apps/shotloom.desktop)"
