"""The farm as the editor sees it: its status in one line (nodes, GPUs, workers, jobs, or why it
cannot be used and what to do) and connecting to a farm with its token.

Every network call runs on a BackgroundTask thread; the UI thread never waits on the network. The
token is saved with the farm's URL in the owner-only file `shotloom farm token URL` writes
(engine.farm.security.KnownFarms), never in the editor's settings.

Generation itself goes through the engine adapter (EngineService.render_on): a farm job is a queue
job whose runner is remote (engine.farm.agent), and its take comes back through the same result
path as a local one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.i18n import tr
from desktop.services.background import BackgroundTask

STATUS_TIMEOUT = 8.0  # seconds a status request may take before the farm counts as down


@dataclass(frozen=True)
class FarmReadout:
    """What the editor knows of a farm. `state`: "off" (rendering here), "checking", "ready",
    "refused" (wrong token), "no_token", "down" (not reachable), "bad_url" or "error" (`detail`
    says what). `text` is the one line to show, in the UI's language at the time it is read."""

    state: str
    url: str = ""
    nodes: int = 0
    gpus: int = 0
    workers: int = 0
    jobs: dict[str, int] = field(default_factory=dict)
    detail: str = ""

    @property
    def usable(self) -> bool:
        return self.state == "ready"

    @property
    def text(self) -> str:
        url = self.url
        if self.state == "ready":
            return tr("Farm {url}: {nodes} node(s), {gpus} GPU(s), {workers} worker(s) ready · {running} "
                      "rendering, {queued} waiting").format(url=url, nodes=self.nodes, gpus=self.gpus,
                                                            workers=self.workers, running=self.jobs.get("running", 0),
                                                            queued=self.jobs.get("queued", 0))
        return {
            "off": "",
            "checking": tr("Farm {url}: checking…"),
            "refused": tr("The farm at {url} refused the token: run `shotloom farm token` on the farm and paste the "
                          "current one in Render on › Farm at URL…"),
            "no_token": tr("No token for the farm at {url}: run `shotloom farm token` on the farm and paste it in "
                           "Render on › Farm at URL…"),
            "down": tr("The farm at {url} cannot be reached: start `shotloom farm serve` there (or your SSH "
                       "tunnel); queued shots wait until it answers"),
            "bad_url": tr("“{url}” is not a farm URL like http://127.0.0.1:8765 or https://gpu-box:8765"),
        }.get(self.state, "{detail}").format(url=url, detail=self.detail)


def probe(url: str, token: str | None = None, *, save: bool = False) -> FarmReadout:
    """The farm's status (on a work thread). With `save`, a token the farm accepted is saved for its
    URL (and an HTTPS farm's certificate pinned as it is now, as `shotloom farm token URL` does)."""
    from engine.farm.client import FarmClient, FarmRefused, FarmUnreachable
    from engine.farm.security import FarmError, KnownFarms, farm_base

    try:
        base = farm_base(url)
    except FarmError:
        return FarmReadout("bad_url", url.strip())
    try:
        known = KnownFarms()
        client = FarmClient(base, token or None, timeout=STATUS_TIMEOUT, known=known)
        if save:
            client.pin = None
        try:
            status = client.status()
        finally:
            client.close()
        if save:
            known.update(base, token=client.token)
    except FarmRefused as exc:
        return FarmReadout("no_token" if str(exc).startswith("no token") else "refused", base)
    except FarmUnreachable:
        return FarmReadout("down", base)
    except FarmError as exc:
        return FarmReadout("error", base, detail=str(exc).splitlines()[0])
    ready = sum(1 for w in status.workers if w.state in ("idle", "busy"))
    nodes = sum(1 for n in status.nodes if n.alive)
    jobs = {k: v for k, v in status.jobs.items() if v}
    return FarmReadout("ready", base, nodes, status.gpus, ready, jobs)


class FarmService(QObject):
    changed = Signal(object)  # FarmReadout of the farm being watched
    connectDone = Signal(object)  # FarmReadout of a connect() attempt (ready: the token is saved)

    REFRESH_MS = 10_000

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.url = ""
        self.readout = FarmReadout("off")
        self._task: BackgroundTask | None = None
        self._connecting: BackgroundTask | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(self.REFRESH_MS)
        self.timer.timeout.connect(self.refresh)

    def watch(self, url: str | None) -> None:
        """Show this farm's status (refreshed every few seconds); None: generation runs here."""
        self.url = url or ""
        if not self.url:
            self.timer.stop()
            self._set(FarmReadout("off"))
            return
        if self.readout.url != self.url or self.readout.state == "off":
            self._set(FarmReadout("checking", self.url))
        self.timer.start()
        self.refresh()

    def refresh(self) -> None:
        if not self.url or (self._task is not None and self._task.running):
            return
        url = self.url
        task = BackgroundTask(lambda _t: probe(url), "farm status", self)
        task.succeeded.connect(lambda readout: self._set(readout) if url == self.url else None)
        self._task = task.start()

    def connect_farm(self, url: str, token: str) -> None:
        """Check the farm with this token (or the saved one when empty) and save it when accepted;
        connectDone says how it went."""
        if self._connecting is not None and self._connecting.running:
            return
        task = BackgroundTask(lambda _t: probe(url, token.strip() or None, save=True), "farm connect", self)
        task.succeeded.connect(self.connectDone.emit)
        self._connecting = task.start()

    @property
    def busy(self) -> bool:
        return self._connecting is not None and self._connecting.running

    def stop(self) -> None:
        self.timer.stop()
        for task in (self._task, self._connecting):
            if task is not None:
                task.wait(STATUS_TIMEOUT + 2)

    def _set(self, readout: FarmReadout) -> None:
        if readout != self.readout:
            self.readout = readout
            self.changed.emit(readout)
