"""Errors raised by the knowledge base, each with a stable machine-readable code."""

from __future__ import annotations

from knowledge_base.error_base import DraftdeskError


class KnowledgeBaseError(DraftdeskError):
    """Base error of the knowledge base; ``code`` is stable and safe to show to clients."""

    code = "knowledge_base_error"
    status = 400


class ArticleNotFound(KnowledgeBaseError):
    code = "article_not_found"
    status = 404


class RevisionNotFound(KnowledgeBaseError):
    code = "revision_not_found"
    status = 404


class RevisionConflict(KnowledgeBaseError):
    """An edit was based on a revision that is no longer the latest."""

    code = "revision_conflict"
    status = 409


class InvalidArticle(KnowledgeBaseError):
    code = "invalid_article"
    status = 422


class FrontMatterError(KnowledgeBaseError):
    code = "invalid_front_matter"
    status = 422


class InvalidTranslation(KnowledgeBaseError):
    """A translation whose source is missing, is itself a translation, or has its locale.

    409, not 422: the request is well formed; it conflicts with the articles as they are now
    (a schema-valid request is never refused for its form, issue 15).
    """

    code = "invalid_translation"
    status = 409
