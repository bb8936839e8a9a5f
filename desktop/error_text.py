"""The engine's refusals as the editor shows them, in the UI's language.

The engine (which knows nothing of Qt) words its refusals in English, one line each. The ones a
person can cause from the editor (a trim past the media, a transition too long, a bad frame size…)
are recognised here and shown through the translation table; anything else is shown as the engine
wrote it. A template's English reads like the engine's line, so the English UI says the same.
"""

from __future__ import annotations

import re

from desktop.i18n import tr

_NAME = r"(?P<q>['\"])(?P<name>.*)(?P=q)"

ERRORS: tuple[tuple[str, str], ...] = (
    (rf"shot {_NAME} would be (?P<n>-?\d+) frames long; a shot needs at least 1 frame",
     "shot “{name}” would be {n} frames long; a shot needs at least 1 frame"),
    (rf"shot {_NAME} would start (?P<n>\d+) frames before its media begins",
     "shot “{name}” would start {n} frames before its media begins"),
    (rf"shot {_NAME} needs source frames up to (?P<n>\d+) but its media has (?P<m>\d+) frames",
     "shot “{name}” needs source frames up to {n} but its media has {m} frames"),
    (rf"the (?P<n>\d+)-frame transition into shot {_NAME} needs its in-point at source frame (?P<m>\d+) or later",
     "the {n}-frame transition into shot “{name}” needs its in-point at source frame {m} or later"),
    (rf"the (?P<n>\d+)-frame transition after shot {_NAME} needs the shot to stay at least (?P<m>\d+) frames long",
     "the {n}-frame transition after shot “{name}” needs the shot to stay at least {m} frames long"),
    (rf"split offset (?P<n>-?\d+) must be inside shot {_NAME} \(1\.\.(?P<m>-?\d+)\)",
     "the split point must be inside shot “{name}” (1..{m})"),
    (rf"the (?P<n>\d+)-frame transition after shot {_NAME} needs at least (?P<m>\d+) frames after the split point",
     "the {n}-frame transition after shot “{name}” needs at least {m} frames after the split point"),
    (rf"shot {_NAME} is the first shot; there is nothing to mix from",
     "shot “{name}” is the first shot; there is nothing to mix from"),
    (rf"shot {_NAME} is (?P<n>\d+) frames; a (?P<m>\d+)-frame transition needs at least (?P<k>\d+)",
     "shot “{name}” is {n} frames; a {m}-frame transition needs at least {k}"),
    (rf"the shot before {_NAME} is (?P<n>\d+) frames; a transition can be at most that long, not (?P<m>\d+)",
     "the shot before “{name}” is {n} frames; a transition can be at most that long, not {m}"),
    (r"a transition needs at least 1 frame, not (?P<n>-?\d+); use a cut instead",
     "a transition needs at least 1 frame, not {n}; use a cut instead"),
    (rf"shot {_NAME} has no transition to clear", "shot “{name}” has no transition to clear"),
    (rf"take (?P<take>\S+) has (?P<n>\d+) frames but shot {_NAME} shows source frames up to (?P<m>\d+); "
     r"trim the shot first",
     "that take has {n} frames but shot “{name}” shows source frames up to {m}; trim the shot first"),
    (rf"take (?P<take>\S+) is the active take of shot {_NAME}; choose another take first",
     "that take is the active take of shot “{name}”; choose another take first"),
    (rf"shot {_NAME} is waiting to be generated; it needs a recipe",
     "shot “{name}” is waiting to be generated; it needs a recipe"),
    (r"(?P<path>.+) is already in the media bin", "{path} is already in the media bin"),
    (r"a marker cannot be before the start of the timeline \(frame (?P<n>-?\d+)\)",
     "a marker cannot be before the start of the timeline (frame {n})"),
    (r"a project needs a name", "a project needs a name"),
    (r"frame size (?P<w>\d+)x(?P<h>\d+) must have even sides \(video is encoded in 2x2 blocks\); "
     r"try (?P<tw>\d+)x(?P<th>\d+)",
     "frame size {w}×{h} must have even sides (video is encoded in 2×2 blocks); try {tw}×{th}"),
    (r"frame size (?P<w>\d+)x(?P<h>\d+) must be between 2x2 and (?P<m>\d+)x(?P<m2>\d+)",
     "frame size {w}×{h} must be between 2×2 and {m}×{m2}"),
    (r"frame size (?P<v>.*) must be two whole numbers like 768x512",
     "frame size {v} must be two whole numbers like 768×512"),
    (r"frame rate (?P<v>.*) must be between 0 and 1000 frames per second",
     "frame rate {v} must be between 0 and 1000 frames per second"),
    (r"frame rate (?P<v>.*) is not a number like '24' or '30000/1001'",
     "frame rate {v} is not a number like 24 or 30000/1001"),
    (r"the cut cannot be conformed to (?P<rate>\S+) fps \((?P<why>.*)\)",
     "the cut cannot be conformed to {rate} fps ({why})"),
)

_COMPILED = [(re.compile(pattern), template) for pattern, template in ERRORS]


def error_text(message: str) -> str:
    """`message` (an engine refusal) in the UI's language when it is one the editor knows."""
    for pattern, template in _COMPILED:
        match = pattern.fullmatch(message)
        if match is not None:
            values = {k: v for k, v in match.groupdict().items() if k != "q"}
            return tr(template).format(**values)
    return message
