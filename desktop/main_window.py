"""The main window: viewer in the middle (it gets the space), media bin on the left, a compact
storyboard and the timeline below, the generation panels and the marker list on the right; the
docks' sizes are remembered per user. Layout and wiring only: the editor model (desktop.editor)
holds the state, `ShotCommands` and `ImportController` do the edits, `ProjectService` opens and
saves, and each view repaints what the model's refresh names."""

from __future__ import annotations

import platform
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QActionGroup, QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QScrollArea,
    QToolBar,
    QWidget,
)

from desktop import theme
from desktop.actions import ActionRegistry
from desktop.commands import ShotCommands
from desktop.continuity import install as install_continuity
from desktop.editor.model import EditorModel
from desktop.finishing import INTERPOLATE_RATES, FinishController
from desktop.generation import GenerationController
from desktop.i18n import Label, install_language, tr
from desktop.importing import ImportController, dropped_paths
from desktop.models.document import Document
from desktop.models.storyboard import MEDIA_MIME, StoryboardModel
from desktop.models.timecode import duration_text
from desktop.preview.audio import AudioPlayer
from desktop.preview.frame_server import FrameServer
from desktop.preview.playback import Playback
from desktop.project_flow import ProjectFlow
from desktop.render_on import RenderOnController
from desktop.services.autosave import AutosaveService
from desktop.services.engine import EngineService
from desktop.services.project_io import ProjectService
from desktop.services.proxies import ProxyService
from desktop.services.settings import Settings
from desktop.services.thumbnails import ThumbnailService
from desktop.services.waveforms import WaveformService
from desktop.studio import StudioUi
from desktop.views.inspector import InspectorPanel
from desktop.views.markers_panel import MarkersPanel
from desktop.views.media_bin import MediaBinModel, MediaBinView
from desktop.views.queue_panel import QueuePanel
from desktop.views.storyboard import StoryboardView
from desktop.views.takes_panel import TakesPanel
from desktop.views.timeline import TimelineData, TimelineView
from desktop.views.viewer import ViewerPanel


class _KeyHold(QObject):
    """Tracks whether the shuttle-stop key (K) is held, for K+J / K+L single-frame steps."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.held = False

    def eventFilter(self, obj, event) -> bool:
        # A key bound to a shortcut reaches filters as ShortcutOverride, not KeyPress.
        kinds = (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride, QEvent.Type.KeyRelease)
        if event.type() in kinds and not event.isAutoRepeat():
            keys = self.window.actions["shuttle_stop"].shortcuts()
            combo = event.keyCombination()
            if any(k.count() == 1 and k[0] == combo for k in keys):
                self.held = event.type() != QEvent.Type.KeyRelease
        return False


_FIELD_KEYS = {Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown, Qt.Key.Key_Home,
               Qt.Key.Key_End, Qt.Key.Key_Left, Qt.Key.Key_Right}


class _FieldKeys(QObject):
    """The arrow, page and Home/End keys belong to the field that has the focus (a combo box, a
    spin box): the window's shortcuts on them (Up/Down: previous/next cut) act only
    when no such field has it. Qt asks the focus widget first (ShortcutOverride); these widgets
    do not claim the keys themselves, so a user pressing Down in a combo box jumped the playhead."""

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(
                obj, (QComboBox, QAbstractSpinBox)) and event.key() in _FIELD_KEYS \
                and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            event.accept()  # delivered to the field as a key press, not to the shortcut
            return True
        return False


def scrolled(panel: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setObjectName(f"{panel.objectName()}Scroll")
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(panel)
    return area


class MainWindow(QMainWindow):
    projectOpened = Signal(object)

    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.settings = settings or Settings.load()
        self.setWindowIcon(QIcon(str(theme.icon_path("shotloom"))))
        self.setAcceptDrops(True)
        self.resize(1360, 860)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)

        self.model = EditorModel()
        self.transport = self.model.transport
        self.document = Document(self.model, self)
        self.projects = ProjectService(self)
        self.flow = ProjectFlow(self)
        self.commands = ShotCommands(self.model, self.document, lambda msg: self.notify(msg, 6000))
        self.audio = AudioPlayer(self.transport, self)
        self.audio.set_volume(self.settings.volume / 100, self.settings.muted)
        self.playback = Playback(self.transport, self, audio=self.audio)
        self.waveforms = WaveformService(self)
        self.server = FrameServer(self.settings.cache_mb * 2**20, self)
        self.thumbnails = ThumbnailService(self)
        self.proxies = ProxyService(self)
        self.autosave = AutosaveService(self.document, self.settings.autosave_seconds,
                                        self.settings.autosave_edits, self)
        self.engine = EngineService(parent=self)
        self.registry = ActionRegistry(self, self.settings.keymap)
        self.actions = self.registry
        self._fullscreen_state: QByteArray | None = None
        self._closing_ok = False

        # central viewer and docks
        self.viewer = ViewerPanel(self.server, self.transport, self.registry, self)
        self.setCentralWidget(self.viewer)
        self.storyboard_model = StoryboardModel(self.model, self.thumbnails, self)
        self.storyboard = StoryboardView(self)
        self.storyboard.setModel(self.storyboard_model)
        self.timeline = TimelineView(self.transport, self)
        self.bin_model = MediaBinModel(self.model, self.thumbnails, self)
        self.bin = MediaBinView(self)
        self.bin.setModel(self.bin_model)
        self.imports = ImportController(self)
        self.generation = GenerationController(self, self.engine)
        self.finishing = FinishController(self, self.generation)
        self.studio = StudioUi(self)
        self.inspector = InspectorPanel(self.model, self.document, self)
        self.takes = TakesPanel(self.model, self.document, self.thumbnails, self)
        self.queue_panel = QueuePanel(self.model, self.engine, self)
        self.markers = MarkersPanel(self.model, self.commands, self)
        self.docks: dict[str, QDockWidget] = {}
        self._dock("media", self.bin, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._dock("storyboard", self.storyboard, Qt.DockWidgetArea.BottomDockWidgetArea)
        self._dock("timeline", self.timeline, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.splitDockWidget(self.docks["storyboard"], self.docks["timeline"], Qt.Orientation.Vertical)
        # The storyboard and timeline run the full width of the window, under the media bin too.
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
        self._dock("inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea)
        # Scrolled when the window is short: a panel's own height must never make the window taller
        # than a small screen (or the viewer smaller).
        self._dock("takes", scrolled(self.takes), Qt.DockWidgetArea.RightDockWidgetArea)
        self._dock("queue", scrolled(self.queue_panel), Qt.DockWidgetArea.RightDockWidgetArea)
        self._dock("markers", self.markers, Qt.DockWidgetArea.RightDockWidgetArea)
        # One tab each, at the full height of the right side: the recipe form and the queue need it.
        self.tabifyDockWidget(self.docks["inspector"], self.docks["takes"])
        self.tabifyDockWidget(self.docks["takes"], self.docks["queue"])
        self.tabifyDockWidget(self.docks["queue"], self.docks["markers"])
        self.docks["inspector"].raise_()
        self.resizeDocks([self.docks["media"], self.docks["inspector"]], [220, 320], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["timeline"]], [170], Qt.Orientation.Vertical)
        self.docks["storyboard"].dockLocationChanged.connect(self.storyboard.set_area)

        self._build_menus()
        self._build_toolbar()
        self._build_statusbar()
        self.farm_dialog_widget = None
        self.render_target = RenderOnController(self)
        self._connect()
        self.continuity = install_continuity(self)
        self._key_hold = _KeyHold(self)
        QApplication.instance().installEventFilter(self._key_hold)
        self._field_keys = _FieldKeys(self)
        QApplication.instance().installEventFilter(self._field_keys)
        self._escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self._escape.activated.connect(lambda: self.set_fullscreen(False))
        self.retranslate()
        self._update_title()
        self._update_enabled()
        self._restore_layout()

    # -- what tests and panels read ---------------------------------------------------------------
    @property
    def shots(self) -> list:
        return self.model.shots

    @property
    def plan(self):
        return self.model.plan

    @property
    def importer(self):
        return self.imports

    @property
    def import_bar(self):
        return self.imports.bar

    @property
    def import_error_box(self):
        return self.imports.error_box

    @property
    def import_errors(self) -> list[str]:
        return self.imports.errors

    @property
    def import_warning_box(self):
        return self.imports.warning_box

    def notify(self, message: str, msecs: int = 6000) -> None:
        self.statusBar().showMessage(message, msecs)

    # ------------------------------------------------------------------------------------------
    # construction
    def _dock(self, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(self)
        dock.setObjectName(f"dock_{name}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        self.docks[name] = dock
        return dock

    def add_panel(self, name: str, widget: QWidget, title: str,
                  area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea) -> QDockWidget:
        """Dock a panel (shot inspector, takes, generation queue) and list it in View › Panels."""
        dock = self._dock(name, widget, area)
        dock.setWindowTitle(title)
        self.menus["panels"].addAction(dock.toggleViewAction())
        return dock

    def _build_menus(self) -> None:
        a = self.registry
        bar = self.menuBar()
        self.menus: dict[str, QMenu] = {}

        def menu(key: str, parent=None) -> QMenu:
            m = (parent or bar).addMenu("")
            m.setObjectName(f"menu_{key}")
            self.menus[key] = m
            return m

        file = menu("file")
        for k in ("new", "open"):
            file.addAction(a[k])
        self.recent_menu = menu("recent", file)
        file.addSeparator()
        for k in ("save", "save_as"):
            file.addAction(a[k])
        file.addSeparator()
        for k in ("import", "import_to_bin", "export"):
            file.addAction(a[k])
        file.addSeparator()
        file.addAction(a["project_settings"])
        file.addSeparator()
        file.addAction(a["quit"])
        edit = menu("edit")
        for k in ("undo", "redo"):
            edit.addAction(a[k])
        edit.addSeparator()
        for k in ("split", "delete", "duplicate", "move_earlier", "move_later"):
            edit.addAction(a[k])
        edit.addSeparator()
        for k in ("crossfade", "clear_transition"):
            edit.addAction(a[k])
        edit.addSeparator()
        edit.addAction(a["settings"])
        gen = menu("generate")
        for k in ("new_shot", "generate", "render_all", None, "extend_forward", "extend_backward", "bridge",
                  "long_take", "new_seed", None, "models"):
            if k is None:
                gen.addSeparator()
            else:
                gen.addAction(a[k])
        self.finish_menu(menu("finish"))
        view = menu("view")
        for k in ("fullscreen", "safe_area", "onion_skin"):
            view.addAction(a[k])
        compare = menu("compare", view)
        self.compare_group = QActionGroup(self)
        for k in ("compare_off", "compare_side", "compare_wipe"):
            self.compare_group.addAction(a[k])
            compare.addAction(a[k])
        a["compare_off"].setChecked(True)
        view.addSeparator()
        for k in ("zoom_in", "zoom_out", "zoom_fit"):
            view.addAction(a[k])
        view.addSeparator()
        panels = menu("panels", view)
        for dock in self.docks.values():
            panels.addAction(dock.toggleViewAction())
        play = menu("playback")
        for k in ("play_pause", "shuttle_back", "shuttle_stop", "shuttle_forward"):
            play.addAction(a[k])
        play.addSeparator()
        for k in ("frame_back", "frame_forward", "second_back", "second_forward", "go_start", "go_end",
                  "prev_boundary", "next_boundary"):
            play.addAction(a[k])
        play.addSeparator()
        for k in ("mark_in", "mark_out", "go_in", "go_out", "loop"):
            play.addAction(a[k])
        play.addSeparator()
        for k in ("add_marker", "edit_marker", "delete_marker", "next_marker", "prev_marker"):
            play.addAction(a[k])
        help_ = menu("help")
        help_.addAction(a["about"])
        # Actions without a menu entry still need to live on the window for their keys to work.
        for action in a.actions.values():
            self.addAction(action)

    def _build_toolbar(self) -> None:
        self.toolbar = QToolBar(self)
        self.toolbar.setObjectName("mainToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.toolbar.setIconSize(QSize(18, 18))
        for k in ("new", "open", "save", None, "undo", "redo", None, "import", "export", None, "split",
                  None, "play_pause", None, "zoom_out", "zoom_in"):
            if k is None:
                self.toolbar.addSeparator()
            else:
                self.toolbar.addAction(self.registry[k])
        # In the menu bar's row, right of the menus: a row of its own would take 40 px from the viewer.
        self.toolbar.setStyleSheet("QToolBar { border: none; padding: 0px; spacing: 1px; }")
        self.menuBar().setCornerWidget(self.toolbar, Qt.Corner.TopRightCorner)
        self._apply_icons()

    def _apply_icons(self) -> None:
        """Icons are tinted for the theme, so they are made again when it changes."""
        for k, icon in (("new", "new"), ("open", "open"), ("save", "save"), ("undo", "undo"), ("redo", "redo"),
                        ("import", "import"), ("export", "export"), ("split", "split"),
                        ("play_pause", "pause" if self.playback.playing else "play"), ("zoom_in", "zoom-in"),
                        ("zoom_out", "zoom-out"), ("go_start", "start"), ("go_end", "end"),
                        ("frame_back", "frame-back"), ("frame_forward", "frame-forward"), ("loop", "loop")):
            self.registry[k].setIcon(theme.icon(icon))

    def _build_statusbar(self) -> None:
        sb = self.statusBar()
        self.info_label = QLabel(self)
        self.engine_label = QLabel(self)
        self.engine_label.setObjectName("engineState")
        self.device_label = QLabel(self)
        self.device_label.setObjectName("engineDevice")
        self.farm_label = QLabel(self)
        self.farm_label.setObjectName("renderTarget")
        sb.addPermanentWidget(self.imports.label)
        sb.addPermanentWidget(self.imports.bar)
        sb.addPermanentWidget(self.info_label)
        sb.addPermanentWidget(self.engine_label)
        sb.addPermanentWidget(self.device_label)
        sb.addPermanentWidget(self.farm_label)

    def _connect(self) -> None:
        a = self.registry
        d = self.document
        a["new"].triggered.connect(self.flow.new_project_dialog)
        a["open"].triggered.connect(self.flow.open_project_dialog)
        a["save"].triggered.connect(self.save)
        a["save_as"].triggered.connect(self.flow.save_as_dialog)
        a["import"].triggered.connect(self.imports.dialog)
        a["import_to_bin"].triggered.connect(self.imports.bin_dialog)
        a["project_settings"].triggered.connect(self.project_settings_dialog)
        a["export"].triggered.connect(self.export_dialog)
        a["quit"].triggered.connect(self.close)
        a["undo"].triggered.connect(d.undo_stack.undo)
        a["redo"].triggered.connect(d.undo_stack.redo)
        d.undo_stack.canUndoChanged.connect(lambda _: self._update_enabled())
        d.undo_stack.canRedoChanged.connect(lambda _: self._update_enabled())
        d.undo_stack.indexChanged.connect(lambda _: self._update_undo_texts())
        a["split"].triggered.connect(self.commands.split_at_playhead)
        a["delete"].triggered.connect(self.commands.delete_selected)
        a["duplicate"].triggered.connect(self.commands.duplicate_selected)
        a["move_earlier"].triggered.connect(lambda: self.commands.move_selected(-1))
        a["move_later"].triggered.connect(lambda: self.commands.move_selected(1))
        a["crossfade"].triggered.connect(lambda: self.commands.set_transition_on_selected("crossfade"))
        a["clear_transition"].triggered.connect(lambda: self.commands.set_transition_on_selected("cut"))
        a["settings"].triggered.connect(self.settings_dialog)
        a["about"].triggered.connect(self.about)
        # transport
        t = self.transport
        a["play_pause"].triggered.connect(self.playback.toggle)
        a["shuttle_back"].triggered.connect(lambda: self._shuttle(-1))
        a["shuttle_forward"].triggered.connect(lambda: self._shuttle(1))
        a["shuttle_stop"].triggered.connect(self.playback.pause)
        a["frame_back"].triggered.connect(lambda: self._step(-1))
        a["frame_forward"].triggered.connect(lambda: self._step(1))
        a["second_back"].triggered.connect(lambda: self._step(-t.second()))
        a["second_forward"].triggered.connect(lambda: self._step(t.second()))
        a["go_start"].triggered.connect(lambda: self._seek(0))
        a["go_end"].triggered.connect(lambda: self._seek(t.last()))
        a["prev_boundary"].triggered.connect(lambda: self._boundary(-1))
        a["next_boundary"].triggered.connect(lambda: self._boundary(1))
        a["mark_in"].triggered.connect(t.set_in)
        a["mark_out"].triggered.connect(t.set_out)
        a["go_in"].triggered.connect(lambda: self._seek(t.mark_in) if t.mark_in is not None else None)
        a["go_out"].triggered.connect(lambda: self._seek(t.mark_out) if t.mark_out is not None else None)
        a["loop"].toggled.connect(self._set_loop)
        a["add_marker"].triggered.connect(lambda: self.commands.add_marker())
        a["edit_marker"].triggered.connect(lambda: self.commands.edit_marker(None, self))
        a["delete_marker"].triggered.connect(lambda: self.commands.delete_marker())
        a["next_marker"].triggered.connect(lambda: self._marker_jump(1))
        a["prev_marker"].triggered.connect(lambda: self._marker_jump(-1))
        a["fullscreen"].toggled.connect(self.set_fullscreen)
        a["safe_area"].toggled.connect(self.viewer.set_safe_area)
        a["onion_skin"].toggled.connect(self.viewer.set_onion_skin)
        a["compare_off"].triggered.connect(lambda: self.viewer.set_compare("off"))
        a["compare_side"].triggered.connect(lambda: self.viewer.set_compare("side"))
        a["compare_wipe"].triggered.connect(lambda: self.viewer.set_compare("wipe"))
        canvas = self.timeline.canvas
        a["zoom_in"].triggered.connect(lambda: canvas.set_zoom(canvas.px_per_frame * 1.5, self._playhead_x()))
        a["zoom_out"].triggered.connect(lambda: canvas.set_zoom(canvas.px_per_frame / 1.5, self._playhead_x()))
        a["zoom_fit"].triggered.connect(canvas.zoom_fit)
        self.playback.stateChanged.connect(self._on_play_state)
        self.viewer.canvas.painted.connect(self.playback.painted)
        self.viewer.set_volume(self.settings.volume, self.settings.muted)
        self.viewer.volumeChanged.connect(self._on_volume)
        self.audio.deviceMissing.connect(lambda why: self.notify(
            tr("No sound: {why}. Playback goes on without it.").format(why=why), 8000))
        self.waveforms.ready.connect(canvas.waveform_ready)
        # generation
        g = self.generation
        st = self.studio
        a["new_shot"].triggered.connect(st.new_shot_dialog)
        a["generate"].triggered.connect(lambda: g.generate())
        a["render_all"].triggered.connect(g.render_all)
        a["extend_forward"].triggered.connect(lambda: g.extend("forward"))
        a["extend_backward"].triggered.connect(lambda: g.extend("backward"))
        a["bridge"].triggered.connect(g.bridge_to_next)
        a["long_take"].triggered.connect(lambda: g.long_take_from_here())
        a["new_seed"].triggered.connect(g.regenerate_new_seed)
        a["models"].triggered.connect(lambda: st.models_dialog())
        f = self.finishing
        a["upscale_2"].triggered.connect(lambda: f.upscale(2))
        a["upscale_4"].triggered.connect(lambda: f.upscale(4))
        a["slow_motion_2"].triggered.connect(lambda: f.slow_motion(2))
        a["slow_motion_4"].triggered.connect(lambda: f.slow_motion(4))
        self.engine.stateChanged.connect(st.show_engine_state)
        self.engine.deviceChanged.connect(st.show_device)
        self.engine.workerDied.connect(lambda msg: self.notify(msg, 15000))
        self.engine.failedToStart.connect(lambda msg: self.notify(
            tr("The engine could not start: {why}").format(why=msg), 20000))
        g.previewReady.connect(st.on_preview)
        g.takeApplied.connect(st.on_take_applied)
        self.takes.compareRequested.connect(st.compare_takes)
        self.takes.replayRequested.connect(st.replay_take)
        # model and document
        m = self.model
        m.jobsChanged.connect(st.on_jobs)
        self.transport.frameChanged.connect(st.on_playhead)
        m.opened.connect(self._on_opened)
        m.changed.connect(self._on_change)
        m.selection.changed.connect(self._on_selection)
        d.dirtyChanged.connect(lambda _: self._update_title())
        d.editRefused.connect(lambda msg: self.notify(msg, 8000))
        self.autosave.failed.connect(lambda msg: self.notify(msg, 15000))
        self.autosave.saved.connect(lambda _p: self.notify(tr("Autosaved"), 3000))
        self.projects.changedOutside.connect(self.flow.on_changed_outside)
        # storyboard and timeline
        c = self.commands
        self.storyboard.moveRequested.connect(c.move_shots)
        self.storyboard.filesDropped.connect(self.import_files)
        self.bin.filesDropped.connect(self.imports.import_to_bin)
        self.storyboard.contextRequested.connect(self._storyboard_menu)
        self.storyboard.selectionIdsChanged.connect(m.selection.set)
        self.storyboard.doubleClicked.connect(self._storyboard_activated)
        canvas.seekRequested.connect(self._seek)
        canvas.shotClicked.connect(self._on_timeline_click)
        canvas.trimDrag.connect(self._on_trim_drag)
        canvas.rollDrag.connect(self._on_roll_drag)
        canvas.trimChanged.connect(self._show_trim)
        canvas.moveRequested.connect(c.move_shots)
        canvas.markerDrag.connect(c.marker_step)
        canvas.markerEditRequested.connect(lambda marker_id: c.edit_marker(marker_id, self))
        canvas.transitionDrag.connect(c.transition_step)
        canvas.transitionEditRequested.connect(lambda shot_id: c.edit_transition(shot_id, self))
        canvas.contextRequested.connect(self._timeline_menu)
        canvas.setAcceptDrops(True)
        canvas.installEventFilter(self.imports)
        # services
        self.proxies.built.connect(lambda _p: self._use_proxies())
        self.proxies.failed.connect(lambda msg: self.notify(msg, 8000))
        self.recent_menu.aboutToShow.connect(self.flow.fill_recent)

    # ------------------------------------------------------------------------------------------
    # text and state
    def retranslate(self) -> None:
        self.registry.retranslate()
        titles = {"file": tr("&File"), "recent": tr("Open &Recent"), "edit": tr("&Edit"),
                  "generate": tr("&Generate"), "finish": tr("F&inish"), "view": tr("&View"),
                  "compare": tr("&Compare A/B"), "panels": tr("&Panels"), "playback": tr("&Playback"),
                  "help": tr("&Help")}
        for key, m in self.menus.items():
            m.setTitle(titles[key])
        self.finish_menu(self.menus["finish"])
        for key, title in (("media", tr("Media")), ("storyboard", tr("Storyboard")), ("timeline", tr("Timeline")),
                           ("inspector", tr("Shot")), ("takes", tr("Takes")), ("queue", tr("Queue")),
                           ("markers", tr("Markers"))):
            self.docks[key].setWindowTitle(title)
        for panel in (self.inspector, self.takes, self.queue_panel):
            panel.retranslate()
        self.render_target.retranslate()
        if hasattr(self, "continuity"):
            self.docks["seams"].setWindowTitle(tr("Seams"))
            self.continuity.panel.retranslate()
        self.studio.show_engine_state(self.engine.state, self.engine.detail)
        self.studio.show_device(self.engine.device)
        self.studio.on_playhead(self.transport.frame)
        self.toolbar.setWindowTitle(tr("Toolbar"))
        self.viewer.retranslate()
        self.markers.retranslate()
        self.bin_model.retranslate()
        self.document.retranslate()
        self._update_undo_texts()
        self._update_title()
        self._update_info()
        self.timeline.canvas.update()
        self.storyboard.viewport().update()

    def _update_title(self) -> None:
        project = self.document.project
        if project is None:
            self.setWindowTitle("Shotloom")
        else:
            mark = "*" if self.document.dirty else ""
            self.setWindowTitle(f"{project.name}{mark} — Shotloom")

    def _update_undo_texts(self) -> None:
        stack = self.document.undo_stack
        undo, redo = self.registry["undo"], self.registry["redo"]
        undo.setText(tr("&Undo {what}").format(what=stack.undoText()).strip() if stack.canUndo()
                     else tr("&Undo"))
        redo.setText(tr("&Redo {what}").format(what=stack.redoText()).strip() if stack.canRedo()
                     else tr("&Redo"))

    def _update_enabled(self) -> None:
        has = self.document.project is not None
        has_shots = bool(self.shots)
        for k in ("save", "save_as", "export", "split", "delete", "duplicate", "crossfade", "clear_transition",
                  "generate", "new_seed", "extend_forward", "extend_backward", "bridge"):
            self.registry[k].setEnabled(has and (has_shots or k in ("save", "save_as")))
        for k in ("new_shot", "render_all", "long_take"):
            self.registry[k].setEnabled(has)
        self.registry["undo"].setEnabled(self.document.undo_stack.canUndo())
        self.registry["redo"].setEnabled(self.document.undo_stack.canRedo())

    def _update_info(self) -> None:
        project = self.document.project
        if project is None:
            self.info_label.setText(tr("No project"))
            return
        w, h = project.size
        fps = project.fps
        rate = f"{float(fps):.3f}".rstrip("0").rstrip(".")
        self.info_label.setText(tr("{w}×{h} · {rate} fps · {n} shots").format(
            w=w, h=h, rate=rate, n=len(self.shots)))

    # ------------------------------------------------------------------------------------------
    # project lifecycle (ProjectFlow: dialogs over the project service)
    def set_project(self, project, *, dirty: bool | None = None) -> None:
        self.flow.set_project(project, dirty=dirty)

    def open_project(self, path: Path | str, *, check_recovery: bool = True) -> bool:
        return self.flow.open_project(path, check_recovery=check_recovery)

    def new_project(self, path: Path | str, fps=None, size=None) -> bool:
        return self.flow.new_project(path, fps=fps, size=size)

    def close_project(self) -> None:
        self.flow.close_project()

    def ensure_project(self) -> bool:
        return self.flow.ensure_project()

    def save(self) -> bool:
        return self.flow.save()

    def save_as(self, path: Path) -> bool:
        return self.flow.save_as(path)

    def maybe_save(self) -> bool:
        return self.flow.maybe_save()

    def check_startup_recovery(self) -> None:
        self.flow.check_startup_recovery()

    LAYOUT_VERSION = 2  # a layout saved by another arrangement of the docks is not restored

    def _restore_layout(self) -> None:
        """The window's size and its docks' places and sizes as the user left them."""
        if self.settings.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(self.settings.window_geometry.encode()))
        if self.settings.window_state:
            self.restoreState(QByteArray.fromBase64(self.settings.window_state.encode()), self.LAYOUT_VERSION)
            self.storyboard.set_area(self.dockWidgetArea(self.docks["storyboard"]))

    def _remember_layout(self) -> None:
        if self.isFullScreen() and self._fullscreen_state is not None:
            state = self._fullscreen_state
        else:
            state = self.saveState(self.LAYOUT_VERSION)
        self.settings.window_state = bytes(state.toBase64()).decode()
        self.settings.window_geometry = bytes(self.saveGeometry().toBase64()).decode()

    def _save_settings(self) -> None:
        try:
            self.settings.save()
        except OSError as exc:
            self.notify(f"{Settings.file()}: {exc.strerror or exc}", 8000)

    def closeEvent(self, event) -> None:
        if not self._closing_ok and not self.maybe_save():
            event.ignore()
            return
        self._remember_layout()
        self.playback.pause()
        self.proxies.cancel()
        if self.document.project is not None and not self.document.dirty:
            self.autosave.discard()
        self._save_settings()
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        # Widgets and the undo stack go away after this; their last signals must reach no one.
        self.document.undo_stack.blockSignals(True)
        self.document.blockSignals(True)
        QApplication.instance().removeEventFilter(self._key_hold)
        QApplication.instance().removeEventFilter(self._field_keys)
        self.autosave.timer.stop()
        self.audio.stop()
        self.waveforms.stop()
        self.server.stop()
        self.thumbnails.stop()
        self.render_target.stop()
        self.engine.stop()
        self.projects.close()

    # ------------------------------------------------------------------------------------------
    # refresh from the editor model: each view repaints what the refresh names
    def _on_opened(self) -> None:
        project = self.document.project
        if project is not None:
            self.viewer.project_size = tuple(project.size)
            self.server.set_source_for(self._proxy_source(project))
        self.server.set_plan(self.model.plan)
        self.audio.set_cut(self.model.plan, self.model.audio)
        self._refresh_timeline()
        if self.viewer.canvas.compare != "off":
            # A/B showed the other project's takes or a seam of it: never beside this one's frames.
            self.actions["compare_off"].trigger()
        self.viewer.set_shots(self.model.shots)
        self.viewer.request()
        self.timeline.canvas.zoom_fit()
        if project is not None:
            self.ensure_proxies()
        self._update_title()
        self._update_info()
        self._update_enabled()

    def _on_change(self, refresh) -> None:
        self.server.set_plan(self.model.plan)
        self.audio.set_cut(self.model.plan, self.model.audio)
        self._refresh_timeline()
        if refresh.takes or refresh.order:
            self.viewer.set_shots(self.model.shots)
        if refresh.project:
            # A new name, size, rate or fit: the title, the status line and the preview's size.
            self.viewer.project_size = tuple(self.model.project.size)
            self._update_title()
            self._update_info()
            self.timeline.canvas.zoom_fit()
        self.viewer.request()
        if refresh.order:
            self._update_info()
            self._update_enabled()

    def _refresh_timeline(self) -> None:
        plan = self.model.plan
        if plan is None:
            self.timeline.canvas.set_data(TimelineData())
            return
        mixes = [(mx.start, mx.frames, mx.kind, mx.b.shot_id) for mx in plan.mixes]
        self.timeline.canvas.set_data(TimelineData(self.model.project.fps, plan.frames, self.model.shots, mixes,
                                                   self.model.audio, self.model.markers, status=self.model.status,
                                                   jobs=self.model.jobs, seams=self.continuity.marks(),
                                                   waveform=self.waveforms.get))

    @staticmethod
    def _proxy_source(project):
        from engine.render.proxies import proxy_source

        return proxy_source(project.path)

    def _use_proxies(self) -> None:
        project = self.document.project
        if project is not None:
            self.server.set_source_for(self._proxy_source(project))
            self.viewer.request()

    def ensure_proxies(self) -> None:
        project = self.document.project
        if project is None or not self.settings.proxies:
            return
        media = []
        for shot in self.model.shots:
            if shot.media_path is not None and Path(shot.media_path).exists():
                is_video = Path(shot.media_path).suffix.lower() not in theme.STILL_SUFFIXES
                media.append((Path(shot.media_path), is_video))
        self.proxies.ensure(project.path, media, min(project.size[1], 1080))

    # ------------------------------------------------------------------------------------------
    # imports and drops (ImportController does the work)
    def import_files(self, paths: list, row: int = -1) -> None:
        self.imports.import_files(paths, row)

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() or event.mimeData().hasFormat(MEDIA_MIME):
            event.setDropAction(Qt.DropAction.CopyAction)  # never "move": the user's file stays put
            event.accept()

    def dragMoveEvent(self, event) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        paths = dropped_paths(event.mimeData())
        if paths:
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            self.import_files(paths, len(self.model.shots))

    # ------------------------------------------------------------------------------------------
    # transport helpers
    def _seek(self, frame: int) -> None:
        self.transport.seek(frame)

    def _step(self, frames: int) -> None:
        self.playback.pause()
        self.transport.step(frames)

    def _shuttle(self, direction: int) -> None:
        if self._key_hold.held:
            self._step(direction)  # K held: J/L step one frame
        else:
            self.playback.shuttle(direction)

    def _boundaries(self) -> list[int]:
        cuts = {s.start for s in self.shots}
        if self.transport.length:
            cuts.add(self.transport.last())
        return sorted(cuts)

    def _boundary(self, direction: int) -> None:
        t = self.transport.frame
        marks = self._boundaries()
        if direction < 0:
            before = [b for b in marks if b < t]
            self._seek(before[-1] if before else 0)
        else:
            after = [b for b in marks if b > t]
            self._seek(after[0] if after else self.transport.last())

    def _set_loop(self, on: bool) -> None:
        self.transport.loop = on
        self.transport.rangeChanged.emit()

    def _on_play_state(self, playing: bool) -> None:
        self.server.set_playing((1 if self.playback.speed > 0 else -1) if playing else 0)
        self.registry["play_pause"].setIcon(theme.icon("pause" if playing else "play"))

    def _playhead_x(self) -> float:
        return self.timeline.canvas.x_of(self.transport.frame)

    def set_fullscreen(self, on: bool) -> None:
        if on == self.isFullScreen() and (self._fullscreen_state is not None) == on:
            return
        if on:
            self._fullscreen_state = self.saveState(self.LAYOUT_VERSION)
            for dock in self.docks.values():
                dock.hide()
            self.menuBar().hide()
            self.statusBar().hide()
            self.viewer.bar.hide()
            self.showFullScreen()
        else:
            self.showNormal()
            self.menuBar().show()
            self.statusBar().show()
            self.viewer.bar.show()
            if self._fullscreen_state is not None:
                self.restoreState(self._fullscreen_state, self.LAYOUT_VERSION)
            self._fullscreen_state = None
        self.registry["fullscreen"].blockSignals(True)
        self.registry["fullscreen"].setChecked(on)
        self.registry["fullscreen"].blockSignals(False)

    # ------------------------------------------------------------------------------------------
    # selection (the editor model's; the storyboard and the timeline show it)
    def selected_shots(self) -> list:
        return self.model.selected_shots()

    def shot_at(self, frame: int):
        return self.model.shot_at(frame)

    def _on_selection(self, ids: list) -> None:
        self.storyboard.select_ids(ids)
        self.timeline.canvas.selected = set(ids)
        self.timeline.canvas.update()

    def _on_timeline_click(self, shot_id: str, extend: bool) -> None:
        ids = list(self.model.selection.ids) if extend else []
        ids.append(shot_id)
        self.model.selection.set(ids)

    def _on_trim_drag(self, shot_id: str, side: str, step: int, key) -> None:
        if self.commands.trim_step(shot_id, side, step, key):
            self.timeline.canvas.trim_accepted(step)

    def _on_roll_drag(self, earlier_id: str, later_id: str, step: int, key) -> None:
        if self.commands.roll_step(earlier_id, later_id, step, key):
            self.timeline.canvas.trim_accepted(step)

    def _show_trim(self) -> None:
        """While a cut is trimmed the viewer shows the frame at the edit (the later shot's new first
        frame, or the earlier shot's new last frame) with the edge and how far it moved."""
        state = self.timeline.canvas.trim_state()
        shot = self.model.shot(state["shot"]) if state is not None else None
        if shot is None:
            self.viewer.show_trim(None, None)
            return
        delta = state["applied"]
        if state["mode"] == "roll":
            frame, text = shot.start, tr("Roll {delta:+d} frames")
        elif state["side"] == "in":
            frame, text = shot.start, tr("Head {delta:+d} frames")
        else:
            frame, text = max(shot.start, shot.end - 1), tr("Tail {delta:+d} frames")
        detail = tr("“{name}” is now {frames} frames ({length})").format(
            name=shot.name, frames=shot.frames, length=duration_text(shot.frames, self.transport.rate))
        self.viewer.show_trim(frame, text.format(delta=delta) + "\n" + detail)

    def _marker_jump(self, direction: int) -> None:
        self.playback.pause()
        self.commands.go_to_marker(direction)

    def _on_volume(self, volume: int, muted: bool) -> None:
        self.settings.volume, self.settings.muted = volume, muted
        self.audio.set_volume(volume / 100, muted)

    def _storyboard_activated(self, index) -> None:
        if 0 <= index.row() < len(self.model.shots):
            self._seek(self.model.shots[index.row()].start)

    def _timeline_menu(self, shot_id: str, pos) -> None:
        if shot_id and shot_id not in self.model.selection.ids:
            self.model.selection.set([shot_id])
        self._storyboard_menu(pos)

    def finish_menu(self, menu: QMenu) -> QMenu:
        """Upscale and interpolate the selected shot's take (the Finish menu and the shot's context menu)."""
        if not menu.objectName():
            menu.setObjectName("finishMenu")
            menu.setTitle(tr("F&inish"))
        if not menu.property("finishEnabling"):
            menu.setProperty("finishEnabling", True)
            menu.aboutToShow.connect(lambda m=menu: self._enable_finish(m))
        menu.clear()
        for k in ("upscale_2", "upscale_4"):
            menu.addAction(self.registry[k])
        menu.addSeparator()
        rates = menu.addMenu(tr("&Interpolate to"))
        rates.setObjectName("interpolateMenu")
        for fps in INTERPOLATE_RATES:
            rates.addAction(tr("{fps} fps").format(fps=fps)).triggered.connect(
                lambda _=False, r=fps: self.finishing.interpolate(r))
        for k in ("slow_motion_2", "slow_motion_4"):
            menu.addAction(self.registry[k])
        return menu

    def _enable_finish(self, menu: QMenu) -> None:
        shots = self.selected_shots()
        ok = len(shots) == 1 and shots[0].media_path is not None
        for action in menu.actions():
            action.setEnabled(ok)

    def _storyboard_menu(self, pos) -> None:
        menu = QMenu(self)
        for k in ("generate", "new_seed", None, "extend_forward", "extend_backward", "bridge", "long_take", None,
                  "duplicate", "delete", "split"):
            if k is None:
                menu.addSeparator()
            else:
                menu.addAction(self.registry[k])
        self.finish_menu(menu.addMenu(""))
        menu.addSeparator()
        sub = menu.addMenu(tr("Set Transition"))
        for kind, label in (("crossfade", tr("Crossfade")), ("dip_black", tr("Dip to black")),
                            ("dip_white", tr("Dip to white")), ("cut", tr("Cut (no transition)"))):
            sub.addAction(label).triggered.connect(
                lambda _=False, k=kind: self.commands.set_transition_on_selected(k))
        sub.addSeparator()
        sub.addAction(tr("Edit Transition…")).triggered.connect(
            lambda: self.commands.edit_transition(self.selected_shots()[0].id, self)
            if self.selected_shots() else None)
        self._context_menu = menu
        menu.popup(pos)

    # ------------------------------------------------------------------------------------------
    # dialogs
    def export_dialog(self) -> None:
        from desktop.views.export_dialog import ExportDialog

        if self.document.project is None:
            return
        self.playback.pause()
        dialog = ExportDialog(self.document.project, self.transport, self)
        self.export_dialog_widget = dialog
        dialog.exec()
        self.export_dialog_widget = None

    def project_settings_dialog(self) -> None:
        from desktop.views.project_dialog import ProjectSettingsDialog

        project = self.document.project
        if project is None:
            return
        self.playback.pause()
        dialog = ProjectSettingsDialog(project, self)
        self.project_settings_widget = dialog
        try:
            if dialog.exec():
                edit = dialog.edit()
                if edit is not None:
                    self.document.apply(edit, Label("Change Project Settings"))
        finally:
            self.project_settings_widget = None

    def settings_dialog(self) -> None:
        from desktop.views.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self.registry, self)
        self.settings_dialog_widget = dialog
        if dialog.exec():
            dialog.apply_to(self.settings)
            self.apply_settings()
            self._save_settings()
        self.settings_dialog_widget = None

    def apply_settings(self) -> None:
        theme.apply(QApplication.instance(), self.settings.theme)
        self._apply_icons()
        install_language(self.settings.language)
        self.registry.apply_keymap(self.settings.keymap)
        self.server.cache.set_budget(self.settings.cache_mb * 2**20)
        self.autosave.configure(self.settings.autosave_seconds, self.settings.autosave_edits)
        self.retranslate()
        conflicts = self.registry.conflicts()
        if conflicts:
            key, first, second = conflicts[0]
            self.notify(tr("The key {key} is used by two commands (“{a}” and “{b}”); change one in "
                           "Settings › Keyboard").format(key=key, a=self.registry.name(first),
                                                         b=self.registry.name(second)), 10000)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def about(self) -> None:
        from PySide6 import __version__ as pyside
        from PySide6.QtCore import qVersion

        from desktop import __version__

        self.about_box = box = QMessageBox(QMessageBox.Icon.NoIcon, tr("About Shotloom"), tr(
            "<b>Shotloom</b> {version}<br>A local AI video studio: storyboard, timeline and a frame-exact "
            "viewer over a local generation engine.<br><br>Qt {qt} · PySide6 {pyside} · Python {py}").format(
                version=__version__, qt=qVersion(), pyside=pyside, py=platform.python_version()),
            QMessageBox.StandardButton.Ok, self)
        box.setObjectName("aboutBox")
        box.setIconPixmap(self.windowIcon().pixmap(64, 64))
        box.exec()
        self.about_box = None

    def showEvent(self, event) -> None:
        super().showEvent(event)
        QTimer.singleShot(0, self.timeline.canvas.zoom_fit)
        if self.settings.engine_autostart and self.engine.state == "off":
            # After the first paint: the window is usable while the worker starts.
            QTimer.singleShot(150, self.studio.start_engine)

