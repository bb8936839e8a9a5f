import os

import pytest

# Qt must never try to reach a display in tests (CI has none).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def shotloom_home(tmp_path_factory, monkeypatch):
    """Keep user folders (autosave, queue database, settings) out of the real home."""
    home = tmp_path_factory.mktemp("shotloom_home")
    monkeypatch.setenv("SHOTLOOM_HOME", str(home))
    return home


def pytest_collection_modifyitems(session, config, items):
    trees = {"desktop" if "tests/desktop/" in item.nodeid.replace("\\", "/") else "engine" for item in items}
    if len(trees) > 1:
        raise pytest.UsageError(
            "run tests/engine and tests/desktop in separate pytest processes (installer/test.sh does): "
            "the editor tests check that torch never enters the GUI process"
        )
