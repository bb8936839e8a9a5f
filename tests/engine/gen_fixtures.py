"""Fixtures for the generation tests: tiny models built once per session, synthetic clips."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest


def build_tiny_models(tmp_path_factory, model_ids) -> Path:
    """Build tiny test models (real diffusers classes, random weights) into a folder of their own;
    returns it (its models are linked into each test's user cache with ``link_models``)."""
    import os

    import torch

    from engine.gen import tiny

    # Tiny tensors gain nothing from a second thread, and on shared cores the threads' hand-offs
    # cost more than the work (4-8x slower under load).
    torch.set_num_threads(1)

    root = tmp_path_factory.mktemp("tiny_models_home")
    old = os.environ.get("SHOTLOOM_HOME")
    os.environ["SHOTLOOM_HOME"] = str(root)
    try:
        for model_id in model_ids:
            tiny.ensure_tiny_model(model_id)
    finally:
        if old is None:
            os.environ.pop("SHOTLOOM_HOME", None)
        else:
            os.environ["SHOTLOOM_HOME"] = old
    return root / "cache" / "models"


def link_models(built: Path, home: Path) -> Path:
    """Link built tiny models into a test's user cache (no rebuild per test)."""
    models = home / "cache" / "models"
    models.mkdir(parents=True, exist_ok=True)
    for src in built.iterdir():
        if not src.name.startswith("."):
            (models / src.name).symlink_to(src, target_is_directory=True)
    return models


@pytest.fixture(scope="session")
def tiny_models_dir(tmp_path_factory) -> Path:
    """Every tiny test model, built once per session."""
    from engine.gen import tiny

    return build_tiny_models(tmp_path_factory, tiny.tiny_ids())


@pytest.fixture
def tiny_models(tiny_models_dir, shotloom_home) -> Path:
    return link_models(tiny_models_dir, shotloom_home)


def make_clip(path: Path, frames: int, rate=Fraction(24), size=(64, 64), seed: int = 0) -> Path:
    from engine.media.synthetic import make_test_clip

    return make_test_clip(path, frames=frames, rate=rate, size=size, seed=seed)


def read_all(path: Path):
    import numpy as np

    from engine.media import FrameReader

    with FrameReader(path) as reader:
        return np.stack([reader.frame(i) for i in range(reader.frame_count)]), reader.rate


class FakeHub:
    """A local HTTP server that answers the Hugging Face Hub API calls snapshot_download and
    hf_hub_download make (repo info, recursive tree, resolve with Range) for repos served from folders."""

    def __init__(self, repos: dict[str, Path] | str, folder: Path | None = None) -> None:
        import hashlib
        import http.server
        import json
        import threading

        if isinstance(repos, str):
            repos = {repos: folder}
        self.repos = {}
        for repo_id, root in repos.items():
            files = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
            self.repos[repo_id] = (hashlib.sha1(repo_id.encode()).hexdigest(), files)
        self.repo_id = next(iter(self.repos))
        self.commit = self.repos[self.repo_id][0]
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, Range header)
        hub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, body: bytes, status=200, headers=None, head=False):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def _json(self, data, head):
                return self._send(json.dumps(data).encode(), headers={"Content-Type": "application/json"}, head=head)

            def _route(self, head: bool):
                path = self.path.split("?")[0]
                hub.requests.append((self.command, path, self.headers.get("Range")))
                for repo_id, (commit, files) in hub.repos.items():
                    api = f"/api/models/{repo_id}"
                    if path.startswith(f"{api}/revision/"):
                        return self._json({"id": repo_id, "sha": commit,
                                           "siblings": [{"rfilename": f} for f in files]}, head)
                    if path.startswith(f"{api}/tree/"):
                        tree = []
                        for name, data in files.items():
                            entry = {"type": "file", "path": name, "size": len(data),
                                     "oid": hashlib.sha1(data).hexdigest()}
                            if name.endswith(".safetensors"):
                                entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data),
                                                "pointerSize": 134}
                            tree.append(entry)
                        return self._json(tree, head)
                    prefix = f"/{repo_id}/resolve/"
                    if path.startswith(prefix):
                        _rev, _, name = path[len(prefix):].partition("/")
                        data = files.get(name)
                        if data is None:
                            return self._send(b"not found", 404, {"X-Error-Code": "EntryNotFound"}, head)
                        etag = (hashlib.sha256(data).hexdigest() if name.endswith(".safetensors")
                                else hashlib.sha1(data).hexdigest())
                        headers = {"X-Repo-Commit": commit, "ETag": f'"{etag}"', "Accept-Ranges": "bytes"}
                        rng = self.headers.get("Range")
                        if rng and not head:
                            start = int(rng.split("=")[1].split("-")[0])
                            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
                            return self._send(data[start:], 206, headers)
                        return self._send(data, headers=headers, head=head)
                return self._send(b"not found", 404, {"X-Error-Code": "RepoNotFound"}, head)

            def do_GET(self):
                self._route(head=False)

            def do_HEAD(self):
                self._route(head=True)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def fetched(self) -> list[str]:
        """The URL paths of the files downloaded (GETs of resolve URLs)."""
        return [p for m, p, _ in self.requests if m == "GET" and "/resolve/" in p]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
