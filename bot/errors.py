"""Every error newsbot raises on purpose, in one place.

Each carries a one-line message fit to show a user; the CLI and the UI print that
message instead of a traceback.
"""


class NewsbotError(Exception):
    """Base class: ``str(err)`` is a complete, user-facing sentence."""


class ConfigError(NewsbotError):
    """The configuration is invalid or incomplete."""


class ModelUnavailable(NewsbotError):
    """The chat or embedding model server could not be reached or kept failing."""


class ModelTimeout(ModelUnavailable):
    """The model server accepted the request but did not answer in time."""


class BundledModelError(NewsbotError):
    """The bundled model could not be assembled, verified or started."""


class IngestError(NewsbotError):
    """A file could not be read as an article."""


class StoreError(NewsbotError):
    """The Chroma store could not be opened or written."""


class PromptError(NewsbotError):
    """A prompt file is missing or does not match the prompt schema."""


class CassetteMissing(ModelUnavailable):
    """Replay mode: the cassette holds no recorded response for this exact request."""


class EvalCaseError(NewsbotError):
    """An evaluation case file is invalid (the message names file, line and field)."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class TaskUnavailable(NewsbotError):
    """An evaluation case names a task whose pipeline is not built in this install."""


class InputError(NewsbotError):
    """A question, file or option from the user cannot be used as given."""


class ModelReplyError(ModelUnavailable):
    """The model server answered, but not with a complete, parseable reply."""
