"""`shotloom-gui [PROJECT]`: start the editor (on PROJECT if given)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def create_app(argv: list[str] | None = None):
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from desktop import __version__, theme

    app = QApplication.instance()
    if app is None:
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_DontCreateNativeWidgetSiblings)
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Shotloom")
    app.setApplicationDisplayName("Shotloom")
    app.setOrganizationName("Shotloom")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("shotloom")
    app.setWindowIcon(QIcon(str(theme.icon_path("shotloom"))))
    return app


def build_window(project: str | Path | None = None, *, check_recovery: bool = True):
    """The configured main window (theme, language, keymap from settings), opened on `project`."""
    from desktop import theme
    from desktop.i18n import install_language
    from desktop.main_window import MainWindow
    from desktop.services.settings import Settings

    settings = Settings.load()
    app = create_app()
    theme.apply(app, settings.theme)
    install_language(settings.language)
    window = MainWindow(settings)
    if project is not None:
        window.open_project(project, check_recovery=check_recovery)
    return window


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shotloom-gui", description="Open the Shotloom editor.")
    parser.add_argument("project", nargs="?", help="a project folder NAME.shotloom to open")
    parser.add_argument("--demo", action="store_true",
                        help="open the demo project and watch micro-ltx, the model that ships with Shotloom, "
                             "generate its shots")
    args = parser.parse_args(argv)
    demo = args.demo and args.project is None
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")
    ):
        print("shotloom-gui: no display found (DISPLAY is not set); run it in a desktop session "
              "(or set QT_QPA_PLATFORM=offscreen for automation)", file=sys.stderr)
        return 1
    if args.project is not None and not Path(args.project).expanduser().exists():
        print(f"shotloom-gui: {args.project}: no such project; check the path or create one with "
              "'shotloom new PATH'", file=sys.stderr)
        return 1
    app = create_app(sys.argv[:1])
    window = build_window(args.project)
    window.show()
    from PySide6.QtCore import QTimer

    if demo:
        # The window first; the demo project is set up behind it, then its shots are generated.
        from desktop.theme import projects_folder

        QTimer.singleShot(0, lambda: window.flow.open_demo(projects_folder() / "Shotloom demo"))
    elif args.project is None:
        QTimer.singleShot(0, window.check_startup_recovery)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
