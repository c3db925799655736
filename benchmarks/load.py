"""End-to-end load from outside (issue 17, item 8): real processes, real model, buyers on the
public API, the agent's live stream.

1. the embedded default (one ``draftdesk serve``: in-process worker, SQLite, local Chroma)
   at offered rates of 2–35 msg/s: draft visible p50/p95, lost, duplicated;
2. a burst: 10 buyers × 10 messages in 30 s, draft for each buyer's last message;
3. 1 vs 2 ``draftdesk worker`` on PostgreSQL + a Chroma server + ``serve --api-only``: drafts/s
   through a fixed backlog, alternating runs, the ratio;
4. ``kill -9`` of a worker while buyers write: when its claim is retaken; nothing lost or
   doubled.

Run with ``python -m benchmarks.load [--quick]``. Prints figures; asserts nothing. Every
process gets ``DRAFTDESK_RATE_LIMIT_PER_IP`` = 1,000,000: all requests come from 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from sqlalchemy import create_engine, text

from benchmarks.load_support import (
    RATE_LIMIT_PER_IP,
    AgentStream,
    BuyerLoad,
    DraftStore,
    Offered,
    Processes,
    cpu_seconds,
    describe,
    free_port,
    healthy,
    load_avg,
    outcome,
    percentile,
    process_env,
    rss_mb,
    small_kb,
    wait_until,
)
from bot.protection.crypto import generate_key

RATES = (2, 5, 10, 20, 35)
DRAFT_TIMEOUT = 30.0  # a message without a draft this long after its 202 counts as lost
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Plan:
    seconds_per_rate: float
    burst_seconds: float
    backlog: int
    worker_runs: tuple[int, ...]
    kill_load_seconds: float
    lease_seconds: str | None  # None: the product's default


FULL = Plan(20, 30, 200, (1, 2, 1, 2), 45, None)
QUICK = Plan(4, 10, 40, (1, 2), 14, "6")


def start_agent_stream(processes: Processes, base: str) -> AgentStream:
    token = json.loads(processes.run("draftdesk", "users", "create",
                                     f"bench-{uuid.uuid4().hex[:6]}@example.com",
                                     "--json"))["token"]
    stream = AgentStream(base, token)
    if not stream.ready.wait(30):
        raise RuntimeError(f"the agent stream did not open: {stream.error}")
    return stream


def bench_embedded(plan: Plan, workdir: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    data_dir = workdir / "embedded"
    processes = Processes(workdir, process_env(data_dir=str(data_dir),
                                               data_key=generate_key()))
    try:
        started = time.monotonic()
        processes.run("draftdesk", "ingest", str(small_kb(workdir / "kb-embedded")))
        processes.start("serve", "draftdesk", "serve", "--host", "127.0.0.1", "--port", str(port))
        if not wait_until(lambda: healthy(f"{base}/healthz"), timeout=120):
            raise RuntimeError("serve did not become healthy:\n" + processes.log_tail("serve"))
        print(f"ingest + serve healthy in {time.monotonic() - started:.1f} s {load_avg()}")
        stream = start_agent_stream(processes, base)
        store = DraftStore(f"sqlite:///{data_dir / 'draftdesk.sqlite3'}")
        load = BuyerLoad(base)
        warm = load.offer(2, 3)  # the model's first queries are slow: not measured
        outcome(warm.sent, store, stream, since_draft=0, timeout=DRAFT_TIMEOUT)

        print(f"\n1. embedded default, {plan.seconds_per_rate:g} s per rate, 30% of messages from "
              f"a buyer who wrote before; lost = no draft within {DRAFT_TIMEOUT:g} s")
        print("  offered achieved  sent refused  202 p95  visible p50    p95    max  lost dup "
              "redraft no-event drafts/s serve-CPU client-CPU  load 1m/5m")
        pid = processes.running["serve"].pid
        for rate in RATES:
            since = store.last_draft_id()
            cpu_before, client_before = cpu_seconds(pid), time.process_time()
            offered = load.offer(rate, plan.seconds_per_rate)
            result = outcome(offered.sent, store, stream, since_draft=since,
                             timeout=DRAFT_TIMEOUT)
            span = max(result.last_visible_at, offered.last_accepted_at) - offered.started_at
            cpu = (cpu_seconds(pid) - cpu_before) / span if span > 0 else 0.0
            client = (time.process_time() - client_before) / span if span > 0 else 0.0
            v = result.visible_seconds
            refused = sum(offered.refused.values())
            request_p95 = percentile([s.request_seconds for s in offered.sent], 0.95)
            print(f"  {rate:5d}/s {offered.achieved_rate:5.1f}/s {len(offered.sent):5d} "
                  f"{refused:7d}  {request_p95:5.2f} s  {statistics.median(v) if v else 0:8.2f} s "
                  f"{percentile(v, 0.95):5.2f} s {max(v, default=0):5.2f} s {result.lost:5d} "
                  f"{result.duplicated:3d} {result.redrafted:7d} {result.not_evented:8d} "
                  f"{result.drafts / span if span > 0 else 0:8.1f} {cpu:8.0%} {client:9.0%}   "
                  f"{load_avg()}")
            if offered.refused:
                print(f"           refused: {offered.refused}")
        print("  (drafts/s: drafts stored from the first message to the last draft; serve-CPU: "
              "the serve process's CPU over that time, 100% = one core; client-CPU: this "
              "benchmark's own (load + agent stream), on the same cores; redraft: a message "
              "whose pending draft was superseded because its buyer wrote again, by design)")

        print(f"\n2. burst: 10 buyers x 10 messages in {plan.burst_seconds:g} s (embedded)")
        since = store.last_draft_id()
        _, burst = load.burst(10, 10, plan.burst_seconds)
        result = outcome(burst.sent, store, stream, since_draft=since, timeout=DRAFT_TIMEOUT)
        last_sent = {}
        for sent in burst.sent:  # each buyer's last accepted message
            last_sent[sent.conversation_id] = sent
        last = outcome(list(last_sent.values()), store, stream, since_draft=since,
                       timeout=DRAFT_TIMEOUT)
        print(f"  sent {len(burst.sent)}, refused {burst.refused or 0}; every message: "
              f"{describe(result.visible_seconds)}, lost {result.lost}, "
              f"duplicated {result.duplicated} {load_avg()}")
        print(f"  draft for each buyer's last message ({len(last_sent)} buyers): "
              f"{describe(last.visible_seconds)} (target p95 <= 3 s) {load_avg()}")
        if stream.other_events.get("resync"):
            print(f"  the agent stream was told to resync {stream.other_events['resync']} times")
        store.dispose()
    except Exception:
        processes.print_logs()
        raise
    finally:
        processes.stop_all()


@contextmanager
def postgres_database(base_url: str) -> Iterator[str]:
    """A new database on the server of ``base_url``, dropped afterwards."""
    name = f"draftdesk_bench_{os.getpid()}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def drain(store: DraftStore, since: int, count: int, *, timeout: float) -> float | None:
    """Seconds until ``count`` drafts after ``since`` exist (None: not within ``timeout``)."""
    start = time.monotonic()
    done = wait_until(lambda: len(store.drafts_after(since)) >= count, timeout=timeout,
                      interval=0.05)
    return time.monotonic() - start if done else None


def bench_scaled_out(plan: Plan, workdir: Path, postgres: str) -> None:
    with postgres_database(postgres) as url:
        chroma_port, api_port = free_port(), free_port()
        base = f"http://127.0.0.1:{api_port}"
        settings = {"database_url": url, "chroma_url": f"http://127.0.0.1:{chroma_port}",
                    "data_dir": str(workdir / "scaled"), "data_key": generate_key()}
        if plan.lease_seconds:
            settings["worker_lease_seconds"] = plan.lease_seconds
        processes = Processes(workdir, process_env(**settings))
        try:
            processes.start("chroma", "chroma", "run", "--host", "127.0.0.1", "--port",
                            str(chroma_port), "--path", str(workdir / "chroma-server"))
            if not wait_until(lambda: healthy(f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat"),
                              timeout=60):
                raise RuntimeError("the Chroma server did not start")
            processes.run("draftdesk", "db", "upgrade")
            processes.run("draftdesk", "ingest", str(small_kb(workdir / "kb-scaled")))
            started = time.monotonic()
            api = processes.start("api", "draftdesk", "serve", "--api-only", "--host",
                                  "127.0.0.1", "--port", str(api_port))
            if not wait_until(lambda: healthy(f"{base}/healthz"), timeout=60, interval=0.05):
                raise RuntimeError("the API process did not start:\n" + processes.log_tail("api"))
            print(f"\nserve --api-only (migrated database): healthy after "
                  f"{time.monotonic() - started:.2f} s, RSS {rss_mb(api.pid):.0f} MB "
                  f"{load_avg()} (target <= 2 s, <= 200 MB)")
            workers = ["worker0", "worker1"]
            for name in workers:
                processes.start(name, "draftdesk", "worker")
            store = DraftStore(url)
            load = BuyerLoad(base, seed=35)
            warm = load.backlog(8)  # both workers load their model and answer once
            if drain(store, 0, len(warm.sent), timeout=120) is None:
                raise RuntimeError("warm-up drafts missing:\n" + processes.log_tail("worker0"))
            time.sleep(1.0)
            print(f"\n3. 1 vs 2 workers (PostgreSQL, Chroma server, one serve --api-only): "
                  f"{plan.backlog} messages queued while the workers are stopped (SIGSTOP), "
                  f"then {{1, 2}} workers continued (SIGCONT); drafts/s until the last draft")
            for name in workers:
                processes.signal(name, signal.SIGSTOP)
            rates: dict[int, list[float]] = {1: [], 2: []}
            for count in plan.worker_runs:
                since = store.last_draft_id()
                queued = load.backlog(plan.backlog)
                before = load_avg()
                cpu0 = {name: cpu_seconds(processes.running[name].pid)
                        for name in ("chroma", "api", *workers[:count])}
                for name in workers[:count]:
                    processes.signal(name, signal.SIGCONT)
                seconds = drain(store, since, len(queued.sent), timeout=300)
                for name in workers[:count]:
                    processes.signal(name, signal.SIGSTOP)
                if seconds is None:
                    print(f"  {count} worker(s): the backlog was not drafted within 300 s")
                    continue
                rates[count].append(len(queued.sent) / seconds)
                used = {name: cpu_seconds(processes.running[name].pid) - cpu0[name]
                        for name in cpu0}
                cpu = "; ".join(f"{name} {value / seconds:.0%}" for name, value in used.items())
                print(f"  {count} worker(s): {len(queued.sent)} drafts in {seconds:5.1f} s = "
                      f"{rates[count][-1]:5.1f} drafts/s  (queued with load {before}; "
                      f"after {load_avg()}); CPU: {cpu}")
            if rates[1] and rates[2]:
                ratio = statistics.mean(rates[2]) / statistics.mean(rates[1])
                pairs = ", ".join(f"{b / a:.2f}" for a, b in zip(rates[1], rates[2], strict=False))
                print(f"  2 workers / 1 worker: {ratio:.2f}x (mean; per pair {pairs}; "
                      f"target >= 1.5x) {load_avg()}")
            for name in workers:
                processes.signal(name, signal.SIGCONT)
            bench_worker_kill(plan, processes, store, load)
            store.dispose()
        except Exception:
            processes.print_logs()
            raise
        finally:
            processes.stop_all()


def _freeze_holding_a_claim(processes: Processes, store: DraftStore,
                            name: str) -> tuple[str, str] | None:
    """Stop worker ``name`` at a moment it holds a claim; the claim, or None (gave up)."""
    pid = processes.running[name].pid
    for _ in range(400):
        processes.signal(name, signal.SIGSTOP)
        claims = store.claims_of(pid)
        if claims:
            return claims[0]
        processes.signal(name, signal.SIGCONT)
        time.sleep(0.02)
    return None


def bench_worker_kill(plan: Plan, processes: Processes, store: DraftStore,
                      load: BuyerLoad) -> None:
    import threading

    lease = plan.lease_seconds or "the default (25)"
    print(f"\n4. kill -9 of a worker while buyers write 10 msg/s for {plan.kill_load_seconds:g} s "
          f"(lease {lease} s; two workers, one killed at ~3 s)")
    since = store.last_draft_id()
    offered: list[Offered] = []
    writer = threading.Thread(target=lambda: offered.append(
        load.offer(10, plan.kill_load_seconds)), daemon=True)
    writer.start()
    time.sleep(3)
    claim = _freeze_holding_a_claim(processes, store, "worker0")
    processes.signal("worker0", signal.SIGKILL)
    killed_at = time.monotonic()
    processes.running["worker0"].wait(timeout=10)
    if claim is None:
        print("  worker0 held no claim when it was killed (tried for 8 s)")
    else:
        conversation_id, token = claim

        def retaken() -> bool:
            now_token, _, needs_draft = store.claim_of(conversation_id)
            return now_token != token or not needs_draft

        if wait_until(retaken, timeout=120, interval=0.1):
            print(f"  its claim on {conversation_id[:8]}… retaken "
                  f"{time.monotonic() - killed_at:.1f} s after the kill (target <= 30 s) "
                  f"{load_avg()}")
        else:
            print(f"  its claim was not retaken within 120 s {load_avg()}")
    writer.join()
    result_of = offered[0]
    result = outcome(result_of.sent, store, None, since_draft=since, timeout=DRAFT_TIMEOUT + 60)
    print(f"  {len(result_of.sent)} messages sent (refused {result_of.refused or 0}): "
          f"lost {result.lost}, duplicated {result.duplicated} "
          f"(a draft within {DRAFT_TIMEOUT + 60:g} s of the 202) {load_avg()}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="draftdesk end-to-end load (prints figures)")
    parser.add_argument("--quick", action="store_true",
                        help="a few seconds per point (development), lease 6 s in part 4")
    parser.add_argument("--postgres", default=os.environ.get("DRAFTDESK_BENCH_DATABASE_URL",
                                                             DEFAULT_POSTGRES),
                        help="a PostgreSQL server (a database is created and dropped on it); "
                             "'' to skip parts 3 and 4")
    parser.add_argument("--skip-embedded", action="store_true", help="parts 3 and 4 only")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    started = time.monotonic()
    print(f"draftdesk end-to-end load{' (--quick)' if args.quick else ''}; cores: "
          f"{os.cpu_count()}; DRAFTDESK_RATE_LIMIT_PER_IP={RATE_LIMIT_PER_IP} in every process "
          f"(one client IP); other limits at their defaults {load_avg()}")
    with tempfile.TemporaryDirectory(prefix="draftdesk-load-") as tmp:
        if not args.skip_embedded:
            bench_embedded(plan, Path(tmp))
        if args.postgres:
            bench_scaled_out(plan, Path(tmp), args.postgres)
    print(f"\ntotal {time.monotonic() - started:.0f} s {load_avg()}")


if __name__ == "__main__":
    main()
