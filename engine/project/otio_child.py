"""Child-process entry: read a foreign .otio file the way an import does, print one JSON line.

Run as `python -m engine.project.otio_child PATH`. Exit 0 with {"ok": true}, or exit 3 with
{"error": "one line"}; a crash of OpenTimelineIO's C++ reader kills only this process
(engine.project.otio_io reads the file here first).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(json.dumps({"error": "usage: python -m engine.project.otio_child PATH"}))
        return 2
    from engine.errors import ShotloomError
    from engine.project.otio_io import read_timeline

    path = Path(args[0])
    try:
        timeline = read_timeline(path, [], isolated=False)
        for clip in timeline.find_clips():  # what the import touches next: ranges and references
            clip.trimmed_range()
            _ = clip.media_reference
    except ShotloomError as exc:
        print(json.dumps({"error": str(exc)}))
        return 3
    except Exception as exc:  # noqa: BLE001 - anything else is reported as one line, not a traceback
        message = " ".join(f"{type(exc).__name__}: {exc}".split())
        print(json.dumps({"error": f"{path} is not a readable OTIO timeline ({message})"}))
        return 3
    print(json.dumps({"ok": True}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
