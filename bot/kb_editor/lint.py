"""Policy consistency of the knowledge base: the figures articles state against the policy.

``draftdesk kb lint`` and the KB editor's "Policy consistency" panel read each article
sentence by sentence, pick out figures that state a policy (return windows, warranties,
restocking fees, refund timing, the holiday window, the returnless-refund price limit) and
compare each with the rule of :class:`~bot.policy.PolicyRules` that governs it: the rule
of the category the sentence names, else the default. Where no rule governs, two articles
stating different figures for the same thing are reported instead.

Precise rather than clever: a figure that cannot be tied to one rule is left alone, because
a false alarm teaches people to ignore the linter. The concepts and their rules are the
table in :mod:`bot.kb_editor.lint_concepts`; reading sentences, clauses, figures and
categories is :mod:`bot.kb_editor.lint_text`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from bot.kb_editor.errors import NothingToLint
from bot.kb_editor.lint_concepts import CONCEPTS, Concept
from bot.kb_editor.lint_text import (
    Figure,
    category_groups,
    category_patterns,
    clauses,
    sentences,
)
from bot.policy import PolicyRules
from knowledge_base import repository as kb


@dataclass(frozen=True)
class LintArticle:
    """The text of one article to check (from files, or the published KB)."""

    article_id: str
    title: str
    body: str


@dataclass(frozen=True)
class LintFinding:
    """One sentence that contradicts the policy (``rule``) or another article
    (``rule`` = ``article:<id>``)."""

    article_id: str
    sentence: str
    found: str
    rule: str
    expected: str

    @property
    def other_article(self) -> str | None:
        """The article contradicted, when the finding is not against the policy."""
        return self.rule.removeprefix("article:") if self.rule.startswith("article:") else None

    @property
    def source(self) -> str:
        """``policy categories.knives.warranty_months`` or ``article warranty``."""
        other = self.other_article
        return f"article {other}" if other is not None else f"policy {self.rule}"

    def line(self) -> str:
        return (f'{self.article_id}: "{self.sentence}" says {self.found}; '
                f"{self.source} says {self.expected}")

    def as_json(self) -> dict[str, str]:
        return {"article_id": self.article_id, "sentence": self.sentence, "found": self.found,
                "rule": self.rule, "expected": self.expected}


# --- checking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Claim:
    article_id: str
    sentence: str
    concept: str
    category: str | None
    figure: Figure


# "3–5 business days", "2 or 3 weeks": the end of a range is no figure of its own (dates
# are left to their concepts: a holiday window is a range of dates).
_RANGE = re.compile(r"\d\s*(?:-|–|—|to|or)\s*$")


def _figures_in(concept: Concept, clause: str) -> list[Figure]:
    """The figures a clause states for ``concept``, in order (each once)."""
    if concept.unless is not None and concept.unless.search(clause):
        return []
    if concept.about_clause and not concept.about.search(clause):
        return []
    by_position: dict[int, Figure] = {}
    for pattern in concept.figures:
        for match in pattern.finditer(clause):
            figure = concept.read(match)
            if figure is None:
                continue
            if figure.unit != "date" and _RANGE.search(clause[: figure.position]):
                continue
            by_position.setdefault(figure.position, figure)
    return [by_position[position] for position in sorted(by_position)]


def _claims(article: LintArticle, sentence: str, concept: Concept,
            patterns: Mapping[str, re.Pattern[str]]) -> Iterable[tuple[_Claim, str]]:
    """Each (figure, category) the sentence states for ``concept``, with its clause text."""
    if not concept.about.search(sentence):
        return
    found = [(clause, _figures_in(concept, clause)) for clause in clauses(sentence)]
    groups: list[tuple[str, list[Figure], list[str | None]]]
    if concept.by_category:
        groups = category_groups(found, patterns)
    else:
        groups = [(clause, figures, [None]) for clause, figures in found if figures]
    for clause, figures, categories in groups:
        for figure in figures:
            for category in categories:
                yield _Claim(article.article_id, sentence, concept.name, category, figure), clause


def lint_articles(articles: Sequence[LintArticle], rules: PolicyRules) -> list[LintFinding]:
    """Every sentence of ``articles`` whose figure contradicts ``rules`` or, where no rule
    governs, another article's figure; in the order of ``articles``."""
    categories = category_patterns(rules)
    findings: list[LintFinding] = []
    ungoverned: dict[tuple[str, str | None], list[_Claim]] = defaultdict(list)
    for article in articles:
        for sentence in sentences(article.body):
            for concept in CONCEPTS:
                for claim, clause in _claims(article, sentence, concept, categories):
                    expected = concept.expect(rules, claim.category, claim.figure, clause)
                    if expected is None:
                        if claim.category is not None:
                            ungoverned[(claim.concept, claim.category)].append(claim)
                    elif not expected.accepts(claim.figure):
                        findings.append(LintFinding(article.article_id, sentence,
                                                    claim.figure.text, expected.rule,
                                                    expected.shown))
    findings += _between_articles(ungoverned.values())
    order = {article.article_id: n for n, article in enumerate(articles)}
    unique = dict.fromkeys(findings)  # one finding per (sentence, rule)
    return sorted(unique, key=lambda finding: order[finding.article_id])


def _between_articles(groups: Iterable[list[_Claim]]) -> list[LintFinding]:
    """Where no rule governs, the figure most articles state is the reference (the earlier
    one on a tie); a figure of another article that differs is reported against the first
    article stating the reference."""
    findings: list[LintFinding] = []
    for claims in groups:
        votes = Counter(key for _, key in {(c.article_id, c.figure.key) for c in claims})
        if len(votes) < 2:
            continue
        reference_key = max(votes, key=lambda key: (votes[key], -_first(claims, key)))
        reference = claims[_first(claims, reference_key)]
        for claim in claims:
            if claim.figure.key != reference_key and claim.article_id != reference.article_id:
                findings.append(LintFinding(claim.article_id, claim.sentence, claim.figure.text,
                                            f"article:{reference.article_id}",
                                            reference.figure.text))
    return findings


def _first(claims: list[_Claim], key: object) -> int:
    return next(i for i, claim in enumerate(claims) if claim.figure.key == key)


# --- where the articles come from ----------------------------------------------------------


def articles_in_directory(directory: Path) -> list[LintArticle]:
    """The article files under ``directory``, read by the same loaders as ``draftdesk ingest``
    (a file that cannot be read raises its ingest error)."""
    # The loaders bring pypdf and python-docx: only `kb lint DIR` reads files.
    from ingest.loaders import iter_source_files, load_file

    articles = [
        LintArticle(loaded.article_id, loaded.content.title, loaded.content.body)
        for path in iter_source_files([directory])
        for loaded in load_file(path)
    ]
    if not articles:
        raise NothingToLint(f"{directory}: no article files (md, html, pdf, csv, docx, txt)")
    return articles


def published_articles(session: Session) -> list[LintArticle]:
    """The published revision of every published article."""
    return [LintArticle(r.article_id, r.title, r.body) for r in kb.published_revisions(session)]
