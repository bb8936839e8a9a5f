"""Storyboard: the shots as compact cards (thumbnail, label, duration, status badge) in timeline
order. Drag to reorder, Ctrl/Shift-click to select several, right-click for shot commands."""

from __future__ import annotations

import json

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QDrag, QFont, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QApplication, QListView, QMenu, QStyle, QStyledItemDelegate

from desktop.i18n import tr
from desktop.models.storyboard import MEDIA_MIME, SHOT_MIME, JobRole, ShotRole, StatusRole, ThumbRole
from desktop.models.timecode import duration_text

CARD_W, CARD_H = 140, 104
THUMB_H = 58
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
        if shot.id in getattr(self.view, "dragging_ids", ()):
            p.setOpacity(0.35)  # the cards being dragged away
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
        text_rect = QRect(card.x() + 8, thumb_rect.bottom() + 2, card.width() - 16, 16)
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
        p.drawText(text_rect.translated(0, 15), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   tr("{frames} frames · {length}").format(frames=shot.frames, length=length))
        p.restore()


class StoryboardView(QListView):
    """The cards in a row. Dragging cards (with real mouse events) starts a drag; where they would
    land shows as an insertion line between cards, and the drop asks for the move. Files dropped
    from the file manager or the media bin are imported there, reported to their source as a copy
    (never a move: a file manager honouring "move" would delete the user's file)."""

    contextRequested = Signal(object)  # QPoint (global)
    selectionIdsChanged = Signal(list)
    moveRequested = Signal(list, int)  # shot ids, destination row (before the move)
    filesDropped = Signal(list, int)  # paths, destination row

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
        # Drags are started here from the mouse (not by QAbstractItemView) and drops handled here.
        self.setDragEnabled(False)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setItemDelegate(CardDelegate(self))
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(lambda pos: self.contextRequested.emit(
            self.viewport().mapToGlobal(pos)))
        self.setMinimumHeight(CARD_H + 8)
        self.setFixedHeight(CARD_H + 22)  # one row of cards and the scroll bar; the viewer gets the rest
        self.drop_row: int | None = None  # where a drag in progress would land (the insertion line)
        self.dragging_ids: tuple[str, ...] = ()
        self._press: tuple | None = None  # (position, row, deferred selection)

    def set_area(self, area) -> None:
        """Cards in a row under the viewer; in a column when the panel is docked at a side."""
        side = area in (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea)
        self.setMinimumSize(0, 0)
        self.setMaximumSize(16777215, 16777215)
        self.setFlow(QListView.Flow.TopToBottom if side else QListView.Flow.LeftToRight)
        if side:
            self.setMinimumWidth(CARD_W + 22)
        else:
            self.setFixedHeight(CARD_H + 22)

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

    # -- dragging cards out ---------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        index = self.indexAt(event.position().toPoint())
        self._press = None
        if event.button() == Qt.MouseButton.LeftButton and index.isValid():
            plain = not (event.modifiers() & (Qt.KeyboardModifier.ControlModifier
                                              | Qt.KeyboardModifier.ShiftModifier))
            already = self.selectionModel().isSelected(index)
            self._press = (event.position().toPoint(), index.row(), plain and already)
            if plain and already and len(self.selectionModel().selectedIndexes()) > 1:
                # Pressing one of several selected cards keeps them all (to drag them together);
                # a click without a drag selects only it, on release.
                return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        press = self._press
        if press is not None and event.buttons() & Qt.MouseButton.LeftButton and (
                (event.position().toPoint() - press[0]).manhattanLength() >= QApplication.startDragDistance()):
            self._press = None
            self.start_drag(press[1])
            return
        if press is None:
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        press, self._press = self._press, None
        if press is not None and press[2]:
            self.select_ids([self.model().shots[press[1]].id])
        super().mouseReleaseEvent(event)

    def start_drag(self, row: int) -> Qt.DropAction:
        """Drag the selected cards (or the card at `row`): the drop decides where they go."""
        model = self.model()
        shot_id = model.shots[row].id
        ids = self.selected_ids()
        if shot_id not in ids:
            self.select_ids([shot_id])
            ids = [shot_id]
        indexes = [model.index(model.rows[i]) for i in ids if i in model.rows]
        drag = QDrag(self)
        drag.setMimeData(model.mimeData(indexes))
        pixmap = self._card_pixmap(model.index(row))
        drag.setPixmap(pixmap)
        drag.setHotSpot(QPoint(pixmap.width() // 2, pixmap.height() // 2))
        self.dragging_ids = tuple(ids)
        self.viewport().update()
        try:
            return drag.exec(Qt.DropAction.MoveAction, Qt.DropAction.MoveAction)
        finally:
            self.dragging_ids = ()
            self.drop_row = None
            self.viewport().update()

    def _card_pixmap(self, index) -> QPixmap:
        """The card as the drag's picture (half transparent)."""
        from PySide6.QtWidgets import QStyleOptionViewItem

        size = QSize(CARD_W, CARD_H)
        pixmap = QPixmap(size)
        pixmap.fill(Qt.GlobalColor.transparent)
        p = QPainter(pixmap)
        p.setOpacity(0.75)
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        option.rect = QRect(QPoint(0, 0), size)
        option.state |= QStyle.StateFlag.State_Selected
        self.itemDelegate().paint(p, option, index)
        p.end()
        return pixmap

    # -- drops ------------------------------------------------------------------------------------
    def row_at(self, pos: QPoint) -> int:
        """The row cards dropped at `pos` (viewport coordinates) go to: before the card whose left
        half it is over, after the card whose right half it is over."""
        model = self.model()
        for row in range(model.rowCount()):
            rect = self.visualRect(model.index(row))
            if pos.x() < rect.center().x():
                return row
        return model.rowCount()

    @staticmethod
    def _kind(mime) -> str | None:
        if mime.hasFormat(SHOT_MIME):
            return "shots"
        if mime.hasFormat(MEDIA_MIME) or mime.hasUrls():
            return "files"
        return None

    def dragEnterEvent(self, event) -> None:
        self.dragMoveEvent(event)

    def dragMoveEvent(self, event) -> None:
        kind = self._kind(event.mimeData())
        if kind is None:
            event.ignore()
            return
        self.drop_row = self.row_at(event.position().toPoint())
        event.setDropAction(Qt.DropAction.MoveAction if kind == "shots" else Qt.DropAction.CopyAction)
        event.accept()
        self.viewport().update()

    def dragLeaveEvent(self, event) -> None:
        self.drop_row = None
        self.viewport().update()

    def dropEvent(self, event) -> None:
        mime = event.mimeData()
        kind = self._kind(mime)
        row = self.row_at(event.position().toPoint())
        self.drop_row = None
        self.viewport().update()
        if kind == "shots":
            ids = json.loads(bytes(mime.data(SHOT_MIME)).decode())
            event.setDropAction(Qt.DropAction.MoveAction)
            event.accept()
            self.moveRequested.emit(ids, row)
        elif kind == "files":
            from desktop.importing import dropped_paths

            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            self.filesDropped.emit(dropped_paths(mime), row)
        else:
            event.ignore()

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self.drop_row is None:
            return
        model = self.model()
        n = model.rowCount()
        if n == 0:
            x = 6
        elif self.drop_row < n:
            x = self.visualRect(model.index(self.drop_row)).left() + 1
        else:
            x = self.visualRect(model.index(n - 1)).right() + 2
        p = QPainter(self.viewport())
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        accent = self.palette().color(self.palette().ColorRole.Highlight).lighter(130)
        top, bottom = 4, min(self.viewport().height() - 4, CARD_H)
        p.setPen(QPen(accent, 4, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        p.drawLine(x, top + 6, x, bottom - 6)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(accent)
        p.drawEllipse(QPoint(x, top + 5), 6, 6)
        p.drawEllipse(QPoint(x, bottom - 5), 6, 6)
        p.end()


def context_menu(actions) -> QMenu:
    menu = QMenu()
    for action_id in ("duplicate", "delete", "split", "crossfade", "clear_transition"):
        menu.addAction(actions[action_id])
    return menu
