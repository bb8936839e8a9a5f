"""A wheel built from the repository works on its own: installed into a fresh virtual environment
and run from another folder, `shotloom demo` makes and exports the demo, and the editor starts on
it with its icons, theme and translations (the package data the checkout's editable install hides).

The fresh environment gets the wheel alone (`--no-deps`); its dependencies are this checkout's
venv's site-packages, put on its path by a .pth file (so nothing is downloaded again). That path is
appended without processing its own .pth files, so the checkout's editable install stays off."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from engine.media import FrameReader

REPO = Path(__file__).resolve().parents[2]
SKIP = shutil.ignore_patterns(".git", ".venv", "tests", "build", "dist", "*.egg-info", "__pycache__", "*.pyc",
                              ".pytest_cache", ".ruff_cache", ".hypothesis", "shotloom-demo", "out")

GUI_CHECK = r"""
import sys
from PySide6.QtCore import QTimer, QTranslator
from desktop import i18n, theme
from desktop.app import build_window, create_app
import desktop

app = create_app()
window = build_window(sys.argv[1], check_recovery=False)
window.show()
QTimer.singleShot(300, app.quit)
app.exec()
assert desktop.__file__.startswith(sys.prefix), desktop.__file__
assert not theme.icon("play").isNull(), "icon missing"
assert "Q" in app.styleSheet(), "theme stylesheet missing"
assert QTranslator().load(str(i18n.TRANSLATIONS / "shotloom_zh_CN.qm")), "translation missing"
print("shots", len(window.document.project.shots()))
"""


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(SHOTLOOM_HOME=str(home), QT_QPA_PLATFORM="offscreen", PIP_NO_INDEX="1")
    return env


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(REPO, source, ignore=SKIP)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(work / "dist"), str(source)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = (work / "dist").glob("shotloom-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([*pip, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "zz_shotloom_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def test_wheel_runs_the_demo_and_the_editor_from_another_folder(wheel_venv, tmp_path):
    bin_dir = wheel_venv / "bin"
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    env = _env(home)
    where = subprocess.run([str(bin_dir / "python"), "-c", "import engine, desktop; print(engine.__file__); "
                            "print(desktop.__file__)"], cwd=elsewhere, env=env, capture_output=True, text=True,
                           check=True).stdout.split()
    assert all(Path(p).is_relative_to(wheel_venv) for p in where), where  # the wheel's code, not the checkout's

    demo = subprocess.run([str(bin_dir / "shotloom"), "demo"], cwd=elsewhere, env=env, capture_output=True,
                          text=True, timeout=600)
    assert demo.returncode == 0, demo.stderr
    project, video = (Path(p) for p in demo.stdout.split())
    assert project == elsewhere / "shotloom-demo" / "demo.shotloom" and video == elsewhere / "shotloom-demo" / "demo.mp4"
    info = json.loads(subprocess.run([str(bin_dir / "shotloom"), "info", str(project), "--json"], cwd=elsewhere,
                                     env=env, capture_output=True, text=True, timeout=120, check=True).stdout)
    with FrameReader(video) as reader:
        assert reader.frame_count == info["frames"] > 5 * 24
    models = subprocess.run([str(bin_dir / "shotloom"), "models", "list", "--json"], cwd=elsewhere, env=env,
                            capture_output=True, text=True, timeout=120)
    assert models.returncode == 0 and '"tiny-ltx"' in models.stdout, models.stderr
    micro = next(e for e in json.loads(models.stdout) if e["id"] == "micro-ltx")
    assert micro["files"] == "ships with Shotloom"  # the trained weights travel in the wheel

    check = subprocess.run([str(bin_dir / "python"), "-c", GUI_CHECK, str(project)], cwd=elsewhere, env=env,
                           capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stderr
    assert check.stdout.split() == ["shots", "5"]

    # The editor's own entry point: `shotloom-gui --demo` opens the demo of its projects folder
    # (made on first use: the one made above, put there) and stays up (offscreen) until closed.
    shutil.copytree(project, home / "projects" / "Shotloom demo" / "demo.shotloom")
    gui = subprocess.Popen([str(bin_dir / "shotloom-gui"), "--demo"], cwd=elsewhere, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(8)
        assert gui.poll() is None, gui.communicate()[1]
    finally:
        gui.terminate()
        _out, err = gui.communicate(timeout=60)
    assert "Traceback" not in err, err
