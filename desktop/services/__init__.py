"""Background services of the editor: settings, autosave, imports, thumbnails, export, recent files.

Each service owns its thread (if any) and talks to widgets through Qt signals only. The generation
panels (inspector, takes, queue) add an engine client service here; `MainWindow.add_panel` docks
their widgets on the right.
"""
