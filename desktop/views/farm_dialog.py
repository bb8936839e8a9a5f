"""Render on › Farm at URL…: the farm's URL and its token (what `shotloom farm token` prints on the
farm). Connect checks both on a work thread and, when the farm accepts the token, saves it for the
URL and closes; otherwise the dialog stays open with one line saying what is wrong and what to do."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import tr


class FarmDialog(QDialog):
    def __init__(self, farm, url: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("farmDialog")
        self.setWindowTitle(tr("Render on a Farm"))
        self.farm = farm
        self.readout = None
        intro = QLabel(tr("Generation runs on the farm; the project and its takes stay on this machine. "
                          "On the farm, `shotloom farm serve` prints the URL and `shotloom farm token` the "
                          "token."), self)
        intro.setWordWrap(True)
        self.url = QLineEdit(url, self)
        self.url.setObjectName("farmUrl")
        self.url.setPlaceholderText("http://127.0.0.1:8765")
        self.token = QLineEdit(self)
        self.token.setObjectName("farmToken")
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText(tr("the saved token, if there is one"))
        form = QFormLayout()
        form.addRow(tr("Farm URL:"), self.url)
        form.addRow(tr("Token:"), self.token)
        self.result = QLabel(self)
        self.result.setObjectName("farmCheck")
        self.result.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.connect_button = QPushButton(tr("Connect"), self)
        self.connect_button.setObjectName("connectFarm")
        self.connect_button.setDefault(True)
        buttons.addButton(self.connect_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.connect_button.clicked.connect(self._connect)
        farm.connectDone.connect(self._done)
        self.finished.connect(lambda _result: farm.connectDone.disconnect(self._done))
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.result)
        layout.addWidget(buttons)
        self.resize(520, self.sizeHint().height())

    def _connect(self) -> None:
        if not self.url.text().strip():
            self.result.setText(tr("Type the farm's URL, like http://127.0.0.1:8765"))
            return
        self.connect_button.setEnabled(False)
        self.result.setText(tr("Connecting…"))
        self.farm.connect_farm(self.url.text().strip(), self.token.text())

    def _done(self, readout) -> None:
        if not self.isVisible():
            return
        self.connect_button.setEnabled(True)
        self.readout = readout
        if readout.usable:
            self.accept()
        else:
            self.result.setText(readout.text)
