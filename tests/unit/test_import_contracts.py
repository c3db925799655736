"""The framework-free contract must name every bot module except the surfaces."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tests.conftest import REPO_ROOT

SURFACES = {"bot.web", "bot.slack", "bot.cli", "bot.__main__", "bot.migrations"}


def test_every_core_bot_module_is_covered_by_the_forbidden_contract() -> None:
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    forbidden = next(c for c in contracts if c["type"] == "forbidden")
    covered = set(forbidden["source_modules"])
    bot = REPO_ROOT / "bot"
    modules = {
        f"bot.{p.stem if p.is_file() else p.name}"
        for p in bot.iterdir()
        if (p.is_file() and p.suffix == ".py" and p.stem != "__init__")
        or (p.is_dir() and (p / "__init__.py").exists())
    }
    missing = sorted(modules - SURFACES - covered)
    assert missing == [], f"add these to the forbidden contract in pyproject.toml: {missing}"
    assert Path(bot / "web").is_dir()
