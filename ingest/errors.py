"""Errors raised while loading, chunking and indexing, each with a stable code."""

from __future__ import annotations

from knowledge_base.error_base import DraftdeskError


class IngestError(DraftdeskError):
    """Base error of ingestion; ``code`` is stable and safe to show to users."""

    code = "ingest_error"
    status = 400


class UnsupportedFileType(IngestError):
    code = "unsupported_file_type"
    status = 415


class EmptyDocument(IngestError):
    code = "empty_document"
    status = 422


class CorruptDocument(IngestError):
    code = "corrupt_document"
    status = 422


class ArchiveTooLarge(IngestError):
    """A zip-based document (DOCX) that would unpack beyond the limits (a zip bomb)."""

    code = "archive_too_large"
    status = 413


class IndexUnavailable(IngestError):
    code = "index_unavailable"
    status = 503
