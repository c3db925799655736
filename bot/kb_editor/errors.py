"""Errors of the knowledge-base editor, each with a stable code safe to show to clients.

::

    KbEditorError
     ├── UploadRejected          (415/422: a file the ingest loaders cannot turn into articles)
     ├── SuggestionNotFound      (404)
     ├── SuggestionClosed        (409: already accepted or dismissed)
     ├── SuggestionStale         (409: the article changed so the proposal no longer applies)
     ├── ImportRejected          (422: `draftdesk kb import` found a bad file; nothing stored)
     └── NothingToLint           (422: `draftdesk kb lint` was given a folder without articles)
"""

from __future__ import annotations

from knowledge_base.error_base import DraftdeskError


class KbEditorError(DraftdeskError):
    """Base error of the editor; ``code`` is stable, ``message`` is one readable line."""

    code = "kb_editor_error"
    status = 400


class UploadRejected(KbEditorError):
    """An uploaded file could not be imported; nothing from the upload was stored."""

    code = "upload_rejected"
    status = 422

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class SuggestionNotFound(KbEditorError):
    code = "suggestion_not_found"
    status = 404


class SuggestionClosed(KbEditorError):
    code = "suggestion_closed"
    status = 409


class SuggestionStale(KbEditorError):
    code = "suggestion_stale"
    status = 409


class ImportRejected(KbEditorError):
    """A KB directory could not be imported; nothing from it was stored."""

    code = "import_rejected"
    status = 422


class NothingToLint(KbEditorError):
    """``draftdesk kb lint`` found no article files to check (a mistyped folder, say)."""

    code = "nothing_to_lint"
    status = 422
