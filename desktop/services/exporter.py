"""Export through the background helper (engine.render.export does the work)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject

from desktop.services.background import BackgroundTask, os_error_text


class ExportJob(BackgroundTask):
    """progress(done, total, eta); succeeded(output path as str); failed(one line); canceled()."""

    def __init__(self, project, out: Path, preset: str, frame_range: tuple[int, int] | None,
                 parent: QObject | None = None) -> None:
        self.out = Path(out)

        def run(task: BackgroundTask) -> str:
            from engine.render import export

            return str(export(project, self.out, preset=preset, frame_range=frame_range,
                              progress=task.report, cancel=task.token))

        super().__init__(run, "export", parent,
                         describe_error=lambda e: os_error_text(e, self.out) if isinstance(e, OSError) else None)
