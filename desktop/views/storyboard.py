"""Storyboard: the shots as cards (thumbnail, label, duration, status badge) in timeline order.
Drag to reorder, Ctrl/Shift-click to select several, right-click for shot commands."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QAbstractItemView, QListView, QMenu, QStyle, QStyledItemDelegate

from desktop.i18n import tr
from desktop.models.storyboard import JobRole, ShotRole, StatusRole, ThumbRole
from desktop.models.timecode import duration_text

CARD_W, CARD_H = 176, 150
THUMB_H = 96
BADGES = {
    "ready": QColor(64, 160, 96),
    "pending": QColor(200, 150, 50),
    "missing": QColor(200, 70, 60),
    "stale": QColor(140, 110, 190),
    "queued": QColor(150, 130, 70),
    "rendering": QColor(50, 150, 170),
    "failed": QColor(200, 70, 60),
}


def status_text(status: str) -> str:
    return {"ready": tr("ready"), "pending": tr("pending"), "missing": tr("missing"), "stale": tr("stale"),
            "queued": tr("queued"), "rendering": tr("rendering"), "failed": tr("failed")}.get(status, status)


def paint_ring(p: QPainter, centre, radius: int, fraction: float) -> None:
    """A progress ring: a dim full circle and a bright arc from twelve o'clock."""
    rect = QRect(0, 0, 2 * radius, 2 * radius)
    rect.moveCenter(centre)
    p.setBrush(QColor(0, 0, 0, 150))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawEllipse(rect.adjusted(-4, -4, 4, 4))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(QColor(255, 255, 255, 60), 4))
    p.drawEllipse(rect)
    p.setPen(QPen(QColor(110, 210, 230), 4, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    p.drawArc(rect, 90 * 16, -int(360 * 16 * max(0.0, min(1.0, fraction))))
    p.setPen(QColor(240, 240, 240))
    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{int(fraction * 100)}%")


class CardDelegate(QStyledItemDelegate):
    def __init__(self, view) -> None:
        super().__init__(view)
        self.view = view

    def sizeHint(self, option, index) -> QSize:
        return QSize(CARD_W, CARD_H)

    def paint(self, p: QPainter, option, index) -> None:
        shot = index.data(ShotRole)
        if shot is None:
            return
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pal = option.palette
        card = QRect(option.rect).adjusted(4, 4, -4, -4)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        p.setPen(QPen(pal.color(pal.ColorRole.Highlight), 2) if selected
                 else QPen(pal.color(pal.ColorRole.Mid), 1))
        p.setBrush(pal.color(pal.ColorRole.Button))
        p.drawRoundedRect(card, 6, 6)
        thumb_rect = QRect(card.x() + 6, card.y() + 6, card.width() - 12, THUMB_H)
        p.fillRect(thumb_rect, QColor(16, 16, 18))
        image = index.data(ThumbRole)
        if image is not None and not image.isNull():
            scaled = image.size().scaled(thumb_rect.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, scaled.width(), scaled.height())
            target.moveCenter(thumb_rect.center())
            p.drawImage(target, image)
        status = index.data(StatusRole) or shot.status
        job = index.data(JobRole)
        if image is None or image.isNull():
            p.setPen(pal.color(pal.ColorRole.PlaceholderText))
            text = tr("Not generated yet") if shot.media_path is None else tr("Loading…")
            if status == "queued":
                text = tr("Waiting in the queue")
            elif status == "failed" and job is not None:
                text = job.message
            if status != "rendering":
                p.drawText(thumb_rect.adjusted(6, 18, -6, -2),
                           Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
        if status == "rendering" and job is not None:
            paint_ring(p, thumb_rect.center(), 24, job.progress)
        # number chip
        chip = QRect(thumb_rect.x() + 4, thumb_rect.y() + 4, 24, 18)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 170))
        p.drawRoundedRect(chip, 4, 4)
        p.setPen(QColor(240, 240, 240))
        p.drawText(chip, Qt.AlignmentFlag.AlignCenter, str(shot.index + 1))
        # status badge
        badge_text = status_text(status)
        fm = p.fontMetrics()
        bw = fm.horizontalAdvance(badge_text) + 12
        badge = QRect(thumb_rect.right() - bw - 4, thumb_rect.y() + 4, bw, 18)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(BADGES.get(status, QColor(120, 120, 120)))
        p.drawRoundedRect(badge, 9, 9)
        p.setPen(QColor(255, 255, 255))
        p.drawText(badge, Qt.AlignmentFlag.AlignCenter, badge_text)
        # transition-in marker
        if shot.transition_in is not None:
            label = {"crossfade": "⨯", "dip_black": "◐", "dip_white": "◑"}.get(shot.transition_in.kind, "⨯")
            text = f"{label} {shot.transition_in.frames}"
            tw = fm.horizontalAdvance(text) + 10
            chip_t = QRect(thumb_rect.x() + 4, thumb_rect.bottom() - 22, tw, 18)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(255, 210, 80))
            p.drawRoundedRect(chip_t, 4, 4)
            p.setPen(QColor(30, 30, 30))
            p.drawText(chip_t, Qt.AlignmentFlag.AlignCenter, text)
        # label and duration
        text_rect = QRect(card.x() + 8, thumb_rect.bottom() + 4, card.width() - 16, 20)
        p.setPen(pal.color(pal.ColorRole.ButtonText))
        font = QFont(option.font)
        font.setBold(True)
        p.setFont(font)
        p.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   p.fontMetrics().elidedText(shot.name, Qt.TextElideMode.ElideRight, text_rect.width()))
        p.setFont(option.font)
        rate = self.view.model().rate
        p.setPen(pal.color(pal.ColorRole.PlaceholderText))
        length = duration_text(shot.frames, rate) if rate else ""
        p.drawText(text_rect.translated(0, 20), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   tr("{frames} frames · {length}").format(frames=shot.frames, length=length))
        p.restore()


class StoryboardView(QListView):
    contextRequested = Signal(object)  # QPoint (global)
    selectionIdsChanged = Signal(list)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("storyboard")
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setSpacing(2)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setItemDelegate(CardDelegate(self))
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(lambda pos: self.contextRequested.emit(
            self.viewport().mapToGlobal(pos)))
        self.setMinimumHeight(CARD_H + 24)

    def setModel(self, model) -> None:
        super().setModel(model)
        self.selectionModel().selectionChanged.connect(
            lambda *_: self.selectionIdsChanged.emit(self.selected_ids()))

    def selected_ids(self) -> list[str]:
        rows = sorted(i.row() for i in self.selectionModel().selectedIndexes())
        return [self.model().shots[r].id for r in rows]

    def select_ids(self, ids: list[str]) -> None:
        from PySide6.QtCore import QItemSelection, QItemSelectionModel

        selection = QItemSelection()
        for row, shot in enumerate(self.model().shots):
            if shot.id in ids:
                selection.select(self.model().index(row), self.model().index(row))
        self.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() or any(event.mimeData().hasFormat(m) for m in self.model().mimeTypes()):
            event.acceptProposedAction()
        super().dragEnterEvent(event)


def context_menu(actions) -> QMenu:
    menu = QMenu()
    for action_id in ("duplicate", "delete", "split", "crossfade", "clear_transition"):
        menu.addAction(actions[action_id])
    return menu
