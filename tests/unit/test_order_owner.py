"""Who may see an order's facts: the family name on the order, in any script (issue 15)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.conversations.order_bindings import buyer_owns_order
from bot.database import upgrade_to_head
from bot.orders import load_demo_orders
from knowledge_base.db import make_engine, make_session_factory, transaction


@pytest.fixture
def factory(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'orders.sqlite3'}")
    upgrade_to_head(engine)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        load_demo_orders(session, today=date(2026, 11, 30))
    return factory


@pytest.mark.parametrize(
    ("order_id", "name", "owns"),
    [
        ("302-1538274-6620341", "Hoffmann", True),  # Lena Hoffmann
        ("305-8816420-9937105", "Krüger", True),  # Sabine Krüger: accents ignored
        ("305-8816420-9937105", "kruger", True),
        ("305-8816420-9937105", "Sabine", False),  # a first name is not enough
        ("249-3902716-5584233", "佐藤", True),  # 佐藤 健太: the family name comes first
        ("249-3902716-5584233", "健太", False),
        ("249-3902716-5584233", "鈴木", False),
        ("250-6617042-1180946", "Łukasiewicz", False),  # not ASCII after decomposing: no 500
    ],
)
def test_the_family_name_verifies_the_order_whatever_its_script(
    factory: sessionmaker[Session], order_id: str, name: str, owns: bool
) -> None:
    with factory() as session:
        assert buyer_owns_order(session, order_id=order_id, last_name=name) is owns
