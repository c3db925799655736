"""Run draftdesk with the fast fake drafter, embedder and index — a test-only entry point.

Subprocess tests start ``python -m tests.with_fake_services worker --exit-when-idle`` (the
real CLI) or ``python -m tests.with_fake_services uvicorn bot.web.app:create_app --factory …``
(the real app). Only the composition root's ``build_services`` is wrapped, so every other
part of the process is the product itself. In-process CLI tests call :func:`install` with
pytest's ``monkeypatch``.

``DRAFTDESK_TEST_DRAFT_DELAY`` (seconds) slows every draft down.
"""

from __future__ import annotations

import os
import sys
from functools import wraps
from typing import Any

import bot.services
from tests.fakes import FakeDrafter, FakeEmbedder, InMemoryIndex

_real_build_services = bot.services.build_services


def fake_service_keywords() -> dict[str, Any]:
    delay = float(os.environ.get("DRAFTDESK_TEST_DRAFT_DELAY", "0") or 0)
    return {"drafter": FakeDrafter(delay=delay), "embedder": FakeEmbedder(),
            "index": InMemoryIndex()}


@wraps(_real_build_services)
def build_services_with_fakes(settings: Any, **keywords: Any) -> bot.services.Services:
    return _real_build_services(settings, **{**fake_service_keywords(), **keywords})


def install(monkeypatch: Any | None = None) -> None:
    """Make ``bot.services.build_services`` use the fakes (undone by ``monkeypatch``)."""
    if monkeypatch is not None:
        monkeypatch.setattr(bot.services, "build_services", build_services_with_fakes)
    else:
        bot.services.build_services = build_services_with_fakes  # type: ignore[assignment]


def main(argv: list[str]) -> None:
    install()  # before bot.web.app / bot.cli import ``build_services`` by name
    if argv and argv[0] == "uvicorn":
        import uvicorn.main

        sys.argv = ["uvicorn", *argv[1:]]
        uvicorn.main.main()
    else:
        from bot.cli import app

        app(argv, prog_name="draftdesk")


if __name__ == "__main__":
    main(sys.argv[1:])
