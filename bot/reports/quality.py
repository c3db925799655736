"""Product-quality signals from what buyers write: complaints per SKU and defect type, the
weekly trend, examples in the buyers' own words (PII masked) and the spike alert.

A complaint is a buyer message :func:`~bot.reports.defects.classify_defect` recognises. Its
SKUs are those of the orders it names (order ids in the text) or, failing that, the orders
bound to its conversation; a message about a multi-item order counts for each SKU on it
(we cannot tell which item broke). Messages with no known order are "(no order)" and never
raise an alert.

**Alert rule** (:func:`complaint_spike`): a SKU's complaints in the last 24 hours, against its
own average per day over the 28 days before. It fires when there are at least
``MIN_SPIKE_COMPLAINTS`` and at least ``SPIKE_FACTOR`` times the usual daily number (a floor
of ``BASELINE_FLOOR`` per day stands in for a SKU with no history). Six "arrived cracked"
messages about one SKU in a day fire; the same six spread over six SKUs (one each) do not.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversations.models import Conversation, Message
from bot.conversations.order_bindings import OrderBinding
from bot.conversations.states import MessageRole
from bot.orders.models import OrderItem
from bot.reports.defects import DEFECT_LABELS, DefectType, classify_defect
from bot.reports.week import ReportWeek, week_of
from bot.understanding.signals import find_order_ids

NO_ORDER = "(no order)"
MIN_SPIKE_COMPLAINTS = 4
SPIKE_FACTOR = 3.0
BASELINE_FLOOR = 0.5  # complaints per day assumed for a SKU without history
SPIKE_WINDOW = timedelta(hours=24)
BASELINE_DAYS = 28
TREND_WEEKS = 8
EXAMPLES_PER_SKU = 3
EXAMPLE_MAX_CHARS = 240


@dataclass(frozen=True)
class Complaint:
    message_id: int
    conversation_id: str
    created_at: datetime
    defect: DefectType
    skus: tuple[str, ...]
    text: str
    buyer_name: str | None


@dataclass(frozen=True)
class QualityAlert:
    """A SKU whose complaints jumped against its own baseline."""

    sku: str
    complaints: int
    baseline_per_day: float
    top_defect: DefectType

    @property
    def defect_label(self) -> str:
        return DEFECT_LABELS[self.top_defect]

    def summary(self) -> str:
        usual = (f"usually {self.baseline_per_day:.1f} a day" if self.baseline_per_day
                 else f"none in the {BASELINE_DAYS} days before")
        return (f"SKU {self.sku}: {self.complaints} complaints in the last 24 hours "
                f"(mostly {self.defect_label}); {usual}.")


@dataclass
class SkuQuality:
    """One SKU's complaints in the report week."""

    sku: str
    by_defect: Counter[DefectType] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.by_defect.values())


@dataclass
class QualityReport:
    week: ReportWeek
    skus: list[SkuQuality]
    # Complaints per defect type for each of the last TREND_WEEKS weeks, oldest first.
    trend_weeks: list[str]
    trend: dict[DefectType, list[int]]
    alerts: list[QualityAlert]


def complaint_spike(*, recent: int, baseline_per_day: float) -> bool:
    """The alert rule (see the module docstring)."""
    return recent >= MIN_SPIKE_COMPLAINTS and recent >= SPIKE_FACTOR * max(
        baseline_per_day, BASELINE_FLOOR
    )


def mask_buyer_words(text: str, *, buyer_name: str | None) -> str:
    """The buyer's words with e-mails, phones, addresses, order ids and their name masked
    (the same patterns as for an outside LLM), shortened for a report."""
    from bot.drafting.llm import Redaction  # the LLM composer's module: not needed at start

    masked = Redaction().redact(" ".join(text.split()), name=buyer_name)
    if len(masked) > EXAMPLE_MAX_CHARS:
        masked = masked[: EXAMPLE_MAX_CHARS - 1].rstrip() + "…"
    return masked


def load_complaints(session: Session, *, since: datetime, until: datetime) -> list[Complaint]:
    """Buyer messages in ``[since, until)`` that describe a product problem, with SKUs."""
    rows = session.execute(
        select(Message, Conversation.buyer_name)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.role == MessageRole.BUYER.value, Message.created_at >= since,
               Message.created_at < until)
        .order_by(Message.id)
    ).all()
    classified = [(m, name, d) for m, name in rows if (d := classify_defect(m.text)) is not None]
    if not classified:
        return []
    bound: dict[str, list[str]] = defaultdict(list)
    for conversation_id, order_id in session.execute(
        select(OrderBinding.conversation_id, OrderBinding.order_id)
        .where(OrderBinding.conversation_id.in_({m.conversation_id for m, _, _ in classified}))
    ):
        bound[conversation_id].append(order_id)
    named = {m.id: find_order_ids(m.text) for m, _, _ in classified}
    order_ids = {o for ids in named.values() for o in ids} | {
        o for ids in bound.values() for o in ids
    }
    skus_of_order: dict[str, list[str]] = defaultdict(list)
    if order_ids:
        for order_id, sku in session.execute(
            select(OrderItem.order_id, OrderItem.sku).where(OrderItem.order_id.in_(order_ids))
            .order_by(OrderItem.order_id, OrderItem.line_no)
        ):
            skus_of_order[order_id].append(sku)
    complaints = []
    for message, buyer_name, defect in classified:
        orders = named[message.id] or bound.get(message.conversation_id, [])
        skus = tuple(dict.fromkeys(s for o in orders for s in skus_of_order.get(o, [])))
        complaints.append(Complaint(
            message_id=message.id, conversation_id=message.conversation_id,
            created_at=message.created_at, defect=defect, skus=skus or (NO_ORDER,),
            text=message.text, buyer_name=buyer_name,
        ))
    return complaints


def spike_alerts(complaints: Iterable[Complaint], *, now: datetime) -> list[QualityAlert]:
    """The SKUs whose last 24 hours break the rule, worst first."""
    window_start = now - SPIKE_WINDOW
    baseline_start = window_start - timedelta(days=BASELINE_DAYS)
    recent: dict[str, Counter[DefectType]] = defaultdict(Counter)
    before: Counter[str] = Counter()
    for complaint in complaints:
        for sku in complaint.skus:
            if sku == NO_ORDER:
                continue
            if window_start <= complaint.created_at < now:
                recent[sku][complaint.defect] += 1
            elif baseline_start <= complaint.created_at < window_start:
                before[sku] += 1
    alerts = []
    for sku, defects in recent.items():
        count = sum(defects.values())
        baseline = before[sku] / BASELINE_DAYS
        if complaint_spike(recent=count, baseline_per_day=baseline):
            alerts.append(QualityAlert(sku=sku, complaints=count, baseline_per_day=baseline,
                                       top_defect=defects.most_common(1)[0][0]))
    return sorted(alerts, key=lambda a: (-a.complaints, a.sku))


def current_alerts(session: Session, *, now: datetime) -> list[QualityAlert]:
    since = now - SPIKE_WINDOW - timedelta(days=BASELINE_DAYS)
    return spike_alerts(load_complaints(session, since=since, until=now), now=now)


def quality_report(session: Session, *, week: ReportWeek, now: datetime) -> QualityReport:
    """The week's complaints per SKU, the trend up to that week, and today's alerts."""
    weeks = [week]
    for _ in range(TREND_WEEKS - 1):
        weeks.insert(0, weeks[0].previous())
    complaints = load_complaints(session, since=weeks[0].start, until=week.end)
    trend = {d: [0] * len(weeks) for d in DefectType}
    index_of = {w.start: i for i, w in enumerate(weeks)}
    by_sku: dict[str, SkuQuality] = {}
    for complaint in complaints:
        trend[complaint.defect][index_of[week_of(complaint.created_at.date()).start]] += 1
        if not week.start <= complaint.created_at < week.end:
            continue
        for sku in complaint.skus:
            row = by_sku.setdefault(sku, SkuQuality(sku=sku))
            row.by_defect[complaint.defect] += 1
            if len(row.examples) < EXAMPLES_PER_SKU:
                row.examples.append(mask_buyer_words(complaint.text,
                                                     buyer_name=complaint.buyer_name))
    return QualityReport(
        week=week, skus=sorted(by_sku.values(), key=lambda r: (-r.total, r.sku)),
        trend_weeks=[w.label for w in weeks], trend=trend,
        alerts=current_alerts(session, now=now),
    )


def defect_columns() -> Sequence[tuple[DefectType, str]]:
    return list(DEFECT_LABELS.items())
