"""Read seller documents (md, html, pdf, csv, docx, txt) into validated article content.

Every loader strips invisible Unicode and normalises line endings, and every failure is an
``IngestError`` whose one-line message names the file, so a batch can report it and go on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from ingest.errors import CorruptDocument, EmptyDocument, IngestError, UnsupportedFileType
from ingest.loaders.base import LoadedArticle, normalise_document_text, one_line
from ingest.loaders.documents import load_docx, load_pdf
from ingest.loaders.faq_csv import load_csv
from ingest.loaders.markup import load_html, load_markdown, load_text

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "LoadedArticle",
    "iter_source_files",
    "load_file",
    "normalise_document_text",
]

_Loader = Callable[[Path, bytes], list[LoadedArticle]]

_LOADERS: dict[str, _Loader] = {
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
    ".csv": load_csv,
    ".docx": load_docx,
    ".txt": load_text,
}

SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(_LOADERS)
_FORMATS = "md, html, pdf, csv, docx, txt"


def load_file(path: Path) -> list[LoadedArticle]:
    """Load one file into one article (a CSV FAQ: one per row).

    Raises UnsupportedFileType for an unknown extension, EmptyDocument for a file with
    no text, CorruptDocument for one that cannot be read, and IngestError for content
    that breaks the article rules (e.g. a title over 300 characters).
    """
    suffix = path.suffix.lower()
    loader = _LOADERS.get(suffix)
    if loader is None:
        what = f"{suffix} is not" if suffix else "a file without an extension is not"
        raise UnsupportedFileType(f"{path}: {what} a supported file type ({_FORMATS})")
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise IngestError(f"{path}: does not exist") from exc
    except IsADirectoryError as exc:
        raise IngestError(f"{path}: is a directory, not a file") from exc
    except OSError as exc:
        raise CorruptDocument(f"{path}: cannot be read ({one_line(exc.strerror or '')})") from exc
    if not data.strip():
        raise EmptyDocument(f"{path}: is empty")
    return loader(path, data)


def iter_source_files(paths: Sequence[Path]) -> list[Path]:
    """The files to ingest: directories expanded recursively, in sorted order.

    Inside a directory, files with a supported extension are taken and any file or
    directory whose name starts with ``.`` or ``_`` is skipped (the demo KB keeps seller
    data under ``_seller/``). Files named explicitly are returned as given, whatever their
    extension, so ``load_file`` can report them. A path listed twice is returned once.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(_walk(path))
        elif path.is_file():
            found.append(path)
        elif path.exists():
            raise IngestError(f"{path}: is neither a file nor a directory")
        else:
            raise IngestError(f"{path}: no such file or directory")
    unique: list[Path] = []
    seen: set[Path] = set()
    for path in found:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def _walk(directory: Path) -> list[Path]:
    files: list[Path] = []
    for root, dirs, names in os.walk(directory):
        # Pruning in place keeps os.walk out of .git, _seller and friends entirely.
        dirs[:] = [name for name in dirs if not _skipped(name)]
        for name in names:
            if not _skipped(name) and Path(name).suffix.lower() in SUPPORTED_EXTENSIONS:
                files.append(Path(root) / name)
    return sorted(files, key=lambda path: path.relative_to(directory).parts)


def _skipped(name: str) -> bool:
    return name.startswith((".", "_"))
