"""What ingest saw of each source file last time: size, mtime, SHA-256 and the articles it
gave (with their content hashes), so a re-run skips unchanged files before parsing them.

The record is only a shortcut: a file is skipped when its size and mtime (or, when only
the mtime moved, its SHA-256) are as recorded *and* every article it gave is stored, from
this file, with the recorded content and published — exactly when loading it again would
change nothing. A lost or stale record costs a re-parse, never a wrong KB.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import ingest.loaders
from knowledge_base import frontmatter, schemas
from knowledge_base.repository import ImportedArticleState

_VERSION = 1
# Where `draftdesk ingest` keeps the record, in the data dir.
INGEST_FILE_STATES = "ingest-files.json"


@cache
def _loader_fingerprint() -> str:
    """Changes when the code that turns a file into articles does (records then expire)."""
    digest = hashlib.sha256()
    folder = Path(ingest.loaders.__file__).parent
    for module in [*sorted(folder.glob("*.py")), Path(frontmatter.__file__),
                   Path(schemas.__file__)]:
        digest.update(module.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class FileState:
    size: int
    mtime_ns: int
    sha256: str
    # article id → (its content hash, its source) as this file gave it
    articles: Mapping[str, tuple[str, str]] = field(default_factory=dict)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fingerprint(path: Path) -> FileState | None:
    """Size and mtime, then the content's hash — taken before the file is loaded, so an
    edit landing while it loads shows as a changed mtime at the next run."""
    try:
        stat = os.stat(path)
        return FileState(size=stat.st_size, mtime_ns=stat.st_mtime_ns, sha256=file_sha256(path))
    except OSError:
        return None


class FileStates:
    """The records, keyed by the path as ingest names it (the article's ``source``)."""

    def __init__(self, states: dict[str, FileState] | None = None) -> None:
        self.states: dict[str, FileState] = states or {}

    @classmethod
    def load(cls, path: Path | None) -> FileStates:
        if path is None:
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()  # none yet, or unreadable: every file is parsed
        if not isinstance(data, dict) or data.get("version") != _VERSION \
                or data.get("loaders") != _loader_fingerprint():
            return cls()
        states = {}
        for name, entry in (data.get("files") or {}).items():
            try:
                states[str(name)] = FileState(
                    size=int(entry["size"]), mtime_ns=int(entry["mtime_ns"]),
                    sha256=str(entry["sha256"]),
                    articles={
                        str(k): (str(v[0]), str(v[1]))
                        for k, v in dict(entry["articles"]).items()
                    },
                )
            except (KeyError, TypeError, ValueError):
                continue
        return cls(states)

    def save(self, path: Path) -> None:
        """Write atomically (a crash leaves the old record or the new one)."""
        data = {
            "version": _VERSION,
            "loaders": _loader_fingerprint(),
            "files": {
                name: {"size": s.size, "mtime_ns": s.mtime_ns, "sha256": s.sha256,
                       "articles": {k: list(v) for k, v in s.articles.items()}}
                for name, s in sorted(self.states.items())
            },
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, path)

    def unchanged(
        self, path: Path, *, stored: Mapping[str, ImportedArticleState]
    ) -> FileState | None:
        """The record of ``path`` when loading it again would change nothing, else None."""
        name = str(path)
        state = self.states.get(name)
        if state is None or not state.articles:
            return None
        try:
            stat = os.stat(path)
        except OSError:
            return None
        if stat.st_size != state.size:
            return None
        if stat.st_mtime_ns != state.mtime_ns:
            # Touched or copied, maybe not changed: the content decides.
            if file_sha256(path) != state.sha256:
                return None
            state = FileState(size=state.size, mtime_ns=stat.st_mtime_ns,
                              sha256=state.sha256, articles=state.articles)
            self.states[name] = state
        for article_id, (content_hash, source) in state.articles.items():
            found = stored.get(article_id)
            if (found is None or found.source != source or not found.published_at_latest
                    or found.latest_content_hash != content_hash):
                return None
        return state

    def record(
        self, path: Path, seen: FileState, articles: Mapping[str, tuple[str, str]]
    ) -> None:
        """Remember ``path`` as :func:`fingerprint` saw it, with the articles it gave."""
        self.states[str(path)] = FileState(
            size=seen.size, mtime_ns=seen.mtime_ns, sha256=seen.sha256, articles=dict(articles)
        )

    def forget_missing(self, folders: Iterable[Path], present: set[str]) -> None:
        """Drop records of files under ``folders`` that this run did not find."""
        prefixes = tuple(str(folder).rstrip("/") + "/" for folder in folders)
        if not prefixes:
            return
        self.states = {
            name: state for name, state in self.states.items()
            if name in present or not name.startswith(prefixes)
        }
