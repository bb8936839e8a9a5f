"""The farm's HTTP API: a small ASGI app (Starlette, served by uvicorn) in front of the dispatcher.

Every request passes one guard before any route sees it: the Host header must be a name the farm
answers to (else 421), and the bearer token must match in constant time (else 401 with an empty
body and nothing else). This port is not covered by Ray's own token; the guard is what protects it.

    GET    /v1/farm                       nodes, GPUs, workers, job counts, limits
    HEAD   /v1/blobs/<sha256>             200 when the farm has this input already
    PUT    /v1/blobs/<sha256>             upload a job input (size-limited, checked against its hash)
    POST   /v1/jobs                       submit a recipe (JobSubmit); idempotent by key
    GET    /v1/jobs                       every job
    GET    /v1/jobs/<id>                  one job
    GET    /v1/jobs/<id>/events?after=N&wait=S   long poll: typed events after cursor N, and the job
    POST   /v1/jobs/<id>/cancel
    DELETE /v1/jobs/<id>                  forget a finished job (its files are deleted)
    GET    /v1/jobs/<id>/preview          the latest denoising preview (PNG)
    GET    /v1/jobs/<id>/files/<name>     a take file (Range requests: downloads resume)
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import socket
import threading
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from engine.farm.protocol import SHA256, JobSubmit
from engine.farm.recipes import RecipeRefused, check_submission
from engine.farm.security import bearer_matches, host_name
from engine.farm.store import FarmHome
from engine.fsutil import partial_path

MAX_JSON_BYTES = 1 << 20


class TakeFile(FileResponse):
    """A take file (Range requests included), sent in larger pieces than the default 64 KiB."""

    chunk_size = 1 << 20


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class Guard:
    """Host check, then token check, for every HTTP request (404s included)."""

    def __init__(self, app: Any, *, token: str, hosts: frozenset[str]) -> None:
        self.app, self.token, self.hosts = app, token, hosts

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = host_name(headers.get("host"))
        if host is None or host not in self.hosts:
            body = json.dumps({"error": "this farm does not answer to that host name; use one it was started "
                                        "with (`shotloom farm serve --name`)"}).encode()
            await _send(send, 421, body, b"application/json")
            return
        if not bearer_matches(headers.get("authorization"), self.token):
            await _send(send, 401, b"", None, extra=[(b"www-authenticate", b"Bearer")])
            return
        await self.app(scope, receive, send)


async def _send(send: Any, status: int, body: bytes, content_type: bytes | None,
                extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-length", str(len(body)).encode())] + (extra or [])
    if content_type:
        headers.append((b"content-type", content_type))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class FarmApi:
    """The routes; `dispatcher` is the dispatcher actor's handle."""

    def __init__(self, dispatcher: Any, home: Path, *, max_upload_bytes: int) -> None:
        self.dispatcher = dispatcher
        self.home = FarmHome(home)
        self.home.blobs.mkdir(parents=True, exist_ok=True)
        self.max_upload_bytes = max_upload_bytes

    def routes(self) -> list[Route]:
        return [
            Route("/v1/farm", self.status, methods=["GET"]),
            Route("/v1/blobs/{sha}", self.blob, methods=["HEAD", "PUT"]),
            Route("/v1/jobs", self.jobs, methods=["GET", "POST"]),
            Route("/v1/jobs/{job}", self.job, methods=["GET", "DELETE"]),
            Route("/v1/jobs/{job}/events", self.events, methods=["GET"]),
            Route("/v1/jobs/{job}/cancel", self.cancel, methods=["POST"]),
            Route("/v1/jobs/{job}/preview", self.preview, methods=["GET"]),
            Route("/v1/jobs/{job}/files/{name}", self.file, methods=["GET", "HEAD"]),
        ]

    async def status(self, request: Request) -> Response:
        return JSONResponse(await self.dispatcher.status.remote())

    async def blob(self, request: Request) -> Response:
        sha = request.path_params["sha"]
        if not SHA256.match(sha):
            return _error(400, f"{sha!r} is not a sha256 in lower-case hex")
        final = self.home.blob(sha)
        if request.method == "HEAD":
            return Response(status_code=200 if final.is_file() else 404)
        declared = request.headers.get("content-length")
        if declared is None or not declared.isdigit():
            return _error(411, "an upload needs a Content-Length")
        if int(declared) > self.max_upload_bytes:
            return _error(413, f"the file is {int(declared) / (1 << 20):.1f} MB; this farm accepts at most "
                               f"{self.max_upload_bytes / (1 << 20):.0f} MB per input (farm serve --max-upload-mb)")
        if final.is_file():
            return Response(status_code=200)
        temp = partial_path(final)
        digest, size = hashlib.sha256(), 0
        try:
            with open(temp, "wb") as fh:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > int(declared):
                        return _error(413, "the upload is longer than its Content-Length")
                    digest.update(chunk)
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            if size != int(declared):
                return _error(400, f"the upload ended after {size} of {declared} bytes; send it again")
            if digest.hexdigest() != sha:
                return _error(400, f"the upload does not match its sha256 ({digest.hexdigest()[:16]}… received); "
                                   "send it again")
            os.replace(temp, final)
            return Response(status_code=201)
        finally:
            temp.unlink(missing_ok=True)

    async def jobs(self, request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse({"jobs": await self.dispatcher.jobs.remote()})
        declared = request.headers.get("content-length")
        if declared is None or not declared.isdigit() or int(declared) > MAX_JSON_BYTES:
            return _error(413, f"a job submission is JSON of at most {MAX_JSON_BYTES} bytes with a Content-Length")
        try:
            sub = JobSubmit.model_validate_json(await request.body())
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "body"
            return _error(422, f"the job submission is invalid at {where!r}: {first['msg']}")
        try:
            checked = await asyncio.to_thread(check_submission, sub, has_blob=lambda sha: self.home.blob(sha).is_file())
        except RecipeRefused as exc:
            return _error(422, str(exc))
        answer = await self.dispatcher.submit.remote(sub.model_dump(mode="json"), checked.params, checked.model,
                                                     checked.need_bytes)
        return JSONResponse(answer["job"], status_code=201 if answer["created"] else 200)

    async def _job_or_404(self, job_id: str) -> dict[str, Any] | Response:
        if not job_id.isalnum():
            return _error(404, f"no farm job {job_id!r}")
        job = await self.dispatcher.job.remote(job_id)
        return job if job is not None else _error(404, f"no farm job {job_id!r}; it finished and was fetched, or "
                                                       "never existed")

    async def job(self, request: Request) -> Response:
        job = await self._job_or_404(request.path_params["job"])
        if isinstance(job, Response):
            return job
        if request.method == "DELETE":
            outcome = await self.dispatcher.forget.remote(job["id"])
            if outcome == "unfinished":
                return _error(409, "the job is not finished; cancel it first")
            return Response(status_code=204)
        return JSONResponse(job)

    async def events(self, request: Request) -> Response:
        try:
            after = int(request.query_params.get("after", "0"))
            wait = max(0.0, min(float(request.query_params.get("wait", "0")), 25.0))
        except ValueError:
            return _error(400, "after must be an integer and wait a number of seconds")
        job_id = request.path_params["job"]
        if not job_id.isalnum():
            return _error(404, f"no farm job {job_id!r}")
        data = await self.dispatcher.events.remote(job_id, after, wait)
        return JSONResponse(data) if data is not None else _error(404, f"no farm job {job_id!r}")

    async def cancel(self, request: Request) -> Response:
        job = await self._job_or_404(request.path_params["job"])
        if isinstance(job, Response):
            return job
        return JSONResponse(await self.dispatcher.cancel.remote(job["id"]))

    async def preview(self, request: Request) -> Response:
        job = await self._job_or_404(request.path_params["job"])
        if isinstance(job, Response):
            return job
        path = self.home.preview(job["id"])
        return FileResponse(path, media_type="image/png") if path.is_file() else _error(404, "no preview yet")

    async def file(self, request: Request) -> Response:
        job = await self._job_or_404(request.path_params["job"])
        if isinstance(job, Response):
            return job
        name = request.path_params["name"]
        if job["status"] != "succeeded" or name not in {f["name"] for f in job["files"]}:
            return _error(404, f"farm job {job['id']} has no file {name!r}")
        return TakeFile(self.home.take_dir(job["id"]) / name, media_type="application/octet-stream")


def make_app(dispatcher: Any, home: Path, *, token: str, hosts: frozenset[str], max_upload_bytes: int) -> Any:
    api = FarmApi(dispatcher, home, max_upload_bytes=max_upload_bytes)
    return Guard(Starlette(routes=api.routes()), token=token, hosts=hosts)


def listen(bind: str, port: int) -> socket.socket:
    """The API's listening socket (bound before the server starts, so port 0 has a known port)."""
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    # IPPROTO_TCP named explicitly: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say
    # so, and with Nagle on, each kept-alive response's body waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((bind, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


class ApiServer:
    """uvicorn around the app, on a socket of ours; `run` blocks, `start` runs it in a thread."""

    def __init__(self, app: Any, sock: socket.socket, *, cert: Path | None = None, key: Path | None = None) -> None:
        import uvicorn

        self.sock = sock
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", timeout_keep_alive=30,
                                ssl_certfile=str(cert) if cert else None, ssl_keyfile=str(key) if key else None)
        self.server = uvicorn.Server(config)
        self.thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def run(self) -> None:
        self.server.run(sockets=[self.sock])

    def start(self) -> None:
        self.thread = threading.Thread(target=self.run, daemon=True, name="farm-api")
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the farm's HTTP server did not start")
            threading.Event().wait(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)
