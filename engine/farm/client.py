"""The farm's HTTP client: standard library only (http.client, ssl, hashlib), so the creator's
machine needs neither Ray nor any HTTP package. The editor and the command line use it.

    client = FarmClient("http://127.0.0.1:8765")          # token: argument, env, or saved for the URL
    client.status()                                        # nodes, GPUs, jobs
    sha = client.upload(Path("clip.mp4"))                  # a job's input (deduplicated by hash)
    job = client.submit(JobSubmit(...))                    # idempotent by key
    events, after, job = client.events(job.id, after)      # long poll: typed events + the job
    client.download(job, folder)                           # resumes, verifies every file's sha256

Errors are FarmError with one sentence naming the farm and what to do. HTTPS farms are pinned on
first use (the certificate's SHA-256 is remembered with the token) and refused when it changes.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from engine.errors import Canceled
from engine.farm.protocol import FarmJob, FarmStatus, FileEntry, JobSubmit, _Event, decode_event
from engine.farm.security import TOKEN_ENV, FarmError, KnownFarms, certificate_fingerprint, farm_base
from engine.progress import CancelToken, ProgressFn

CHUNK = 1 << 20


class FarmRefused(FarmError):
    """The farm refused the token (401), or there is no token for it."""


class FarmUnreachable(FarmError):
    """The farm could not be reached, or did not answer in time."""


class FarmNotFound(FarmError):
    """The farm does not know the job (finished and forgotten, or never made)."""


class CorruptDownload(FarmError):
    """A downloaded file does not match the SHA-256 the farm computed; it was deleted."""


def file_sha256(path: Path, progress: ProgressFn | None = None) -> str:
    digest = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(4 * CHUNK):
            digest.update(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total, f"hashing {path.name}")
    return digest.hexdigest()


class _Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body or b"null")


class FarmClient:
    """One farm. Thread-safe (one connection per thread, reopened when the farm closed it)."""

    def __init__(self, url: str, token: str | None = None, *, timeout: float = 60.0,
                 known: KnownFarms | None = None) -> None:
        self.url = farm_base(url)
        parts = urlsplit(self.url)
        self.tls = parts.scheme == "https"
        self.host, self.port = parts.hostname or "", parts.port or (443 if self.tls else 80)
        self.timeout = timeout
        self.known = known or KnownFarms()
        saved = self.known.get(self.url) if token is None or self.tls else {}
        self.token = token or os.environ.get(TOKEN_ENV) or saved.get("token")
        if not self.token:
            raise FarmRefused(f"no token for the farm {self.url}; on the farm run `shotloom farm token`, then here "
                            f"`shotloom farm token {self.url}` and paste it (or set {TOKEN_ENV}).")
        self.pin: str | None = saved.get("cert_sha256")
        self._local = threading.local()

    # -- transport ------------------------------------------------------------------------------

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self.tls:
            context = ssl.create_default_context()
            # A self-signed farm certificate is trusted by its pinned fingerprint, not by a CA.
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=context)
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.connect()
        except OSError as exc:
            raise FarmUnreachable(f"cannot reach the farm at {self.url} ({exc.strerror or exc}); is `shotloom farm serve` "
                            "running there, and your SSH tunnel or firewall open?") from None
        if self.tls:
            self._check_pin(conn)
        self._local.conn = conn
        return conn

    def _check_pin(self, conn: http.client.HTTPConnection) -> None:
        der = conn.sock.getpeercert(binary_form=True)  # type: ignore[union-attr]
        seen = certificate_fingerprint(der or b"")
        if self.pin is None:
            self.known.update(self.url, cert_sha256=seen)  # trust on first use
            self.pin = seen
        elif seen != self.pin:
            conn.close()
            raise FarmError(f"the farm at {self.url} shows a different certificate (sha256 {seen[:16]}…, pinned "
                            f"{self.pin[:16]}…); if it was replaced on purpose, run `shotloom farm token {self.url}` "
                            "again, otherwise do not use this network.")

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._local.conn = None

    def request(self, method: str, path: str, *, body: bytes | Any = None, headers: dict[str, str] | None = None,
                timeout: float | None = None, stream: Callable[[http.client.HTTPResponse], Any] | None = None
                ) -> _Response:
        """One request with the token; one reconnect when a kept-alive connection went stale."""
        head = {"Authorization": f"Bearer {self.token}", "User-Agent": "shotloom-farm-client"}
        head.update(headers or {})
        for attempt in (0, 1):
            conn = self._connection()
            conn.timeout = timeout or self.timeout
            if conn.sock is not None:
                conn.sock.settimeout(conn.timeout)
            try:
                conn.request(method, path, body=body, headers=head)
                resp = conn.getresponse()
                status = resp.status
                headers_out = {k.lower(): v for k, v in resp.getheaders()}
                if stream is not None and status in (200, 206):
                    data = stream(resp)
                    result = _Response(status, headers_out, b"")
                    result.streamed = data  # type: ignore[attr-defined]
                else:
                    result = _Response(status, headers_out, resp.read())
            except (ConnectionError, http.client.HTTPException) as exc:
                self._drop()
                if attempt == 0 and stream is None and (body is None or isinstance(body, bytes)):
                    continue
                raise FarmError(f"the farm at {self.url} closed the connection ({exc}); try again.") from None
            except TimeoutError:
                self._drop()
                raise FarmUnreachable(f"the farm at {self.url} did not answer within {conn.timeout:g} s; "
                                "check the network and `shotloom farm status`.") from None
            except OSError as exc:
                self._drop()
                raise FarmError(f"the connection to the farm at {self.url} failed ({exc}).") from None
            if headers_out.get("connection", "").lower() == "close":
                self._drop()
            return self._check(result)
        raise AssertionError("unreachable")

    def _check(self, resp: _Response) -> _Response:
        if resp.status < 400:
            return resp
        if resp.status == 401:
            raise FarmRefused(f"the farm at {self.url} refused the token; get the current one with `shotloom farm token` "
                            f"on the farm and save it here with `shotloom farm token {self.url}`.")
        try:
            message = str(resp.json().get("error") or "")
        except (ValueError, AttributeError):
            message = resp.body.decode("utf-8", "replace")[:200]
        if resp.status == 404:
            raise FarmNotFound(message or f"the farm at {self.url} does not know this.")
        raise FarmError(f"the farm at {self.url} refused the request: {message or resp.status}")

    def _json(self, method: str, path: str, data: Any = None, **kwargs: Any) -> Any:
        body = json.dumps(data).encode("utf-8") if data is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else {}
        return self.request(method, path, body=body, headers=headers, **kwargs).json()

    def close(self) -> None:
        self._drop()

    # -- the API --------------------------------------------------------------------------------

    def status(self) -> FarmStatus:
        return FarmStatus.model_validate(self._json("GET", "/v1/farm"))

    def has_blob(self, sha256: str) -> bool:
        try:
            self.request("HEAD", f"/v1/blobs/{sha256}")
            return True
        except FarmNotFound:
            return False

    def upload(self, path: Path, sha256: str | None = None, *, progress: ProgressFn | None = None) -> str:
        """Uploads a job's input file (skipped when the farm has it); returns its sha256."""
        sha256 = sha256 or file_sha256(path)
        if self.has_blob(sha256):
            return sha256
        size = path.stat().st_size
        with open(path, "rb") as fh:
            self.request("PUT", f"/v1/blobs/{sha256}", body=_Reader(fh, size, progress, path.name),
                         headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"},
                         timeout=max(self.timeout, size / (1 << 20)))
        return sha256

    def submit(self, submission: JobSubmit) -> FarmJob:
        return FarmJob.model_validate(self._json("POST", "/v1/jobs", submission.model_dump(mode="json")))

    def job(self, job_id: str) -> FarmJob:
        return FarmJob.model_validate(self._json("GET", f"/v1/jobs/{quote(job_id)}"))

    def jobs(self) -> list[FarmJob]:
        return [FarmJob.model_validate(j) for j in self._json("GET", "/v1/jobs")["jobs"]]

    def events(self, job_id: str, after: int = 0, *, wait: float = 10.0) -> tuple[list[_Event], int, FarmJob]:
        """Events after `after` (waits up to `wait` seconds for one), the next cursor, and the job."""
        query = urlencode({"after": after, "wait": wait})
        data = self._json("GET", f"/v1/jobs/{quote(job_id)}/events?{query}", timeout=self.timeout + wait)
        events = [e for e in (decode_event(d) for d in data.get("events", [])) if e is not None]
        return events, int(data.get("next", after)), FarmJob.model_validate(data["job"])

    def cancel(self, job_id: str) -> FarmJob:
        return FarmJob.model_validate(self._json("POST", f"/v1/jobs/{quote(job_id)}/cancel"))

    def forget(self, job_id: str) -> None:
        """The farm may delete a finished job's files (the client has them)."""
        self.request("DELETE", f"/v1/jobs/{quote(job_id)}")

    def preview(self, job_id: str) -> bytes:
        return self.request("GET", f"/v1/jobs/{quote(job_id)}/preview").body

    def download(self, job: FarmJob, folder: Path, *, progress: ProgressFn | None = None,
                 cancel: CancelToken | None = None) -> list[Path]:
        """Every file of a succeeded job into `folder`: resumed from a partial `.NAME.download`
        (HTTP Range), checked against the sha256 the GPU node computed, then renamed into place. A
        file whose hash does not match is deleted and refused (FarmError); a finished file already
        in place with the right hash is kept."""
        if job.status != "succeeded":
            raise FarmError(f"farm job {job.id} is {job.status}; only a succeeded job has a take to download.")
        folder.mkdir(parents=True, exist_ok=True)
        total = sum(f.size for f in job.files)
        done_before = 0
        out = []
        for entry in job.files:
            out.append(self._download_file(job, entry, folder, progress, cancel, done_before, total))
            done_before += entry.size
        return out

    def _download_file(self, job: FarmJob, entry: FileEntry, folder: Path, progress: ProgressFn | None,
                       cancel: CancelToken | None, offset: int, total: int) -> Path:
        if "/" in entry.name or entry.name.startswith(".") or not entry.name:
            raise FarmError(f"the farm named a take file {entry.name!r}; refusing to write it.")
        final = folder / entry.name
        if final.is_file() and final.stat().st_size == entry.size and file_sha256(final) == entry.sha256:
            return final
        partial = folder / f".{entry.name}.download"
        have = partial.stat().st_size if partial.exists() else 0
        if have > entry.size:
            partial.unlink()
            have = 0
        digest = hashlib.sha256()
        if have:
            with open(partial, "rb") as fh:
                while chunk := fh.read(4 * CHUNK):
                    digest.update(chunk)
        if have < entry.size:
            def receive(resp: http.client.HTTPResponse) -> int:
                nonlocal have, digest
                mode = "ab"
                if resp.status == 200 and have:  # the farm ignored the range: start over
                    mode, have, digest = "wb", 0, hashlib.sha256()
                got = 0
                with open(partial, mode) as fh:
                    while chunk := resp.read(CHUNK):
                        fh.write(chunk)
                        digest.update(chunk)
                        got += len(chunk)
                        have += len(chunk)
                        if progress is not None:
                            progress(offset + have, total, f"downloading {entry.name}")
                        if cancel is not None:
                            cancel.raise_if_canceled()
                    fh.flush()
                    os.fsync(fh.fileno())
                return got

            headers = {"Range": f"bytes={have}-"} if have else {}
            try:
                self.request("GET", f"/v1/jobs/{quote(job.id)}/files/{quote(entry.name)}", headers=headers,
                             stream=receive, timeout=max(self.timeout, 120.0))
            except Canceled:
                self._drop()  # the rest of the body is still on the wire
                raise
        if have != entry.size or digest.hexdigest() != entry.sha256:
            partial.unlink(missing_ok=True)
            raise CorruptDownload(f"{entry.name} of farm job {job.id} arrived corrupted (sha256 {digest.hexdigest()[:16]}…, "
                            f"expected {entry.sha256[:16]}…, {have} of {entry.size} bytes); it was deleted and not "
                            "used. Download again; if it fails again, the farm's copy is damaged: render the shot again.")
        os.replace(partial, final)
        return final

    def wait(self, job_id: str, *, timeout: float | None = None,
             on_event: Callable[[_Event], None] | None = None) -> FarmJob:
        """Follows a job's events until it is finished (or `timeout` seconds pass)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        after = 0
        while True:
            left = 10.0 if deadline is None else max(0.0, min(10.0, deadline - time.monotonic()))
            events, after, job = self.events(job_id, after, wait=left)
            for event in events:
                if on_event is not None:
                    on_event(event)
            if job.finished_status or (deadline is not None and time.monotonic() >= deadline):
                return job


class _Reader:
    """A file body for http.client that reports upload progress."""

    def __init__(self, fh: Any, size: int, progress: ProgressFn | None, name: str) -> None:
        self.fh, self.size, self.progress, self.name = fh, size, progress, name
        self.sent = 0

    def read(self, n: int = -1) -> bytes:
        chunk = self.fh.read(CHUNK if n is None or n < 0 else min(n, CHUNK))
        self.sent += len(chunk)
        if self.progress is not None and chunk:
            self.progress(self.sent, self.size, f"uploading {self.name}")
        return chunk
