"""Errors a user sees. str(error) is one sentence naming the file or value and what to do."""


class ShotloomError(Exception):
    """An input was refused; the CLI prints the message and exits 1."""


class MediaError(ShotloomError):
    """A media file could not be read or written."""


class ProjectError(ShotloomError):
    """A project bundle could not be opened, saved or changed."""


class EditError(ProjectError):
    """An edit was refused; nothing was changed."""


class GenerationError(ShotloomError):
    """A generation request was refused or failed."""


class Canceled(ShotloomError):
    """Long work was canceled by the user; nothing partial was left behind."""
