"""Every command of the editor with its default keys (remappable in settings, shown in menus).

Keys follow what Premiere, Resolve, Kdenlive and Shotcut users expect: Space, J/K/L, arrows, I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence


def _tr(text: str) -> str:
    return QCoreApplication.translate("Actions", text)


@dataclass(frozen=True)
class ActionSpec:
    id: str
    text: str  # English source text; translated through the "Actions" context
    keys: tuple[str, ...] = ()
    checkable: bool = False
    icon: str = ""


# Order matters only for the settings dialog listing.
SPECS: tuple[ActionSpec, ...] = (
    ActionSpec("new", "&New Project…", ("Ctrl+N",), icon="new"),
    ActionSpec("open", "&Open Project…", ("Ctrl+O",), icon="open"),
    ActionSpec("save", "&Save", ("Ctrl+S",), icon="save"),
    ActionSpec("save_as", "Save &As…", ("Ctrl+Shift+S",)),
    ActionSpec("import", "&Import Media…", ("Ctrl+I",), icon="import"),
    ActionSpec("import_to_bin", "Import to Media &Bin…", ("Ctrl+Shift+I",)),
    ActionSpec("export", "&Export…", ("Ctrl+E",), icon="export"),
    ActionSpec("project_settings", "&Project Settings…", ()),
    ActionSpec("quit", "&Quit", ("Ctrl+Q",)),
    ActionSpec("undo", "&Undo", ("Ctrl+Z",), icon="undo"),
    ActionSpec("redo", "&Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), icon="redo"),
    ActionSpec("split", "S&plit at Playhead", ("S", "Ctrl+K"), icon="split"),
    ActionSpec("delete", "&Delete Shot", ("Delete",)),
    ActionSpec("duplicate", "D&uplicate Shot", ()),
    ActionSpec("move_earlier", "Move Shot &Earlier", ("Ctrl+Alt+Left",)),
    ActionSpec("move_later", "Move Shot &Later", ("Ctrl+Alt+Right",)),
    ActionSpec("crossfade", "Set &Crossfade", ("Ctrl+T",)),
    ActionSpec("clear_transition", "Clear &Transition", ()),
    ActionSpec("settings", "Se&ttings…", ("Ctrl+,",)),
    ActionSpec("new_shot", "&New Shot from Prompt…", ("Ctrl+Shift+N",)),
    ActionSpec("generate", "&Generate Shot", ("Ctrl+G",)),
    ActionSpec("render_all", "Generate &All Pending and Stale", ("Ctrl+Shift+G",)),
    ActionSpec("extend_forward", "Extend &Forward", ("Ctrl+]",)),
    ActionSpec("extend_backward", "Extend &Backward", ("Ctrl+[",)),
    ActionSpec("bridge", "&Bridge to Next Shot", ("Ctrl+B",)),
    ActionSpec("long_take", "&Long Take from Here…", ("Ctrl+Alt+L",)),
    ActionSpec("new_seed", "Regenerate with New &Seed", ("Ctrl+Alt+G",)),
    ActionSpec("upscale_2", "&Upscale ×2", ()),
    ActionSpec("upscale_4", "Upscale ×&4", ()),
    ActionSpec("slow_motion_2", "Slow Motion ×2", ()),
    ActionSpec("slow_motion_4", "Slow Motion ×4", ()),
    ActionSpec("models", "&Models…", ()),
    ActionSpec("play_pause", "&Play / Pause", ("Space",), icon="play"),
    ActionSpec("shuttle_back", "Shuttle &Backward", ("J",)),
    ActionSpec("shuttle_stop", "Shuttle &Stop", ("K",)),
    ActionSpec("shuttle_forward", "Shuttle &Forward", ("L",)),
    ActionSpec("frame_back", "Previous &Frame", ("Left",)),
    ActionSpec("frame_forward", "&Next Frame", ("Right",)),
    ActionSpec("second_back", "Back One Second", ("Shift+Left",)),
    ActionSpec("second_forward", "Forward One Second", ("Shift+Right",)),
    ActionSpec("go_start", "Go to &Start", ("Home",)),
    ActionSpec("go_end", "Go to &End", ("End",)),
    ActionSpec("prev_boundary", "Previous Shot Boundary", ("Up",)),
    ActionSpec("next_boundary", "Next Shot Boundary", ("Down",)),
    ActionSpec("mark_in", "Set &In", ("I",)),
    ActionSpec("mark_out", "Set &Out", ("O",)),
    ActionSpec("go_in", "Go to In", ("Shift+I",)),
    ActionSpec("go_out", "Go to Out", ("Shift+O",)),
    ActionSpec("loop", "&Loop In/Out", ("Ctrl+L",), checkable=True),
    ActionSpec("add_marker", "Add &Marker", ("M",)),
    ActionSpec("edit_marker", "&Edit Marker…", ("Ctrl+M",)),
    ActionSpec("delete_marker", "Delete Marker", ("Ctrl+Alt+M",)),
    ActionSpec("next_marker", "Next Marker", ("Shift+M",)),
    ActionSpec("prev_marker", "Previous Marker", ("Ctrl+Shift+M",)),
    ActionSpec("fullscreen", "&Full Screen Viewer", ("F11",), checkable=True),
    ActionSpec("safe_area", "Sa&fe Areas", ("'",), checkable=True),
    ActionSpec("onion_skin", "&Onion Skin", ("Ctrl+Shift+O",), checkable=True),
    ActionSpec("compare_off", "Compare: Off", (), checkable=True),
    ActionSpec("compare_side", "Compare: Side by Side", (), checkable=True),
    ActionSpec("compare_wipe", "Compare: Wipe", (), checkable=True),
    ActionSpec("zoom_in", "Zoom &In Timeline", ("=", "Ctrl+="), icon="zoom-in"),
    ActionSpec("zoom_out", "Zoom &Out Timeline", ("-", "Ctrl+-"), icon="zoom-out"),
    ActionSpec("zoom_fit", "Zoom to &Fit", ("Shift+Z",)),
    ActionSpec("about", "&About Shotloom", ()),
)

SPEC_BY_ID = {spec.id: spec for spec in SPECS}


def default_keys(action_id: str) -> tuple[str, ...]:
    return SPEC_BY_ID[action_id].keys


class ActionRegistry(QObject):
    """Creates one QAction per spec, applies the user's keymap, and retranslates on demand."""

    def __init__(self, parent: QObject, keymap: dict[str, list[str]] | None = None) -> None:
        super().__init__(parent)
        self.actions: dict[str, QAction] = {}
        for spec in SPECS:
            action = QAction(parent)
            action.setObjectName(f"action_{spec.id}")
            action.setCheckable(spec.checkable)
            # Window-wide: the keys work whichever panel has focus.
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setAutoRepeat(spec.id in {"frame_back", "frame_forward", "second_back",
                                             "second_forward", "undo", "redo"})
            self.actions[spec.id] = action
        self.apply_keymap(keymap or {})
        self.retranslate()

    def __getitem__(self, action_id: str) -> QAction:
        return self.actions[action_id]

    def keys(self, action_id: str) -> list[str]:
        return [seq.toString(QKeySequence.SequenceFormat.PortableText)
                for seq in self.actions[action_id].shortcuts()]

    def apply_keymap(self, keymap: dict[str, list[str]]) -> None:
        for spec in SPECS:
            keys = keymap.get(spec.id, list(spec.keys))
            self.actions[spec.id].setShortcuts([QKeySequence(k) for k in keys if k])

    @staticmethod
    def name(action_id: str) -> str:
        """The command's name as people read it ("Split at Playhead"), in the UI's language; never
        the action's current text (undo's reads "Undo Import clip0")."""
        return _tr(SPEC_BY_ID[action_id].text).replace("&", "").rstrip("…").strip()

    def conflicts(self) -> list[tuple[str, str, str]]:
        """(key, action a, action b) for keys bound to two actions."""
        seen: dict[str, str] = {}
        found = []
        for spec in SPECS:
            for key in self.keys(spec.id):
                if key in seen:
                    found.append((key, seen[key], spec.id))
                seen.setdefault(key, spec.id)
        return found

    def retranslate(self) -> None:
        for spec in SPECS:
            self.actions[spec.id].setText(_tr(spec.text))
            # Menus show the keys; tooltips repeat them for the toolbar.
            keys = ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText)
                             for s in self.actions[spec.id].shortcuts())
            plain = _tr(spec.text).replace("&", "").rstrip("…")
            self.actions[spec.id].setToolTip(f"{plain} ({keys})" if keys else plain)

