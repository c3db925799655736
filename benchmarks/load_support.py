"""Plumbing of :mod:`benchmarks.load`: started processes, an open-loop buyer load, the agent's
live stream, and the drafts read back from the database."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import Engine, create_engine, select

from bot.conversations.models import Conversation, Draft

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# Six of the demo KB's English articles (as tests/integration/test_deploy_processes.py):
# seconds to ingest, and the drafting path is the same as with the whole KB.
KB_ARTICLES = ("cookware-and-knife-care", "delivery-times", "returns-condition",
               "payment-methods", "kettle-descaling", "gift-orders")
QUESTIONS = [
    "Is the cast iron skillet oven safe?", "How long does standard shipping take?",
    "Can I return the kettle if I used it once?", "Do you take Amex?",
    "How do I descale my kettle?", "Can I send the pan set as a gift?",
    "my parcel still hasn't arrived, how long does delivery usually take",
    "can I pay with paypal or only card",
    "the knife is getting dull, how should I take care of it",
    "I'd like to return the pan, it is unused and still in the box",
    "is there a gift receipt option without prices?",
    "white crust inside the kettle, what do I do",
]
RATE_LIMIT_PER_IP = "1000000"


def small_kb(directory: Path) -> Path:
    (directory / "articles").mkdir(parents=True)
    for name in KB_ARTICLES:
        source = REPO_ROOT / "knowledge_base" / "demo" / "articles" / f"{name}.md"
        (directory / "articles" / source.name).write_text(source.read_text())
    return directory


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load_avg() -> str:
    one, five, _ = os.getloadavg()
    return f"[load {one:.2f}/{five:.2f}]"


def rss_mb(pid: int) -> float:
    """A process's resident memory (Linux ``/proc``), in MB; 0 when it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return 0.0
    kilobytes = next((int(line.split()[1]) for line in status.splitlines()
                      if line.startswith("VmRSS:")), 0)
    return kilobytes / 1024


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def wait_until(predicate: Callable[[], object], *, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def process_env(**settings: str) -> dict[str, str]:
    """This environment without DRAFTDESK_* settings, plus ``settings`` (DRAFTDESK_ names)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRAFTDESK_")}
    env.update({"HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
                "TOKENIZERS_PARALLELISM": "false",
                "DRAFTDESK_RATE_LIMIT_PER_IP": RATE_LIMIT_PER_IP})
    env.update({f"DRAFTDESK_{k.upper()}": v for k, v in settings.items()})
    return env


class Processes:
    """Started processes (logs in ``log_dir``), all stopped by :meth:`stop_all`."""

    def __init__(self, log_dir: Path, env: dict[str, str]) -> None:
        self.log_dir, self.env = log_dir, env
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *command: str) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"{name}.log").open("ab")
        process = subprocess.Popen([str(BIN / command[0]), *command[1:]], cwd=REPO_ROOT,
                                   env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.running[name] = process
        return process

    def run(self, *command: str) -> str:
        done = subprocess.run([str(BIN / command[0]), *command[1:]], cwd=REPO_ROOT,
                              env=self.env, capture_output=True, text=True, timeout=600,
                              check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout[-1500:]}"
                               f"{done.stderr[-1500:]}")
        return done.stdout

    def log_tail(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")[-3000:]

    def print_logs(self) -> None:
        """Each process's last lines (after an error: what the processes said)."""
        for name in self.running:
            print(f"--- {name}\n{self.log_tail(name)}")

    def signal(self, name: str, number: signal.Signals) -> None:
        os.killpg(self.running[name].pid, number)

    def stop_all(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGCONT)
                process.send_signal(signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class AgentStream:
    """An agent's live stream (GET /api/v1/events): when each ``draft_created`` arrived."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token
        self.created_at: dict[int, float] = {}
        self.other_events: dict[str, int] = {}
        self.ready = threading.Event()
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, name="agent-stream", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            with httpx.stream("GET", f"{self.base}/api/v1/events", headers=headers,
                              timeout=httpx.Timeout(10, read=None)) as stream:
                event = None
                for line in stream.iter_lines():
                    if line.startswith("event:"):
                        event = line.split(":", 1)[1].strip()
                    elif line.startswith("data:") and event:
                        if event == "draft_created":
                            draft_id = json.loads(line.split(":", 1)[1])["draft_id"]
                            self.created_at.setdefault(int(draft_id), time.monotonic())
                        else:
                            self.other_events[event] = self.other_events.get(event, 0) + 1
                        if event == "ready":
                            self.ready.set()
        except httpx.HTTPError as exc:  # the server was stopped
            self.error = type(exc).__name__


@dataclass
class Buyer:
    conversation_id: str
    token: str
    sent: int = 0
    busy: bool = False


@dataclass
class Sent:
    message_id: int
    conversation_id: str
    accepted_at: float  # time.monotonic() when the 202 arrived
    request_seconds: float


@dataclass
class Offered:
    """What one open-loop run sent and how the API answered."""

    sent: list[Sent] = field(default_factory=list)
    refused: dict[str, int] = field(default_factory=dict)  # status or error → count
    started_at: float = 0.0
    last_accepted_at: float = 0.0
    new_buyers: int = 0

    @property
    def achieved_rate(self) -> float:
        span = self.last_accepted_at - self.started_at
        return len(self.sent) / span if span > 0 else 0.0


class BuyerLoad:
    """Buyers writing through the public API, on a fixed schedule (open loop: a slow answer
    does not delay the next message)."""

    def __init__(self, base: str, *, seed: int = 17, reuse: float = 0.3,
                 max_per_buyer: int = 3) -> None:
        self.base, self.reuse, self.max_per_buyer = base, reuse, max_per_buyer
        self.rng = random.Random(seed)
        self.buyers: list[Buyer] = []

    async def _new_buyer(self, client: httpx.AsyncClient) -> Buyer:
        created = (await client.post("/api/v1/conversations", json={}))
        created.raise_for_status()
        body = created.json()
        buyer = Buyer(body["id"], body["token"])
        self.buyers.append(buyer)
        return buyer

    async def _send(self, client: httpx.AsyncClient, result: Offered, buyer: Buyer | None,
                    text: str) -> None:
        start = time.monotonic()
        try:
            if buyer is None:
                buyer = await self._new_buyer(client)
                result.new_buyers += 1
            buyer.busy = True
            answer = await client.post(
                f"/api/v1/conversations/{buyer.conversation_id}/messages", json={"text": text},
                headers={"Authorization": f"Bearer {buyer.token}"})
        except httpx.HTTPError as exc:
            key = type(exc).__name__
            if isinstance(exc, httpx.HTTPStatusError):
                key = str(exc.response.status_code)
            result.refused[key] = result.refused.get(key, 0) + 1
            return
        finally:
            if buyer is not None:
                buyer.busy = False
        now = time.monotonic()
        if answer.status_code != 202:
            key = str(answer.status_code)
            result.refused[key] = result.refused.get(key, 0) + 1
            return
        buyer.sent += 1
        result.sent.append(Sent(answer.json()["id"], buyer.conversation_id, now, now - start))
        result.last_accepted_at = max(result.last_accepted_at, now)

    def _pick(self) -> Buyer | None:
        """An existing buyer (with probability ``reuse``) who is not mid-request, or None."""
        if self.rng.random() >= self.reuse:
            return None
        free = [b for b in self.buyers[-200:] if not b.busy and b.sent < self.max_per_buyer]
        return self.rng.choice(free) if free else None

    async def _offer(self, rate: float, seconds: float) -> Offered:
        result = Offered()
        limits = httpx.Limits(max_connections=400, max_keepalive_connections=100)
        async with httpx.AsyncClient(base_url=self.base, timeout=60, limits=limits) as client:
            result.started_at = time.monotonic()
            tasks = []
            for n in range(max(1, int(rate * seconds))):
                await asyncio.sleep(max(0.0, result.started_at + n / rate - time.monotonic()))
                text = QUESTIONS[self.rng.randrange(len(QUESTIONS))]
                tasks.append(asyncio.create_task(self._send(client, result, self._pick(), text)))
            await asyncio.gather(*tasks)
        return result

    def offer(self, rate: float, seconds: float) -> Offered:
        """Send ``rate`` messages a second for ``seconds``."""
        return asyncio.run(self._offer(rate, seconds))

    async def _script(self, plan: list[tuple[float, int, str]], buyers: list[Buyer]) -> Offered:
        result = Offered()
        async with httpx.AsyncClient(base_url=self.base, timeout=60) as client:
            result.started_at = time.monotonic()
            tasks = []
            for at, who, text in sorted(plan):
                await asyncio.sleep(max(0.0, result.started_at + at - time.monotonic()))
                tasks.append(asyncio.create_task(self._send(client, result, buyers[who], text)))
            await asyncio.gather(*tasks)
        return result

    def burst(self, buyers: int, messages: int, seconds: float) -> tuple[list[Buyer], Offered]:
        """``buyers`` new buyers, each writing ``messages`` messages spread over ``seconds``."""
        async def open_all() -> list[Buyer]:
            async with httpx.AsyncClient(base_url=self.base, timeout=60) as client:
                return [await self._new_buyer(client) for _ in range(buyers)]

        people = asyncio.run(open_all())
        step = seconds / messages
        plan = [(m * step + b * step / buyers, b, QUESTIONS[(b + m) % len(QUESTIONS)])
                for b in range(buyers) for m in range(messages)]
        return people, asyncio.run(self._script(plan, people))

    def backlog(self, count: int, *, concurrency: int = 8) -> Offered:
        """``count`` new buyers, one message each, as fast as ``concurrency`` clients go."""
        async def run() -> Offered:
            result = Offered()
            gate = asyncio.Semaphore(concurrency)
            async with httpx.AsyncClient(base_url=self.base, timeout=60) as client:
                async def one(n: int) -> None:
                    async with gate:
                        await self._send(client, result, None, QUESTIONS[n % len(QUESTIONS)])
                result.started_at = time.monotonic()
                await asyncio.gather(*(one(n) for n in range(count)))
            return result
        return asyncio.run(run())


class DraftStore:
    """Drafts and claims read straight from the database (plain columns only: nothing
    encrypted is read, so no data key is needed; no write lock is taken on SQLite)."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = create_engine(url)

    def drafts_after(self, draft_id: int = 0) -> list[tuple[int, list[int], str]]:
        """(id, message ids, status) of the drafts after ``draft_id``."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(Draft.id, Draft.message_ids, Draft.status)
                                      .where(Draft.id > draft_id)).all()
        return [(int(row[0]), [int(m) for m in row[1]], str(row[2])) for row in rows]

    def last_draft_id(self) -> int:
        return max((d for d, _, _ in self.drafts_after()), default=0)

    def claims_of(self, worker_pid: int) -> list[tuple[str, str]]:
        """(conversation id, claim token) of the claims a worker process holds."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(Conversation.id, Conversation.claim_token)
                .where(Conversation.claim_token.is_not(None))
                .where(Conversation.claimed_by.like(f"%:{worker_pid}:%"))).all()
        return [(str(row[0]), str(row[1])) for row in rows]

    def claim_of(self, conversation_id: str) -> tuple[str | None, str | None, bool]:
        """(claim token, claimed by, still needs a draft) of one conversation."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(Conversation.claim_token, Conversation.claimed_by,
                       Conversation.needs_draft).where(Conversation.id == conversation_id)).one()
        return row[0], row[1], bool(row[2])

    def dispose(self) -> None:
        self.engine.dispose()


@dataclass
class Outcome:
    """Per message: when its first draft was visible to the agent; lost (no draft), duplicated
    (more than one live draft: superseded ones do not count), redrafted (its pending draft was
    superseded because the buyer wrote again, by design)."""

    visible_seconds: list[float]
    lost: int
    duplicated: int
    not_evented: int
    redrafted: int
    drafts: int
    last_visible_at: float


def outcome(sent: list[Sent], store: DraftStore, stream: AgentStream | None, *,
            since_draft: int, timeout: float) -> Outcome:
    """Wait (up to ``timeout`` after the last 202) for a draft of every message, then count."""
    wanted = {s.message_id for s in sent}
    last = max((s.accepted_at for s in sent), default=time.monotonic())

    statuses: dict[int, str] = {}

    def drafted() -> dict[int, list[int]]:
        found: dict[int, list[int]] = {}
        for draft_id, message_ids, status in store.drafts_after(since_draft):
            statuses[draft_id] = status
            for message_id in message_ids:
                if message_id in wanted:
                    found.setdefault(message_id, []).append(draft_id)
        return found

    def live_count() -> int:
        found = drafted()
        return sum(1 for drafts in found.values()
                   if any(statuses[d] != "superseded" for d in drafts))

    wait_until(lambda: live_count() >= len(wanted),
               timeout=max(0.0, last + timeout - time.monotonic()), interval=0.5)
    time.sleep(0.5)  # the last events on their way
    found = drafted()
    visible: list[float] = []
    lost = not_evented = 0
    for s in sent:
        drafts = found.get(s.message_id)
        if not drafts or all(statuses[d] == "superseded" for d in drafts):
            lost += 1
            continue
        if stream is None:
            continue
        seen = stream.created_at.get(min(drafts))
        if seen is None:
            not_evented += 1
        elif seen - s.accepted_at > timeout:
            lost += 1
        else:
            visible.append(seen - s.accepted_at)
    live = [[d for d in drafts if statuses[d] != "superseded"] for drafts in found.values()]
    duplicated = sum(1 for drafts in live if len(drafts) > 1)
    redrafted = sum(1 for drafts in found.values() if len(drafts) > 1)
    ours = {d for drafts in found.values() for d in drafts}
    heard = [stream.created_at[d] for d in ours if stream and d in stream.created_at]
    return Outcome(visible, lost, duplicated, not_evented, redrafted, len(ours),
                   max(heard, default=0.0))


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def describe(values: list[float]) -> str:
    if not values:
        return "no values"
    return (f"p50 {statistics.median(values):.2f} s, p95 {percentile(values, 0.95):.2f} s, "
            f"max {max(values):.2f} s")
