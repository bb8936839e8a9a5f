"""Child-process entry: probe a file and decode its first frame, print one JSON line.

Run as `python -m engine.media.probe_child PATH`. Exit 0 with {"info": {...}} on stdout, or exit 3
with {"error": "one line"}; a crash of FFmpeg kills only this process.
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(json.dumps({"error": "usage: python -m engine.media.probe_child PATH"}))
        return 2
    from engine.errors import MediaError
    from engine.media.info import probe
    from engine.media.reader import FrameReader

    path = args[0]
    try:
        info = probe(path)
        if info.has_video:
            with FrameReader(path) as reader:
                frame = reader.frame(0)
                if frame.shape[:2] != (reader.size[1], reader.size[0]):
                    raise MediaError(f"{path}: the first frame has the wrong size; re-export the file")
    except MediaError as exc:
        print(json.dumps({"error": str(exc)}))
        return 3
    except Exception as exc:  # noqa: BLE001 - anything else is reported as one line, not a traceback
        message = " ".join(f"{type(exc).__name__}: {exc}".split())
        print(json.dumps({"error": f"{path}: cannot be read ({message}); the file may be damaged"}))
        return 3
    print(json.dumps({"info": info.model_dump()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
