"""Render on: this machine or a farm. The choice (the queue panel's "Render on" list, remembered per
user with the farm's URL), the farm's status in one line under it and in the status bar, and
the Farm at URL… dialog. The engine adapter moves generation to the farm's agent and back
(EngineService.render_on); the farm's status comes from FarmService, off the UI thread."""

from __future__ import annotations

from PySide6.QtCore import QObject

from desktop.i18n import tr
from desktop.services.farm import FarmReadout, FarmService

LOCAL, FARM, CHOOSE = "local", "farm", "choose"


class RenderOnController(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.settings = window.settings
        self.engine = window.engine
        self.panel = window.queue_panel
        self.combo = self.panel.render_on
        self.farm = FarmService(self)
        self.dialog = None
        self.combo.activated.connect(self._chosen)
        self.farm.changed.connect(self._show)
        self.engine.farmAgentChanged.connect(self._agent_changed)
        self.engine.jobsChanged.connect(lambda: self.farm.refresh() if self.target else None)
        if self.settings.render_on == FARM and self.settings.farm_url:
            self.engine.farm_url = self.settings.farm_url  # the worker starts with the choice made
            self.farm.watch(self.settings.farm_url)
        self.retranslate()

    @property
    def target(self) -> str | None:
        """The farm's URL when generation runs there, else None."""
        return self.settings.farm_url if self.settings.render_on == FARM and self.settings.farm_url else None

    # -- the list ------------------------------------------------------------------------------
    def retranslate(self) -> None:
        combo = self.combo
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(tr("This machine"), LOCAL)
        if self.settings.farm_url:
            combo.addItem(tr("Farm {url}").format(url=self.settings.farm_url), FARM)
        combo.addItem(tr("Farm at URL…"), CHOOSE)
        combo.setCurrentIndex(combo.findData(FARM if self.target else LOCAL))
        combo.setToolTip(tr("Where shots are generated: on this machine, or on a farm of GPU machines "
                            "(`shotloom farm serve`); the project stays here"))
        combo.blockSignals(False)
        self._show(self.farm.readout)

    def _chosen(self, index: int) -> None:
        choice = self.combo.itemData(index)
        if choice == CHOOSE:
            self.open_dialog()
        elif choice == FARM:
            self.use(self.settings.farm_url)
        else:
            self.use(None)

    def use(self, farm_url: str | None) -> None:
        """Generation runs here (None) or on this farm from now on; remembered."""
        if farm_url:
            self.settings.farm_url = farm_url
        self.settings.render_on = FARM if farm_url else LOCAL
        self.window._save_settings()
        self.engine.render_on(farm_url)
        self.farm.watch(farm_url)
        self.retranslate()
        self.window.notify(tr("Shots are now generated on the farm {url}").format(url=farm_url) if farm_url
                           else tr("Shots are now generated on this machine"), 6000)

    def open_dialog(self) -> None:
        from desktop.views.farm_dialog import FarmDialog

        self.retranslate()  # the list shows the current choice until the dialog says otherwise
        dialog = FarmDialog(self.farm, self.settings.farm_url, self.window)
        self.dialog = self.window.farm_dialog_widget = dialog
        dialog.accepted.connect(lambda: self.use(dialog.readout.url))
        dialog.finished.connect(self._dialog_closed)
        dialog.open()

    def _dialog_closed(self, _result: int) -> None:
        self.dialog = self.window.farm_dialog_widget = None

    # -- the farm's status ---------------------------------------------------------------------
    def _show(self, readout: FarmReadout) -> None:
        label = self.panel.farm_status
        status = self.window.farm_label
        if readout.state == "off" or not self.target:
            label.hide()
            status.setText(tr("Render on: this machine"))
            status.setToolTip("")
            return
        label.setText(readout.text)
        label.setProperty("farmState", readout.state)
        label.setStyleSheet("" if readout.state in ("ready", "checking") else "color: #e8846b;")
        label.show()
        short = {"ready": tr("Render on: farm ({nodes} node(s), {gpus} GPU(s))").format(
                     nodes=readout.nodes, gpus=readout.gpus),
                 "checking": tr("Render on: farm (checking…)"),
                 "refused": tr("Render on: farm (token refused)"),
                 "no_token": tr("Render on: farm (token refused)"),
                 "down": tr("Render on: farm (not reachable)")}.get(readout.state, tr("Render on: farm (error)"))
        status.setText(short)
        status.setToolTip(readout.text)
        if readout.usable and self.target == readout.url:
            self.engine.render_on(readout.url)  # starts the farm's agent again if it had given up

    def _agent_changed(self) -> None:
        client = self.engine.farm_client
        if self.target and client is not None and client.gave_up:
            self.farm.refresh()  # the agent could not use the farm: the readout says why

    def stop(self) -> None:
        self.farm.stop()
