"""The project's life in the editor, as the user meets it: new, open (with crash recovery), save,
save as, the "save changes?" prompt, and the offer to reload when another program changed the
project file. The dialogs live here; `ProjectService` does the file work and holds the lock."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMessageBox

from desktop import theme
from desktop.i18n import tr
from desktop.services.project_io import ProjectChangedOutside
from desktop.views.dialogs import RecoveryDialog, ask_save
from engine.errors import ShotloomError


class ProjectFlow(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.recovery_dialog = None
        self.new_project_widget = None
        self.demo_task = None
        self.reload_box = None
        self.reload_button = None
        self.changed_outside_box = None

    def set_project(self, project, *, dirty: bool | None = None) -> None:
        self.window.playback.pause()
        self.window.autosave.timer.stop()
        self.window.projects.adopt(project)
        self.window.document.set_project(project, dirty=dirty)
        self.window.autosave.timer.start()
        if project is not None:
            self.window.settings.add_recent(project.path)
            self.window._save_settings()
        self.window.projectOpened.emit(project)

    def open_project(self, path: Path | str, *, check_recovery: bool = True) -> bool:
        if not self.maybe_save():
            return False
        if self.window.document.project is not None and Path(path).expanduser().absolute() == Path(
                self.window.document.project.path):
            return True  # already open here
        try:
            project = self.window.projects.open(path)
        except ShotloomError as exc:
            QMessageBox.critical(self.window, tr("Cannot Open Project"), str(exc))
            return False
        self.set_project(project)
        if check_recovery:
            for info in self.window.projects.pending_recovery(project):
                self.offer_recovery(info)
                break
        return True

    def close_project(self) -> None:
        self.set_project(None)
        self.window.projects.close()

    def offer_recovery(self, info) -> str:
        dialog = RecoveryDialog(info, self.window)
        self.recovery_dialog = dialog
        dialog.exec()
        self.recovery_dialog = None
        if dialog.choice == "recover":
            try:
                copy = self.window.projects.recover_as_copy(info)
            except ShotloomError as exc:
                QMessageBox.critical(self.window, tr("Recovery Failed"), str(exc))
                return "failed"
            self.open_project(copy, check_recovery=False)
            self.window.notify(tr("Opened the recovered copy {path}").format(path=copy), 10000)
        elif dialog.choice == "discard":
            self.window.projects.discard_autosave(info.project_id)
        return dialog.choice

    def check_startup_recovery(self) -> None:
        """Autosaves left by a crash of a project that is not open now."""
        project = self.window.document.project
        for info in self.window.projects.startup_recovery(project.id if project is not None else None):
            self.offer_recovery(info)
            return

    def new_project(self, path: Path | str, fps=None, size=None) -> bool:
        if not self.maybe_save():
            return False
        try:
            project = self.window.projects.create(path, fps=fps, size=size)
        except ShotloomError as exc:
            QMessageBox.critical(self.window, tr("Cannot Create Project"), str(exc))
            return False
        self.set_project(project)
        return True

    def new_project_dialog(self) -> None:
        """Name, folder, frame size and rate (presets or custom, checked as they are typed)."""
        from desktop.views.project_dialog import NewProjectDialog

        folder = theme.projects_folder()
        folder.mkdir(parents=True, exist_ok=True)
        dialog = NewProjectDialog(folder, self.window)
        self.new_project_widget = dialog
        try:
            if dialog.exec():
                size, fps = dialog.format.values()
                self.new_project(dialog.path(), fps=fps, size=size)
        finally:
            self.new_project_widget = None

    def ensure_project(self) -> bool:
        """Drops and imports into an empty window go into a new untitled project."""
        if self.window.document.project is not None:
            return True
        folder = theme.projects_folder()
        n = 1
        while (folder / f"Untitled {n}.shotloom").exists():
            n += 1
        return self.new_project(folder / f"Untitled {n}.shotloom")

    def open_project_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self.window, tr("Open Project"), str(theme.projects_folder()))
        if path:
            self.open_project(path)

    def save(self) -> bool:
        if self.window.document.project is None:
            return True
        if not self.window.document.dirty:
            # Nothing changed since the last save: writing the same document again would only
            # replace the backups with copies of it.
            self.window.notify(tr("No changes to save"), 3000)
            return True
        try:
            self.window.projects.save()
        except ProjectChangedOutside as exc:
            self.changed_outside_box = box = QMessageBox(QMessageBox.Icon.Warning, tr("Project Changed on Disk"),
                                                         str(exc), QMessageBox.StandardButton.Ok, self.window)
            box.setObjectName("changedOutsideBox")
            box.open()
            return False
        except (ShotloomError, OSError) as exc:
            QMessageBox.critical(self.window, tr("Cannot Save"), str(exc))
            return False
        self.window.document.save_done()
        self.window.generation.record_saved()
        self.window.notify(tr("Saved {path}").format(path=self.window.document.project.path), 4000)
        return True

    def save_as_dialog(self) -> None:
        project = self.window.document.project
        if project is None:
            return
        path, _ = QFileDialog.getSaveFileName(self.window, tr("Save Project As"), str(project.path),
                                              tr("Shotloom projects (*.shotloom)"))
        if path:
            self.save_as(Path(path))

    def save_as(self, path: Path) -> bool:
        """A copy of the bundle (without its cache) with the current document, then open it."""
        try:
            path = self.window.projects.save_as(path)
        except ShotloomError as exc:
            QMessageBox.critical(self.window, tr("Cannot Save"), str(exc))
            return False
        self.window.autosave.discard()
        self.window.document.discard_changes()
        return self.open_project(path, check_recovery=False)

    def maybe_save(self) -> bool:
        """Ask to save unsaved changes; False when the user cancels."""
        if not self.window.document.dirty:
            return True
        answer = ask_save(self.window, self.window.document.project.name)
        if answer == answer.Save:
            return self.save()
        if answer == answer.Discard:
            self.window.autosave.discard()
            self.window.document.discard_changes()
            return True
        return False

    def on_changed_outside(self, path: Path) -> None:
        """Another program changed project.otio: offer to reload; never overwrite it silently."""
        box = QMessageBox(self.window)
        box.setObjectName("reloadBox")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(tr("Project Changed on Disk"))
        box.setText(tr("{path} was changed by another program.").format(path=path))
        box.setInformativeText(tr("Reload it? Your unsaved changes here are lost when you reload.")
                               if self.window.document.dirty else tr("Reload it to see the changes?"))
        self.reload_button = box.addButton(tr("Reload"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(tr("Keep Mine"), QMessageBox.ButtonRole.RejectRole)
        self.reload_box = box
        box.finished.connect(lambda _r: self.reload_from_disk() if box.clickedButton() is self.reload_button
                             else None)
        box.open()

    def reload_from_disk(self) -> bool:
        project = self.window.document.project
        if project is None:
            return False
        path = project.path
        frame = self.window.transport.frame
        self.window.projects.close()
        try:
            fresh = self.window.projects.open(path)
        except ShotloomError as exc:
            QMessageBox.critical(self.window, tr("Cannot Open Project"), str(exc))
            return False
        self.set_project(fresh, dirty=False)
        self.window.autosave.discard()
        self.window.transport.seek(frame)
        self.window.notify(tr("Reloaded {path}").format(path=path), 6000)
        return True

    # -- the demo --------------------------------------------------------------------------------
    def open_demo(self, folder: Path) -> None:
        """Open the demo project and generate its shots with micro-ltx, the model that ships with
        Shotloom, through the engine worker: the shots are on the storyboard at once (pending) and
        are made one after the other while the creator watches. The project is set up in the
        background (engine.demo.make_pending_demo, no ML library); the window is usable meanwhile."""
        from PySide6.QtWidgets import QProgressBar

        from desktop.services.background import BackgroundTask

        bundle = Path(folder) / "demo.shotloom"
        if (bundle / "project.otio").exists():
            if self.open_project(bundle):
                self.window.generation.render_all_when_ready(quiet=True)
            return

        def make(task):
            from engine.demo import make_pending_demo

            return make_pending_demo(Path(folder), progress=task.report)

        win = self.window
        bar = QProgressBar(win)
        bar.setObjectName("demoProgress")
        bar.setMaximumWidth(180)
        bar.setRange(0, 0)
        win.statusBar().addPermanentWidget(bar)
        task = BackgroundTask(make, "demo", self)
        self.demo_task = task

        def show(done: int, total: int, eta: str) -> None:
            text = tr("Setting up the demo project…")
            win.viewer.canvas.empty_text = text
            win.viewer.canvas.update()
            win.notify(text, 0)

        def finish() -> None:
            win.statusBar().removeWidget(bar)
            bar.deleteLater()
            win.viewer.retranslate()
            win.statusBar().clearMessage()
            self.demo_task = None

        def done(path) -> None:
            finish()
            if win.document.project is None:
                if self.open_project(path):
                    win.generation.render_all_when_ready()
                    win.notify(tr("micro-ltx, the small model that ships with Shotloom, generates the demo's "
                                  "shots now: watch them appear"), 10000)
            else:
                win.notify(tr("The demo project is ready: {path}").format(path=path), 10000)

        def failed(message: str) -> None:
            finish()
            QMessageBox.warning(win, tr("Demo"), tr("The demo could not be made: {why}").format(why=message))

        task.progress.connect(show)
        task.succeeded.connect(done)
        task.failed.connect(failed)
        show(0, 0, "")
        task.start()

    def fill_recent(self) -> None:
        self.window.recent_menu.clear()
        for entry in self.window.settings.recent:
            action = self.window.recent_menu.addAction(entry)
            action.setEnabled(Path(entry).is_dir())
            action.triggered.connect(lambda _=False, p=entry: self.open_project(p))
        if not self.window.settings.recent:
            self.window.recent_menu.addAction(tr("No recent projects")).setEnabled(False)

