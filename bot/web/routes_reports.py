"""``/reports`` for leads (issue 18): the week's review figures and product-quality signals,
``/reports.csv`` with the same figures, and the quality-alert banner the console includes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response

from bot.reports.charts import Series, line_chart, stacked_bars
from bot.reports.defects import DEFECT_LABELS
from bot.reports.edits import LIGHT_EDIT_MIN_RATIO
from bot.reports.figures import LATE_REPLY_AFTER, FigureRow
from bot.reports.quality import (
    BASELINE_DAYS,
    MIN_SPIKE_COMPLAINTS,
    SPIKE_FACTOR,
    QualityAlert,
)
from bot.services import Services, start_quality_monitor
from bot.web.deps import ConsoleLead, ServicesDep
from bot.web.templating import templates

if TYPE_CHECKING:
    from bot.slack.desk import SlackDesk  # Bolt: imported only when Slack is configured

router = APIRouter(include_in_schema=False)
WeekParam = Annotated[str | None, Query(max_length=10, description="ISO week, e.g. 2026-W48")]
# Figures rows in a chart: the busiest agents and articles (the tables list them all).
CHART_ROWS = 12


def _edit_chart(title: str, rows: list[FigureRow]) -> str:
    shown = [r for r in rows if r.sent][:CHART_ROWS]
    return stacked_bars(
        title=title, labels=[r.label for r in shown],
        series=[Series("unchanged", [r.sent_unchanged for r in shown]),
                Series("lightly edited", [r.sent_light for r in shown]),
                Series("rewritten", [r.sent_rewritten for r in shown])],
    )


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request, user: ConsoleLead, services: ServicesDep, week: WeekParam = None
) -> Response:
    """The week's figures per agent and per article, and complaints per SKU."""
    reports = services.reports
    period = reports.week(week)
    figures = reports.figures(period)
    quality = reports.quality(period)
    context: dict[str, Any] = {
        "week": period, "figures": figures, "quality": quality,
        "defects": list(DEFECT_LABELS.items()),
        "agent_chart": _edit_chart("Drafts sent per agent, by how much they were edited",
                                   figures.agents),
        "article_chart": _edit_chart("Drafts sent per article, by how much they were edited",
                                     figures.articles),
        "trend_chart": line_chart(
            title="Complaints per week by defect type", x_labels=quality.trend_weeks,
            series=[Series(label, quality.trend[d]) for d, label in DEFECT_LABELS.items()],
        ),
        "light_edit_ratio": LIGHT_EDIT_MIN_RATIO,
        "late_hours": int(LATE_REPLY_AFTER.total_seconds() // 3600),
        "spike_rule": {"min": MIN_SPIKE_COMPLAINTS, "factor": SPIKE_FACTOR,
                       "days": BASELINE_DAYS},
    }
    return templates.TemplateResponse(request, "reports/page.html", context)


@router.get("/reports.csv")
def reports_csv(user: ConsoleLead, services: ServicesDep, week: WeekParam = None) -> Response:
    """The page's figures as CSV (agents, articles, then complaints per SKU)."""
    reports = services.reports
    period = reports.week(week)
    return Response(
        reports.csv(period), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="draftdesk-{period.label}.csv"',
                 "Cache-Control": "no-store"},
    )


def quality_alerts(request: Request) -> list[QualityAlert]:
    """For the console banner (``reports/_quality_banner.html``): today's quality alerts."""
    services: Services = request.app.state.services
    return services.reports.alerts()


def slack_announcer(desk: SlackDesk) -> Any:
    """Post each new quality alert to the Slack review channel."""

    def announce(alert: QualityAlert) -> None:
        link = f" <{desk.config.public_url.rstrip('/')}/reports|Open the reports>" if (
            desk.config.public_url) else ""
        desk.api.post_message(channel=desk.config.channel,
                              text=f":warning: Quality alert. {alert.summary()}{link}")

    return announce


def install_reports(app: FastAPI) -> None:
    """Serve the reports; where the drafting worker runs, announce quality alerts (Slack
    too, when its desk runs). Call after ``install_slack`` so the desk exists by then."""
    app.include_router(router)
    templates.env.globals["quality_alerts"] = quality_alerts
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(running: FastAPI) -> AsyncIterator[Any]:
        async with inner(running) as state:
            services: Services = running.state.services
            if services.settings.worker_in_process:
                desk: SlackDesk | None = getattr(running.state, "slack_desk", None)
                if desk is not None:
                    services.quality_monitor.notifiers.append(slack_announcer(desk))
                start_quality_monitor(services)
            yield state

    app.router.lifespan_context = lifespan
