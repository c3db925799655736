"""Query-embedding latency with 1 PyTorch thread vs PyTorch's default, 2 queries at a time.

Each setting runs in its own process (the thread count is process-wide), alternating
A/B/A/B so machine noise hits both alike; prints p50/p95 per setting and the ratio, with
the load average beside each figure. Used for the README's "Threads" figures (issue 17).

    .venv/bin/python deploy/measure_embed_threads.py --rounds 2 --queries 150
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time

QUERIES = [
    "my package never arrived, where is it?",
    "can I return the kettle if I opened the box?",
    "the lid of the casserole arrived cracked",
    "how long does a refund take after you get the item back?",
    "do you ship to Austria and how much is it?",
    "I want to cancel my order please",
]


def _one_setting(threads: int | None, queries: int, concurrency: int) -> dict[str, float]:
    import torch

    if threads is not None:
        torch.set_num_threads(threads)
    from ingest.embedder import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()
    for text in QUERIES:  # warm up
        embedder.embed([text])
    latencies: list[float] = []
    lock = threading.Lock()

    def client(offset: int) -> None:
        for number in range(queries // concurrency):
            text = QUERIES[(number + offset) % len(QUERIES)]
            started = time.perf_counter()
            embedder.embed([text])
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)

    workers = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    latencies.sort()
    return {
        "torch_threads": float(torch.get_num_threads()),
        "p50_ms": statistics.median(latencies),
        "p95_ms": latencies[int(0.95 * (len(latencies) - 1))],
        "load_average": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--queries", type=int, default=150)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--child", choices=["one", "default"])
    args = parser.parse_args()
    if args.child:
        threads = 1 if args.child == "one" else None
        print(json.dumps(_one_setting(threads, args.queries, args.concurrency)))
        return
    results: dict[str, list[dict[str, float]]] = {"one": [], "default": []}
    for _ in range(args.rounds):
        for setting in ("one", "default"):
            out = subprocess.run(
                [sys.executable, __file__, "--child", setting, "--queries", str(args.queries),
                 "--concurrency", str(args.concurrency)],
                capture_output=True, text=True, check=True,
            ).stdout.strip().splitlines()[-1]
            run = json.loads(out)
            results[setting].append(run)
            print(f"{setting:8s} threads={run['torch_threads']:.0f} p50 {run['p50_ms']:6.1f} ms "
                  f"p95 {run['p95_ms']:6.1f} ms  (load average {run['load_average']:.2f})")
    best = {s: min(r["p95_ms"] for r in runs) for s, runs in results.items()}
    median = {s: statistics.median(r["p50_ms"] for r in runs) for s, runs in results.items()}
    print(f"p95 default/one: {best['default'] / best['one']:.2f}x  "
          f"p50 default/one: {median['default'] / median['one']:.2f}x  "
          f"(cores: {os.cpu_count()}, {args.concurrency} concurrent queries)")


if __name__ == "__main__":
    main()
