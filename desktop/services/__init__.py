"""Background services of the editor, widget-free: settings, autosave, project open/save/lock/watch
(project_io), imports, thumbnails, proxies, export, the model catalog and downloads (models), the
engine adapter (engine: the job client's events as Qt signals), and the one helper every piece of
background work uses (background: progress with ETA, cancel, one-line failures).

Each talks to widgets through Qt signals only.
"""
