"""The editor model: Qt-free state of the open project (shots, render plan, selection, transport)
that the views subscribe to. Each project edit becomes one `Refresh` naming what changed, so a view
repaints only that (napari's viewer model, Anki's operation changes)."""
