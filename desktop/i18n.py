"""UI language: Qt translations (.qm built by lrelease from desktop/assets/translations/*.ts).

`tr(text)` marks and translates every user-visible string of the editor in one context; the
actions' texts live in the "Actions" context. The language follows the system locale unless the
user picks one in settings.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

TRANSLATIONS = Path(__file__).resolve().parent / "assets" / "translations"
CONTEXT = "Shotloom"

_installed: list[QTranslator] = []


def tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


class Label:
    """A text to translate later, when it is shown: an undo step's name stays in the UI's language
    even when the language changes after the step was made. `str(label)` is the text now."""

    __slots__ = ("source", "values")

    def __init__(self, source: str, **values) -> None:
        self.source = source
        self.values = values

    def __str__(self) -> str:
        text = tr(self.source)
        return text.format(**self.values) if self.values else text

    def english(self) -> str:
        """The text untranslated (what the project's history records: `shotloom history` shows it)."""
        return self.source.format(**self.values) if self.values else self.source

    def __repr__(self) -> str:
        return f"Label({self.source!r})"


def resolve_language(setting: str) -> str:
    """'system' -> 'zh_CN' when the system locale is Chinese, else 'en'."""
    if setting != "system":
        return setting
    name = QLocale.system().name()  # e.g. zh_CN, en_US
    return "zh_CN" if name.startswith("zh") else "en"


def install_language(setting: str) -> str:
    """Installs the translator for `setting` ("system", "en", "zh_CN"); returns the language used."""
    app = QCoreApplication.instance()
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    language = resolve_language(setting)
    if language != "en":
        translator = QTranslator(app)
        if translator.load(str(TRANSLATIONS / f"shotloom_{language}.qm")):
            app.installTranslator(translator)
            _installed.append(translator)
            # Qt's own strings (OK, Cancel, Save…) from the translations shipped with Qt.
            qt = QTranslator(app)
            if qt.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)) or \
                    qt.load(f"qt_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
                app.installTranslator(qt)
                _installed.append(qt)
        else:
            language = "en"
    return language
