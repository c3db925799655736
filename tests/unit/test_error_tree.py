"""One error tree: every error of ours is a ``DraftdeskError`` with a stable code and a status,
and the CLI shows any of them as one ``error: …`` line with exit code 1."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bot.cli import app
from bot.cli.common import DraftdeskGroup
from bot.orders.errors import OrdersError
from knowledge_base.error_base import DraftdeskError

PACKAGES = ("knowledge_base", "ingest", "bot", "evals")
# Alembic scripts run migrations when imported; ``__main__`` modules run the CLI.
SKIPPED_MODULES = ("bot.migrations",)
# Exceptions that are control flow inside one layer, never an error a user or client sees.
NOT_ERRORS = {
    "bot.orders.cells.RowError": "collected into the import report's failed rows",
    "bot.web.deps.LoginRequired": "a redirect to /login",
    "bot.web.routes_articles.LeadRequired": "the KB pages' HTML 403 page",
}
PACKAGE_ROOTS = {
    "KnowledgeBaseError", "IngestError", "AccountError", "WorkflowError", "KbEditorError",
    "OrdersError", "PolicyError", "SlackDeskError", "TopicModelError", "LlmComposerError",
    "ApiError", "EvalError", "RetrievalError", "ServicesError", "MailError", "PrivacyError",
    "ReportsError",
}


def _our_modules() -> list[str]:
    names = []
    for package in PACKAGES:
        root = importlib.import_module(package)
        names.append(package)
        for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
            if info.name.endswith(".__main__") or info.name.startswith(SKIPPED_MODULES):
                continue
            names.append(info.name)
    return names


def _exception_classes() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for name in _our_modules():
        module = importlib.import_module(name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == name:
                found[f"{name}.{value.__qualname__}"] = value
    return found


@pytest.fixture(scope="module")
def exception_classes() -> dict[str, type[BaseException]]:
    return _exception_classes()


def test_every_error_of_ours_is_a_draftdesk_error_with_a_code_and_a_status(
    exception_classes: dict[str, type[BaseException]],
) -> None:
    errors = {k: v for k, v in exception_classes.items() if k not in NOT_ERRORS}
    assert len(errors) > 40  # the walk found the packages' error modules
    outside = sorted(k for k, v in errors.items() if not issubclass(v, DraftdeskError))
    assert outside == []
    for name, error in errors.items():
        assert issubclass(error, DraftdeskError)
        assert isinstance(error.code, str) and error.code, name
        assert isinstance(error.status, int) and 400 <= error.status <= 599, name
    assert set(NOT_ERRORS) <= set(exception_classes)  # the exceptions still exist


def test_each_package_has_one_root_under_draftdesk_error(
    exception_classes: dict[str, type[BaseException]],
) -> None:
    roots = {
        v.__name__ for v in exception_classes.values()
        if v is not DraftdeskError and DraftdeskError in v.__bases__
    }
    assert roots == PACKAGE_ROOTS


def test_no_two_classes_define_the_same_code(
    exception_classes: dict[str, type[BaseException]],
) -> None:
    codes: dict[str, str] = {}
    for name, error in exception_classes.items():
        # A class without a code of its own (e.g. a retry marker) reports as its parent.
        if issubclass(error, DraftdeskError) and "code" in vars(error):
            assert error.code not in codes, (name, codes.get(error.code))
            codes[error.code] = name


def test_the_message_is_kept_and_is_the_str() -> None:
    error = OrdersError("order file is empty")
    assert (error.message, str(error), error.code, error.status) == (
        "order file is empty", "order file is empty", "orders_error", 400,
    )


def test_a_library_error_in_a_real_command_is_one_line_and_exit_1(tmp_path: Path) -> None:
    # Half-configured Slack raises SlackNotConfigured from the library; no command catches it.
    env = {
        "DRAFTDESK_DATA_DIR": str(tmp_path / "data"), "DRAFTDESK_ENVIRONMENT": "test",
        "DRAFTDESK_SLACK_MODE": "socket", "SLACK_BOT_TOKEN": "xoxb-test",
    }
    result = CliRunner().invoke(app, ["slack"], env=env)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: DRAFTDESK_SLACK_MODE=socket needs DRAFTDESK_SLACK_REVIEW_CHANNEL, SLACK_APP_TOKEN"
    ]


def test_invalid_settings_are_one_line_naming_the_setting(tmp_path: Path) -> None:
    env = {"DRAFTDESK_DATA_DIR": str(tmp_path / "data"), "DRAFTDESK_PORT": "eighty"}
    result = CliRunner().invoke(app, ["users", "list"], env=env)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: invalid settings: port: Input should be a valid integer, unable to parse string "
        "as an integer"
    ]


def test_any_draftdesk_error_is_one_line_however_long_and_exit_1() -> None:
    long_message = "order file rows 2-99 are unreadable: " + ", ".join(["bad quantity"] * 30)
    demo = typer.Typer(cls=DraftdeskGroup, pretty_exceptions_enable=False)

    @demo.command()
    def boom() -> None:
        raise OrdersError(long_message)

    @demo.command()
    def fine() -> None:
        typer.echo("ok")

    result = CliRunner().invoke(demo, ["boom"])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr == f"error: {long_message}\n"
    assert CliRunner().invoke(demo, ["fine"]).stdout == "ok\n"
