"""KB-scale benchmark (issue 17 §8): ingest rate, one-edit re-ingest and query latency
for the demo KB and synthetic KBs of 500, 2k and 10k articles.

Run with ``python -m benchmarks.kb_scale [--sizes 37,500,2000,10000]`` (``make bench`` runs
it after :mod:`benchmarks.run`). Prints figures; asserts nothing.

A synthetic KB of N articles is the demo KB (its 37 articles and their 185 translations)
plus N − 37 variants of the demo articles, written to a temporary folder. A variant has
its own id, title, shop name, product line and a rotating subset of its base's example
questions, so no two articles have the same text (deterministic: the same N gives the
same files). Embedding 70k chunks with the real model would take most of an hour on two
cores, so ingest uses :class:`ReusingEmbedder`: the real model embeds each chunk's text
with the variant's words taken out, once per distinct such text, and every chunk gets that
vector plus a small deterministic perturbation of its own. Ingest chunks/s is therefore the
pipeline's own rate (loading, storing, chunking, indexing) with the model cost of only the
distinct texts; queries embed with the real model as in production.

Query latency is ``HybridRetriever.retrieve`` over the buyer dev set's texts, the demo KB
and the size N measured in alternating rounds in this one process so that the ratio
compares like with like; the load average is printed beside each figure. The retriever
embeds through the same :class:`ReusingEmbedder`, so after the warm-up round a query's
embedding is a cache hit: the figures are the retrieval work proper (the model's few ms
per message do not depend on the KB; leaving them out makes the ratio stricter).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

if TYPE_CHECKING:
    from bot.retrieval.retriever import HybridRetriever
    from bot.services import Services
    from ingest.embedder import Embedder, Vectors
    from ingest.pipeline import IngestReport

ROOT = Path(__file__).resolve().parent.parent
DEMO_KB = ROOT / "knowledge_base" / "demo"
BUYER_DEV = ROOT / "evals" / "data" / "buyer_dev.jsonl"
DEMO_ARTICLES = 37
DEFAULT_SIZES = (37, 500, 2000, 10000)

_SHOPS = ["Northwind", "Bluebird", "Copperleaf", "Harbour", "Maple & Co", "Stonebridge",
          "Lumen", "Oakridge", "Sunfield", "Tidewater", "Kestrel", "Juniper"]
_LINES = ["cast-iron cookware", "bed linen", "garden tools", "kitchen knives", "ceramic mugs",
          "bath towels", "camping stoves", "desk lamps", "yoga mats", "coffee grinders",
          "baby blankets", "phone cases", "wool socks", "picture frames", "tea kettles"]
_REGIONS = ["the UK", "Germany", "France", "Spain", "Italy", "the US", "Canada", "Japan"]
# Words a variant adds, taken out again before the real model embeds (see ReusingEmbedder).
_VARIANT_MARK = re.compile(r"\s*\[v\d+\]|\s*\(shop [^)]*\)|\s*Applies to [^.]*\.")


def load(seconds: float | None = None) -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f}/{five:.2f}"


def buyer_questions(limit: int = 120) -> list[str]:
    """The fixed query set: the buyer dev set's texts, in file order."""
    with BUYER_DEV.open(encoding="utf-8") as handle:
        texts = [json.loads(line)["text"] for line in handle if line.strip()]
    return texts[:limit]


def _split_front_matter(text: str) -> tuple[list[str], str]:
    _, front, body = text.split("---\n", 2)
    return front.splitlines(), body


def _variant(base: str, number: int) -> str:
    """Variant ``number`` of the demo article ``base`` (its Markdown text)."""
    front, body = _split_front_matter(base)
    shop = _SHOPS[number % len(_SHOPS)]
    line = _LINES[(number // len(_SHOPS)) % len(_LINES)]
    region = _REGIONS[(number // 7) % len(_REGIONS)]
    out: list[str] = []
    questions: list[str] = []
    in_questions = False
    for row in front:
        if row.startswith("title:"):
            out.append(f"{row} (shop {shop} {number}) [v{number}]")
        elif row.startswith("questions:"):
            in_questions = True
        elif in_questions and row.startswith("  - "):
            questions.append(row[4:])
        else:
            in_questions = False
            out.append(row)
    if questions:
        # Three of the base's questions, rotating: variants do not all repeat the same ones.
        picked = [questions[(number + i) % len(questions)] for i in range(min(3, len(questions)))]
        out.append("questions:")
        out.extend(f"  - {q} [v{number}]" for q in picked)
    opening, _, rest = body.strip().partition("\n\n")
    body = f"{opening} Applies to {line} sold by {shop} in {region} (range {number}).\n\n{rest}"
    return "---\n" + "\n".join(out) + "\n---\n\n" + body + "\n"


def write_kb(folder: Path, articles: int) -> Path:
    """The demo KB plus ``articles`` − 37 variants of its articles, under ``folder``."""
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(DEMO_KB, folder, ignore=shutil.ignore_patterns("_*"))
    bases = sorted((DEMO_KB / "articles").glob("*.md"))
    texts = [b.read_text(encoding="utf-8") for b in bases]
    variants = folder / "articles" / "variants"
    variants.mkdir()
    for number in range(max(0, articles - DEMO_ARTICLES)):
        base = number % len(bases)
        name = f"{bases[base].stem}-v{number}.md"
        (variants / name).write_text(_variant(texts[base], number), encoding="utf-8")
    return folder


class ReusingEmbedder:
    """The real model, run once per distinct text with the variant words taken out; each
    text gets that vector plus a small perturbation derived from its own hash (so no two
    synthetic chunks share a vector, as no two real articles would)."""

    def __init__(self, model: Embedder, *, perturbation: float = 0.05) -> None:
        self._model = model
        self._perturbation = perturbation
        self._cache: dict[str, Vectors] = {}
        self.model_texts = 0

    @property
    def dimension(self) -> int:
        return self._model.dimension

    @property
    def name(self) -> str:
        return self._model.name

    def embed(self, texts: list[str]) -> Vectors:
        bases = [_VARIANT_MARK.sub("", t) for t in texts]
        missing = sorted({b for b in bases if b not in self._cache})
        if missing:
            self.model_texts += len(missing)
            for base, vector in zip(missing, self._model.embed(missing), strict=True):
                self._cache[base] = vector
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for row, (text, base) in enumerate(zip(texts, bases, strict=True)):
            vector = self._cache[base]
            if text != base:
                seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
                noise = np.random.default_rng(seed).standard_normal(self.dimension)
                vector = vector + self._perturbation * noise.astype(np.float32) / np.sqrt(
                    self.dimension
                )
                vector = vector / np.linalg.norm(vector)
            out[row] = vector
        return out


@dataclass
class ScaleFigures:
    articles: int
    chunks: int
    ingest_seconds: float
    ingest_load: str
    edit_seconds: float
    edit_load: str
    edit_parsing_seconds: float  # the same edit, every file parsed (no file_states)
    edit_rebuild_seconds: float  # the retriever's rebuild after one edit (tables cached)
    rebuild_seconds: float
    edit_report: IngestReport | None = None


class ScaleKb:
    """One synthetic KB ingested into its own data dir, with a retriever over it."""

    def __init__(self, root: Path, articles: int, embedder: ReusingEmbedder) -> None:
        from bot.services import build_services
        from bot.settings import Settings

        self.articles = articles
        self.folder = write_kb(root / f"kb-{articles}", articles)
        self.embedder = embedder
        self.services: Services = build_services(
            Settings(data_dir=root / f"data-{articles}"), embedder=embedder
        )

    @property
    def retriever(self) -> HybridRetriever:
        assert self.services.pipeline is not None
        return self.services.pipeline.retriever

    def ingest(self, *, file_states: bool = True) -> tuple[float, IngestReport]:
        from ingest.pipeline import ingest_paths

        start = time.perf_counter()
        report = ingest_paths(
            [self.folder],
            session_factory=self.services.session_factory,
            index=self.services.index,
            embedder=self.embedder,
            file_states=self.services.settings.data_dir / "ingest-files.json" if file_states
            else None,
        )
        return time.perf_counter() - start, report

    def refresh(self) -> float:
        from bot.retrieval.retriever import mark_index_changed

        start = time.perf_counter()
        mark_index_changed(self.services.index)
        self.retriever.refresh()
        return time.perf_counter() - start

    def edit_one(self, round_: int) -> None:
        """Change one sentence of one article (as a lead fixing a typo would)."""
        path = self.folder / "articles" / "cancel-order.md"
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"We ship within \d+ business day",
                      f"We ship within {round_ + 2} business day", text)
        path.write_text(text, encoding="utf-8")

    def close(self) -> None:
        self.services.close()


def measure_build(kb: ScaleKb, *, edits: int = 3) -> ScaleFigures:
    seconds, report = kb.ingest()
    ingest_load = load()
    rebuild = kb.refresh()
    edit_times: list[float] = []
    edit_rebuilds: list[float] = []
    last: IngestReport | None = None
    edit_load = ""
    for round_ in range(edits):
        kb.edit_one(round_)
        elapsed, last = kb.ingest()
        edit_times.append(elapsed)
        edit_load = load()
        edit_rebuilds.append(kb.refresh())
    kb.edit_one(edits)
    parsing, _ = kb.ingest(file_states=False)
    kb.refresh()
    return ScaleFigures(
        articles=kb.articles, chunks=report.chunks, ingest_seconds=seconds,
        ingest_load=ingest_load, edit_seconds=statistics.median(edit_times),
        edit_load=edit_load, edit_parsing_seconds=parsing, rebuild_seconds=rebuild,
        edit_rebuild_seconds=statistics.median(edit_rebuilds) if edit_rebuilds else 0.0,
        edit_report=last,
    )


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _query_round(retriever: HybridRetriever, questions: list[str]) -> list[float]:
    timings = []
    for text in questions:
        start = time.perf_counter()
        retriever.retrieve(text)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def measure_queries(
    pairs: Sequence[tuple[str, Callable[[], list[float]]]], *, rounds: int
) -> dict[str, tuple[list[float], str]]:
    """Alternate the query rounds of each KB (A, B, A, B, ...)."""
    timings: dict[str, list[float]] = {name: [] for name, _ in pairs}
    loads: dict[str, str] = {}
    for _ in range(rounds):
        for name, run in pairs:
            timings[name].extend(run())
            loads[name] = load()
    return {name: (values, loads[name]) for name, values in timings.items()}


def bench_kb_scale(sizes: Sequence[int] = DEFAULT_SIZES, *, rounds: int = 3,
                   questions: int = 120, edits: int = 3) -> None:
    import torch

    from ingest.embedder import SentenceTransformerEmbedder

    torch.set_num_threads(1)  # as a worker process drafts (issue 17 §1)
    embedder = ReusingEmbedder(SentenceTransformerEmbedder())
    texts = buyer_questions(questions)
    sizes = sorted(set(sizes) | {DEMO_ARTICLES})
    with tempfile.TemporaryDirectory(prefix="draftdesk-kb-scale-") as tmp:
        demo = ScaleKb(Path(tmp), DEMO_ARTICLES, embedder)
        demo_build = measure_build(demo, edits=edits)
        _query_round(demo.retriever, texts)  # warm-up
        print(f"KB scale: {len(texts)} buyer dev questions x {rounds} rounds per KB, "
              f"alternating with the demo KB; ingest embeds each distinct text once "
              f"(see benchmarks/kb_scale.py)")
        print(f"{'articles':>8} {'chunks':>7} {'ingest ch/s':>12} {'re-ingest 1 edit':>17} "
              f"{'(parsing all)':>13} {'rebuild':>8} {'(after edit)':>12} {'p50 ms':>7} "
              f"{'p95 ms':>7} {'max ms':>7} {'p95/demo':>8} {'max/demo':>8}")
        for size in sizes:
            if size == DEMO_ARTICLES:
                kb, build = demo, demo_build
            else:
                kb = ScaleKb(Path(tmp), size, embedder)
                build = measure_build(kb, edits=edits)
                _query_round(kb.retriever, texts)  # warm-up
            measured = measure_queries(
                [("demo", lambda: _query_round(demo.retriever, texts)),
                 ("kb", lambda kb=kb: _query_round(kb.retriever, texts))],  # type: ignore[misc]
                rounds=rounds,
            )
            base, _ = measured["demo"]
            values, query_load = measured["kb"]
            rate = build.chunks / build.ingest_seconds
            print(
                f"{size:>8} {build.chunks:>7} {rate:>12.0f} {build.edit_seconds:>15.2f} s "
                f"{build.edit_parsing_seconds:>11.2f} s "
                f"{build.rebuild_seconds:>6.2f} s {build.edit_rebuild_seconds:>10.2f} s "
                f"{statistics.median(values):>7.1f} "
                f"{_percentile(values, 0.95):>7.1f} {max(values):>7.1f} "
                f"{_percentile(values, 0.95) / _percentile(base, 0.95):>8.2f} "
                f"{max(values) / max(base):>8.2f}   "
                f"[ingest {build.ingest_load}; edit {build.edit_load}; queries {query_load}; "
                f"demo p95 {_percentile(base, 0.95):.1f} ms in the same rounds]",
                flush=True,
            )
            if kb is not demo:
                kb.close()
        demo.close()
    print(f"(model runs: {embedder.model_texts} distinct texts; targets at 10k articles: "
          f"p95 <= 1.5x demo, max <= 150 ms, one-edit re-ingest <= 3 s)")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="comma-separated article counts, e.g. 37,500,2000,10000")
    parser.add_argument("--rounds", type=int, default=3, help="alternating query rounds")
    parser.add_argument("--questions", type=int, default=120, help="buyer questions per round")
    parser.add_argument("--edits", type=int, default=3, help="one-edit re-ingests (median)")
    args = parser.parse_args(argv)
    print(f"cores: {os.cpu_count()}; queries on one torch thread (a worker's setting)")
    bench_kb_scale([int(s) for s in args.sizes.split(",") if s.strip()], rounds=args.rounds,
                   questions=args.questions, edits=args.edits)


if __name__ == "__main__":
    main()
