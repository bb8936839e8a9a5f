"""Build the editor's Qt translations: collect every tr("...") string of desktop/ (and the action
texts), write shotloom_<lang>.ts from the <lang>.json dictionaries, and compile .qm with lrelease
(shipped in PySide6). Run: .venv/bin/python installer/build_translations.py [--check]
--check only reports strings without a translation (exit 1 if any)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "desktop" / "assets" / "translations"
LANGUAGES = ("zh_CN",)


def ui_strings() -> list[str]:
    """Literal arguments of tr(...) calls in desktop/, in order of first appearance."""
    seen: dict[str, None] = {}
    for path in sorted((ROOT / "desktop").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("tr", "Label")
                    and node.args and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                seen.setdefault(node.args[0].value, None)
    # TransitionDialog labels go through tr(label) from a table
    from desktop.views.dialogs import TRANSITIONS

    for _key, label in TRANSITIONS:
        seen.setdefault(label, None)
    # The engine's refusals as the editor shows them, and the undo steps of recipe fields.
    from desktop.error_text import ERRORS
    from desktop.views.inspector import CHANGES

    for _pattern, template in ERRORS:
        seen.setdefault(template, None)
    for text in CHANGES.values():
        seen.setdefault(text, None)
    return list(seen)


def action_strings() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from desktop.actions import SPECS

    return [spec.text for spec in SPECS]


def missing(language: str) -> list[str]:
    table = json.loads((HERE / f"{language}.json").read_text(encoding="utf-8"))
    wanted = ui_strings() + action_strings()
    return [s for s in wanted if not table.get(s)]


def write_ts(language: str) -> Path:
    table = json.loads((HERE / f"{language}.json").read_text(encoding="utf-8"))
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<!DOCTYPE TS>",
             f'<TS version="2.1" language="{language}">']
    for context, strings in (("Shotloom", ui_strings()), ("Actions", action_strings())):
        lines.append(f"<context>\n    <name>{context}</name>")
        for source in strings:
            target = table.get(source, "")
            kind = "" if target else ' type="unfinished"'
            lines.append("    <message>")
            lines.append(f"        <source>{escape(source)}</source>")
            lines.append(f"        <translation{kind}>{escape(target)}</translation>")
            lines.append("    </message>")
        lines.append("</context>")
    lines.append("</TS>")
    ts = HERE / f"shotloom_{language}.ts"
    ts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ts


def lrelease() -> Path:
    import PySide6

    return Path(PySide6.__file__).parent / "lrelease"


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    if "--check" in argv:
        bad = {lang: missing(lang) for lang in LANGUAGES}
        for lang, strings in bad.items():
            for s in strings:
                print(f"{lang}: no translation for {s!r}")
        return 1 if any(bad.values()) else 0
    for language in LANGUAGES:
        ts = write_ts(language)
        qm = ts.with_suffix(".qm")
        subprocess.run([str(lrelease()), "-silent", str(ts), "-qm", str(qm)], check=True)
        print(f"{qm} ({len(missing(language))} untranslated)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
