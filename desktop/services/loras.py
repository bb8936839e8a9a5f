"""Adding a LoRA file to the library from the editor: `shotloom lora add FILE` in a child process
(finding which models a LoRA fits reads its tensors with torch and diffusers, which the editor
process never imports), off the UI thread, cancelable."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from desktop.services.background import BackgroundTask
from engine.errors import Canceled, ShotloomError


def add_lora_file(path: Path, task: Any = None) -> str:
    """The library id of the LoRA added from ``path`` (ShotloomError with the command's one line)."""
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "lora", "add", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while proc.poll() is None:
            if task is not None and task.token.canceled:
                proc.terminate()
                proc.wait(10)
                raise Canceled(f"adding {path.name} was canceled")
            time.sleep(0.05)
        out, err = proc.communicate()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != 0:
        lines = [line for line in err.splitlines() if line.strip()]
        raise ShotloomError(lines[-1].removeprefix("shotloom: ") if lines else
                            f"{path}: could not be added (exit {proc.returncode}); try `shotloom lora add` in a terminal")
    return out.strip().splitlines()[-1]


class AddLoraTask(BackgroundTask):
    def __init__(self, path: Path, parent: Any = None) -> None:
        super().__init__(lambda task: add_lora_file(path, task), f"add LoRA {Path(path).name}", parent)
