"""Who may decide drafts from Slack: listed user ids and members of listed user groups."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from bot.slack.client import SlackWebApi
from bot.slack.errors import SlackCallFailed
from knowledge_base.clock import MonotonicClock

log = logging.getLogger(__name__)


def is_usergroup(entry: str) -> bool:
    """Slack user-group ids start with ``S`` (user ids with ``U`` or ``W``)."""
    return entry.startswith("S")


class ApproverDirectory:
    """Answers "may this user decide?" with user groups resolved and cached.

    Group members come from ``usergroups.users.list`` and are kept ``ttl_seconds``. When
    Slack cannot be asked, the last known members still count; a group never resolved
    grants nobody (refusing is the safe failure).
    """

    def __init__(
        self,
        *,
        entries: Sequence[str],
        api: SlackWebApi,
        ttl_seconds: float = 300.0,
        clock: MonotonicClock = time.monotonic,
    ) -> None:
        self.users = frozenset(e for e in entries if not is_usergroup(e))
        self.groups = tuple(e for e in entries if is_usergroup(e))
        self._api = api
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._members: dict[str, tuple[float, frozenset[str]]] = {}

    @property
    def configured(self) -> bool:
        return bool(self.users or self.groups)

    def is_approver(self, user_id: str) -> bool:
        """True when ``user_id`` is listed or belongs to a listed user group."""
        if user_id in self.users:
            return True
        return any(user_id in self._group_members(group) for group in self.groups)

    def _group_members(self, group: str) -> frozenset[str]:
        now = self._clock()
        with self._lock:
            cached = self._members.get(group)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        try:
            members = frozenset(self._api.usergroup_members(group))
        except SlackCallFailed as exc:
            log.warning("could not resolve Slack user group %s (%s)", group, exc.code)
            return cached[1] if cached is not None else frozenset()
        with self._lock:
            self._members[group] = (now, members)
        return members

    def mentions(self) -> str:
        """Mentions of every approver and group, for reminders."""
        parts = [f"<@{user}>" for user in sorted(self.users)]
        parts += [f"<!subteam^{group}>" for group in self.groups]
        return " ".join(parts)
