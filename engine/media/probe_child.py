"""Child-process entry: probe a file, decoding all of it; JSON lines out.

Run as `python -m engine.media.probe_child PATH`. While it reads it prints {"progress": [done,
total]} lines; then exit 0 with {"info": {...}}, or exit 3 with {"error": "one line"}. A crash of
FFmpeg kills only this process.
"""

from __future__ import annotations

import json
import sys


def _say(value: dict) -> None:
    print(json.dumps(value), flush=True)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        _say({"error": "usage: python -m engine.media.probe_child PATH"})
        return 2
    from engine.errors import MediaError
    from engine.media.info import probe

    path = args[0]
    try:
        # The probe's scan decodes every frame here, so a file that crashes FFmpeg crashes this
        # process, and the scan it leaves on disk spares the parent a second read.
        info = probe(path, progress=lambda done, total, message="": _say({"progress": [done, total]}))
    except MediaError as exc:
        _say({"error": str(exc)})
        return 3
    except Exception as exc:  # noqa: BLE001 - anything else is reported as one line, not a traceback
        message = " ".join(f"{type(exc).__name__}: {exc}".split())
        _say({"error": f"{path}: cannot be read ({message}); the file may be damaged"})
        return 3
    _say({"info": info.model_dump()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
