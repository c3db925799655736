"""Benchmarks: ingest throughput against raw ``model.encode``, warm ``ask`` latency, a
worker's backlog one at a time vs in batches, and KB scale (:mod:`benchmarks.kb_scale`: 37
to 10k articles, ~15 minutes on two cores).

Run with ``make bench`` (or ``python -m benchmarks.run [--kb-sizes 37,500]``). Prints
figures; asserts nothing.
Both measurements run in this one process so the ratio compares like with like.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

DEMO_KB = Path(__file__).resolve().parent.parent / "knowledge_base" / "demo"
ASK_QUERIES = [
    "where is my parcel? order 112-3456789-1234567",
    "how do I return a damaged kettle?",
    "can I pay with PayPal?",
    "I want to cancel my order",
    "how long does delivery take to Texas",
    "can I get an invoice for my order",
    "my refund hasn't arrived yet",
    "what's a good pizza place in Seattle?",
]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def bench_ingest() -> None:
    from bot.database import upgrade_to_head
    from bot.settings import Settings
    from ingest.embedder import SentenceTransformerEmbedder
    from ingest.index import ChromaIndex
    from ingest.pipeline import ingest_paths, load_sources
    from ingest.sync import chunks_for
    from knowledge_base.db import make_engine, make_session_factory
    from knowledge_base.schemas import PublishedRevision

    embedder = SentenceTransformerEmbedder()
    loaded, _ = load_sources([DEMO_KB])
    chunks = [
        chunk
        for article in loaded
        for chunk in chunks_for(
            PublishedRevision(
                article_id=article.article_id,
                revision=1,
                content_hash="",
                **article.content.model_dump(),
            )
        )
    ]
    texts = [c.text for c in chunks]
    model = embedder.model
    model.encode(texts[:8])  # type: ignore[attr-defined]  # warm-up

    def raw() -> float:
        start = time.perf_counter()
        model.encode(texts, batch_size=64, normalize_embeddings=True)  # type: ignore[attr-defined]
        return time.perf_counter() - start

    def full_ingest() -> tuple[float, float, object, object]:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(data_dir=Path(tmp))
            engine = make_engine(settings.resolved_database_url)
            upgrade_to_head(engine)
            factory = make_session_factory(engine)
            index = ChromaIndex.persistent(Path(tmp) / "chroma")
            start = time.perf_counter()
            report = ingest_paths(
                [DEMO_KB], session_factory=factory, index=index, embedder=embedder
            )
            seconds = time.perf_counter() - start
            start = time.perf_counter()
            rerun = ingest_paths([DEMO_KB], session_factory=factory, index=index,
                                 embedder=embedder)
            rerun_seconds = time.perf_counter() - start
            engine.dispose()
        return seconds, rerun_seconds, report, rerun

    # Alternate the two, three rounds each, and keep each one's best run: a shared 2-core
    # machine is noisy, and the best run is the one least disturbed by other work.
    raw_runs: list[float] = []
    ingest_runs: list[tuple[float, float, object, object]] = []
    for _ in range(3):
        raw_runs.append(raw())
        ingest_runs.append(full_ingest())
    raw_seconds = min(raw_runs)
    ingest_seconds, rerun_seconds, report, rerun = min(ingest_runs, key=lambda r: r[0])

    raw_rate = len(texts) / raw_seconds
    ingest_rate = report.embedded / ingest_seconds  # type: ignore[attr-defined]
    print(f"chunks: {len(texts)} (ingest embedded {report.embedded}); best of 3 runs each")  # type: ignore[attr-defined]
    print(f"raw model.encode:      {raw_rate:8.1f} chunks/s")
    print(
        f"draftdesk ingest:      {ingest_rate:8.1f} chunks/s  "
        f"(ratio to raw {ingest_rate / raw_rate:.2f}; target >= 0.85)"
    )
    print(f"re-run (nothing new):  {rerun_seconds * 1000:8.1f} ms, "
          f"embedded {rerun.embedded}")  # type: ignore[attr-defined]


def bench_ask(rounds: int = 10) -> None:
    from bot.drafting.interface import DraftRequest
    from bot.services import build_services
    from bot.settings import Settings
    from ingest.pipeline import ingest_paths

    with tempfile.TemporaryDirectory() as tmp:
        services = build_services(Settings(data_dir=Path(tmp)))
        ingest_paths(
            [DEMO_KB],
            session_factory=services.session_factory,
            index=services.index,
            embedder=services.embedder,
        )
        assert services.pipeline is not None
        services.pipeline.retriever.refresh()
        for query in ASK_QUERIES:  # warm-up
            services.drafter.draft(DraftRequest(buyer_messages=[query], for_seller=True))
        timings: list[float] = []
        route_timings: list[float] = []
        for _ in range(rounds):
            for query in ASK_QUERIES:
                start = time.perf_counter()
                services.drafter.draft(
                    DraftRequest(buyer_messages=[query], buyer_name="Maria", for_seller=True)
                )
                timings.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                services.pipeline.route(query)
                route_timings.append((time.perf_counter() - start) * 1000)
        services.close()
    print(
        f"warm ask (offline composer), {len(timings)} drafts: "
        f"p50 {statistics.median(timings):.1f} ms, p95 {_percentile(timings, 0.95):.1f} ms "
        f"(target p50 <= 60 ms)"
    )
    print(
        f"warm retrieval + hand-off decision: p50 {statistics.median(route_timings):.1f} ms, "
        f"p95 {_percentile(route_timings, 0.95):.1f} ms (target p50 <= 30, p95 <= 60 ms)"
    )


def bench_backlog(conversations: int = 48, rounds: int = 3) -> None:
    """A worker through a backlog of conversations: one at a time vs claimed in batches
    whose texts are embedded in one model call (issue 17 §6). Alternating runs, one process;
    the load average is printed beside the figures."""
    from bot.services import build_services
    from bot.settings import Settings
    from bot.worker import DraftingWorker
    from ingest.pipeline import ingest_paths

    messages = [f"{query} (#{n})" for n in range(conversations // len(ASK_QUERIES) + 1)
                for query in ASK_QUERIES][:conversations]
    with tempfile.TemporaryDirectory() as tmp:
        services = build_services(Settings(data_dir=Path(tmp), worker_in_process=False))
        ingest_paths([DEMO_KB], session_factory=services.session_factory,
                     index=services.index, embedder=services.embedder)
        assert services.pipeline is not None
        services.pipeline.retriever.refresh()

        def drafts_per_second(batch_size: int) -> float:
            for text in messages:
                conversation = services.workflow.start_conversation(buyer_name="Maria")
                services.workflow.receive_buyer_message(conversation_id=conversation.id,
                                                        text=text)
            worker = DraftingWorker(workflow=services.workflow, batch_size=batch_size)
            start = time.perf_counter()
            drafted = worker.run_until_idle()
            return drafted / (time.perf_counter() - start)

        drafts_per_second(4)  # warm-up
        rates: dict[int, list[float]] = {1: [], 4: [], 8: []}
        for _ in range(rounds):
            for size in (1, 4, 8):
                rates[size].append(drafts_per_second(size))
        services.close()
    one = statistics.median(rates[1])
    figures = ", ".join(
        f"batches of {size} {statistics.median(rates[size]):.1f} drafts/s "
        f"(ratio {statistics.median(rates[size]) / one:.2f})" for size in (4, 8)
    )
    print(f"worker backlog of {conversations}, median of {rounds} alternating runs "
          f"(load {os.getloadavg()[0]:.2f}): one at a time {one:.1f} drafts/s, {figures}")


def main(argv: list[str] | None = None) -> None:
    import argparse

    import torch

    from benchmarks.kb_scale import DEFAULT_SIZES, bench_kb_scale

    parser = argparse.ArgumentParser(description="draftdesk benchmarks (prints, asserts nothing)")
    parser.add_argument("--kb-sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="article counts of the KB-scale benchmark ('' to skip it)")
    args = parser.parse_args(argv)
    print(f"torch threads: {torch.get_num_threads()}, cores: {os.cpu_count()}")
    bench_ingest()
    bench_ask()
    bench_backlog()
    sizes = [int(size) for size in args.kb_sizes.split(",") if size.strip()]
    if sizes:
        bench_kb_scale(sizes)


if __name__ == "__main__":
    main()
