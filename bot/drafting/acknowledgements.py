"""The instant acknowledgement a buyer gets on the widget, in their language (issue 13).

From the offline composer's per-language wording files (``acknowledgement``), never
machine-translated. English keeps the seller's configured response-time text.
"""

from __future__ import annotations

from bot.drafting.offline import load_wording
from bot.understanding.signals import reply_language_for


def acknowledgement_in_language(
    *, text: str, locale: str | None, name: str | None, when: str, already_waiting: bool,
    statistical: bool = True,
) -> str | None:
    """The acknowledgement in the buyer's language, or None for English (the caller's own).

    ``text`` is the buyer's message (its language decides), ``locale`` the conversation's
    (used when the message is too short to tell), ``when`` the English response-time text;
    ``statistical=False`` leaves out the letter-statistics model (API-only processes).
    """
    language = reply_language_for(text, locale, statistical=statistical)
    if language == "en":
        return None
    wording = load_wording(language).get("acknowledgement")
    if not wording:
        return None
    key = ("added" if already_waiting else "new") + ("_named" if name else "")
    return str(wording[key]).format(name=name or "", when=wording["when"])
