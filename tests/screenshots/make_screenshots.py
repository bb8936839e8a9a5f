"""Screenshots of the real editor window (run under Xvfb by make_screenshots.sh, or on a desktop).

Makes a demo project of synthetic footage and saves PNGs of: the empty window, a storyboard of
several shots with thumbnails, the timeline zoomed in on a transition, the export dialog (idle and
exporting), A/B wipe compare with safe areas, the settings dialog and the Chinese UI.

    tests/screenshots/make_screenshots.sh [OUT_DIR]     (default tests/screenshots/out)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def pump(app, seconds: float = 0.3, until=None) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        if until is not None and until():
            return
        time.sleep(0.01)


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "tests" / "screenshots" / "out").absolute()
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="shotloom-shots-"))
    os.environ["SHOTLOOM_HOME"] = str(work / "home")

    from desktop.app import build_window, create_app
    from engine.media.synthetic import make_test_clip

    app = create_app()
    win = build_window()
    win.resize(1440, 900)
    win.show()
    pump(app, 0.8)
    win.grab().save(str(out / "01-empty.png"))

    clips = []
    for i, name in enumerate(["opening", "street", "market", "harbour", "night"]):
        clips.append(make_test_clip(work / f"{name}.mp4", frames=48, rate=Fraction(24), size=(384, 256), seed=i,
                                    gop=24))
    win.new_project(work / "Demo film.shotloom", size=(768, 512))
    win.import_files([str(c) for c in clips])
    pump(app, 60, until=lambda: len(win.shots) == 5 and not win.importer.busy)
    pump(app, 20, until=lambda: all(win.thumbnails.get(s.media_path, s.source_in) is not None for s in win.shots))
    win.transport.seek(60)
    win.storyboard.select_ids([win.shots[1].id])
    pump(app, 1.5)
    win.grab().save(str(out / "02-storyboard.png"))

    # A crossfade into the third shot, the timeline zoomed in on it.
    third = win.shots[2]
    win.storyboard.select_ids([third.id])
    win.commands.set_transition_on_selected("crossfade")
    mix = win.plan.mixes[0]
    win.transport.seek(mix.start + mix.frames // 2)
    canvas = win.timeline.canvas
    canvas.set_zoom(14.0)
    canvas.scroll = max(0.0, mix.start * canvas.px_per_frame - canvas.width() * 0.35)
    canvas.viewChanged.emit()
    pump(app, 1.5)
    win.grab().save(str(out / "03-timeline-transition.png"))
    win.docks["timeline"].grab().save(str(out / "03b-timeline-detail.png"))

    # A/B compare as a wipe, with safe areas.
    win.registry["safe_area"].setChecked(True)
    win.registry["compare_wipe"].trigger()
    win.viewer.combo_b.setCurrentIndex(3)
    pump(app, 1.5)
    win.viewer.grab().save(str(out / "04-compare-wipe.png"))
    win.registry["compare_side"].trigger()
    pump(app, 1.0)
    win.viewer.grab().save(str(out / "04b-compare-side.png"))
    win.registry["compare_off"].trigger()
    win.registry["safe_area"].setChecked(False)

    from desktop.views.export_dialog import ExportDialog

    dialog = ExportDialog(win.document.project, win.transport, win)
    dialog.show()
    pump(app, 0.5)
    dialog.grab().save(str(out / "05-export.png"))
    dialog.path.setText(str(work / "Demo film.mp4"))
    dialog.export_button.click()
    pump(app, 30, until=lambda: dialog.progress.value() >= 30)
    dialog.grab().save(str(out / "05b-export-running.png"))
    pump(app, 60, until=lambda: dialog.result_path is not None)
    pump(app, 0.3)
    dialog.grab().save(str(out / "05c-export-done.png"))
    dialog.close()

    from desktop.views.settings_dialog import SettingsDialog

    settings = SettingsDialog(win.settings, win.registry, win)
    settings.show()
    pump(app, 0.5)
    settings.grab().save(str(out / "06-settings.png"))
    settings.close()

    win.settings.language = "zh_CN"
    win.apply_settings()
    pump(app, 1.0)
    win.grab().save(str(out / "07-chinese.png"))
    win.menus["edit"].popup(win.mapToGlobal(win.menuBar().geometry().bottomLeft()))
    pump(app, 0.5)
    win.menus["edit"].grab().save(str(out / "07b-chinese-edit-menu.png"))
    win.menus["edit"].close()
    zh_settings = SettingsDialog(win.settings, win.registry, win)
    zh_settings.show()
    pump(app, 0.5)
    zh_settings.grab().save(str(out / "07c-chinese-settings.png"))
    zh_settings.close()

    win.settings.language = "en"
    win.settings.theme = "light"
    win.apply_settings()
    pump(app, 1.0)
    win.grab().save(str(out / "08-light-theme.png"))

    win._closing_ok = True
    win.close()
    for png in sorted(out.glob("*.png")):
        print(png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
