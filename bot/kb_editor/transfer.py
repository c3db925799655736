"""``draftdesk kb export`` / ``kb import``: the whole KB as Markdown files with front matter.

Each article becomes ``<id>.md`` holding its newest revision, with ``id`` and ``status`` in
the front matter, so a KB can live in git and come back unchanged. Import is all or
nothing: every file is read and checked before the database is touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from sqlalchemy.orm import Session

from bot.kb_editor.errors import ImportRejected
from ingest.errors import IngestError
from knowledge_base import repository as kb
from knowledge_base.errors import KnowledgeBaseError
from knowledge_base.frontmatter import render_article, split_front_matter
from knowledge_base.models import ARTICLE_STATUSES, Article
from knowledge_base.schemas import ArticleContent

if TYPE_CHECKING:
    from ingest.loaders import LoadedArticle


@dataclass
class TransferReport:
    """What an export or import did, article ids by outcome."""

    written: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "written": len(self.written), "created": len(self.created),
            "updated": len(self.updated), "unchanged": len(self.unchanged),
            "deleted": len(self.deleted),
        }


def article_file_text(content: ArticleContent, *, article_id: str, status: str) -> str:
    """An article as Markdown with front matter (``id`` and ``status`` first)."""
    meta, body = split_front_matter(render_article(content, article_id=article_id))
    ordered = {"id": article_id, "status": status, **{k: v for k, v in meta.items() if k != "id"}}
    header = yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True).strip()
    return f"---\n{header}\n---\n\n{body.strip()}\n"


def export_kb(session: Session, *, directory: Path, clean: bool = False) -> TransferReport:
    """Write every article's newest revision to ``directory/<id>.md``.

    With ``clean``, Markdown files already in ``directory`` are removed first so files of
    deleted articles do not linger.
    """
    directory.mkdir(parents=True, exist_ok=True)
    if clean:
        for old in directory.glob("*.md"):
            old.unlink()
    report = TransferReport()
    for article in sorted(kb.list_articles(session), key=lambda a: a.id):
        content = ArticleContent.model_validate(article.revisions[-1])
        text = article_file_text(content, article_id=article.id, status=article.status)
        (directory / f"{article.id}.md").write_text(text, encoding="utf-8")
        report.written.append(article.id)
    return report


@dataclass(frozen=True)
class _Incoming:
    loaded: LoadedArticle
    status: str | None


def _status_of(path: Path) -> str | None:
    if path.suffix.lower() not in (".md", ".markdown"):
        return None
    meta, _ = split_front_matter(path.read_text(encoding="utf-8-sig"))
    status = meta.get("status")
    if status is None:
        return None
    if status not in ARTICLE_STATUSES:
        allowed = ", ".join(ARTICLE_STATUSES)
        raise ImportRejected(f"{path}: status must be one of {allowed}, got {status!r}")
    return str(status)


def read_kb_directory(directory: Path) -> list[_Incoming]:
    """Load and check every file; any problem raises ImportRejected naming each bad file."""
    # The loaders bring pypdf and python-docx: imported by the import itself, not at start.
    from ingest.loaders import iter_source_files, load_file

    if not directory.is_dir():
        raise ImportRejected(f"{directory}: is not a directory")
    problems: list[str] = []
    incoming: list[_Incoming] = []
    seen: dict[str, Path] = {}
    for path in iter_source_files([directory]):
        try:
            # The loader first: its messages name the file and fit on one line.
            articles = load_file(path)
            status = _status_of(path)
            for loaded in articles:
                if loaded.article_id in seen:
                    problems.append(f"{path}: id {loaded.article_id!r} is also used by "
                                    f"{seen[loaded.article_id]}")
                    continue
                seen[loaded.article_id] = path
                incoming.append(_Incoming(loaded=loaded, status=status))
        except (IngestError, ImportRejected) as exc:
            problems.append(exc.message)
        except KnowledgeBaseError as exc:
            problems.append(f"{path}: {' '.join(exc.message.split())}")
        except UnicodeDecodeError:
            problems.append(f"{path}: is not UTF-8 text")
    if problems:
        raise ImportRejected("nothing was imported: " + "; ".join(problems))
    return incoming


def import_kb(
    session: Session, *, directory: Path, actor: str, prune: bool = False
) -> TransferReport:
    """Bring the KB in line with ``directory`` (new revisions only where content changed).

    A file's ``status`` decides publication (``published`` publishes the newest revision,
    ``draft``/``unpublished`` takes a published article out of drafting); a file without one
    leaves an existing article's state alone and makes a new article a draft. With
    ``prune``, articles without a file are deleted. The caller re-syncs the search index.
    """
    incoming = read_kb_directory(directory)
    report = TransferReport()
    # Originals first: a translation's source must exist when the translation is stored.
    for item in sorted(incoming, key=lambda i: i.loaded.content.translation_of is not None):
        article_id = item.loaded.article_id
        existed = _exists(session, article_id)
        before = kb.get_article(session, article_id=article_id).latest_revision if existed else 0
        article, _ = kb.upsert_article_from_source(
            session, article_id=article_id, content=item.loaded.content, actor=actor,
            publish=item.status == "published", source=item.loaded.source,
        )
        if item.status in ("draft", "unpublished") and article.status == "published":
            kb.unpublish_article(session, article_id=article_id, actor=actor)
        if item.status == "unpublished" and article.status == "draft":
            kb.unpublish_article(session, article_id=article_id, actor=actor)
        if not existed:
            report.created.append(article_id)
        elif article.latest_revision != before:
            report.updated.append(article_id)
        else:
            report.unchanged.append(article_id)
    if prune:
        keep = {item.loaded.article_id for item in incoming}
        for article in kb.list_articles(session):
            if article.id not in keep:
                kb.delete_article(session, article_id=article.id, actor=actor)
                report.deleted.append(article.id)
    return report


def _exists(session: Session, article_id: str) -> bool:
    return session.get(Article, article_id) is not None
