"""What the buyer's message says went wrong, and what to call their item — so a reply opens
with the buyer's actual problem, never with a topic a classifier guessed."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.facts import OrderFacts, OrderItemFacts

# Up to four words that do not start another clause ("red kettle", not "kettle today and").
_FEW_WORDS = r"(?:(?!and\b|but\b)[\w-]+ ){0,3}(?!and\b|but\b)[\w-]+"
# First match wins: the most specific problem first.
_PROBLEMS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("wrong_item", re.compile(
        r"\b(wrong (item|one|product|model|thing)|not what i ordered|"
        r"(came|arrived|is|was|were|are) (in )?(the |a )?wrong (size|colou?r)|"
        r"(sent|got|received) (me )?(the |a )?(wrong|someone else'?s?|different)|"
        # "got a knife instead of a peeler" — but not "pay with a gift card instead of the
        # card" or "ship it to my office instead of my home": something must have come.
        r"(\bgot|received|you sent|sent me|delivered|came with|arrived with|there (was|is)|"
        r"it'?s|it is|box had)\b[^.?!,]{0,40}\binstead of (the|my|a)|"
        r"(in it|inside),? not (a|an|the|my)|"
        r"not the (one|item|size|colou?r|model) i (ordered|bought|picked|chose)|"
        rf"(sent|got|received) (me )?(a|an|the) {_FEW_WORDS}[,.;]? (but |when |while )?"
        r"i (ordered|wanted|asked for|paid for|bought) (a|an|the)|"
        rf"i (ordered|paid for|bought) (a|an|the) {_FEW_WORDS}[,.;]? (but )?"
        r"(you sent|i got|i received|got|received) (me )?(a|an|the))\b", re.I)),
    ("missing", re.compile(
        r"\b(missing|(is|was|were|are) not in the box|(only|just) (got|received) (one|1|two|2)|"
        r"came without|without the)\b", re.I)),
    ("damaged", re.compile(
        r"\b(damaged|broken|broke|cracked|crack|dented|dent|smashed|shattered|scratched|"
        r"chipped|bent|torn|ripped|crushed)\b", re.I)),
    ("defective", re.compile(
        r"\b(defective|faulty|stopped (working|heating|boiling|closing|charging|turning on)|"
        r"doesn'?t work|does not work|not working|won'?t (turn on|switch on|heat|boil|work|"
        r"close|lock)|leak(s|ing|ed)?|rust(ed|ing|y)?|peeling|flaking|warped|came loose|"
        r"fell apart|falling apart|came apart|snapped|"
        r"loose (handle|lid|screw|knob|blade|rivet|part)|"
        r"(handle|lid|screw|knob|blade|rivet)s? (is |are |has |have )?(come |gone |got |become |"
        r"became )?(loose|wobbly))\b", re.I)),
    ("late", re.compile(
        r"\b(late|hasn'?t (arrived|come|shown up)|has not arrived|not (arrived|here|received)|"
        r"never (arrived|came|got)|still (waiting|not here|nothing)|no sign of|where'?s? (is )?"
        r"my (order|parcel|package)|lost|"
        # "stuck at the depot", not "stuck on payment pending" (a payment question).
        r"stuck(?![^.?!]*\b(payment|pending|checkout|card)\b))\b", re.I)),
    ("payment", re.compile(
        r"\b(charged twice|double charged|double charge|declined|payment (failed|issue|problem)|"
        r"overcharged|charged (me )?(again|too much))\b", re.I)),
)


# The same problems in the other marketplace languages (de, fr, es, it, ja), read only when
# no English problem words were found.
_PROBLEMS_OTHER: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("wrong_item", re.compile(
        r"falsche[nr]? (artikel|farbe|größe|produkt)|nicht (das|den|die),? was ich bestellt|"
        r"mauvais (article|produit|modèle|coloris)|mauvaise (taille|couleur)|pas ce que j'ai "
        r"commandé|equivocad|no es lo que (he )?pedí|sbagliat|non è quello che ho ordinato|"
        r"違う商品|間違った|注文したものと違|別の商品", re.I)),
    ("missing", re.compile(
        r"\bfehlt|fehlen|\bmanque|falta|\bmanca|mancano|足りない|入っていない|欠品", re.I)),
    ("damaged", re.compile(
        r"kaputt|beschädigt|zerbrochen|gebrochen|verbeult|zerkratzt|gerissen|cassé|abîmé|"
        r"endommagé|fissuré|rayé|\broto\b|\brota\b|dañad|rajad|rayad|abollad|\brott[oa]\b|danneggiat|"
        r"incrinat|graffiat|ammaccat|破損|壊れ|割れ|傷|へこ", re.I)),
    ("defective", re.compile(
        r"funktioniert nicht|geht nicht mehr|defekt|undicht|rostet|ne (fonctionne|marche) "
        r"(pas|plus)|défectueu|\bfuit\b|rouill|no funciona|defectuos|gotea|oxidad|non funziona|"
        r"difettos|perde acqua|arrugginit|動かない|故障|不良|錆び|水漏れ", re.I)),
    ("late", re.compile(
        r"wo bleibt|noch nicht (angekommen|da|geliefert|erhalten)|immer noch nicht|verspät|"
        r"nicht (angekommen|erhalten|bekommen)|nichts (angekommen|erhalten|bekommen)|"
        r"(rien|pas) (encore )?(reçu|arrivé|livré)"
        r"(?! (de |d'|le rembours|mon rembours|votre|la rép))|"
        r"toujours pas|en retard|no (me )?ha llegado|"
        r"no (lo |la |los |las )?he recibido|non (l'|lo |la )?ho (ancora )?ricevut|"
        r"todavía no|aún no|retras|non (mi )?è (ancora )?arrivat|non ancora|in ritardo|"
        r"届いていない|届かない|まだ届|遅れ|遅い", re.I)),
    ("payment", re.compile(
        r"doppelt (abgebucht|belastet|bezahlt)|zahlung (fehlgeschlagen|abgelehnt)|débité deux "
        r"fois|paiement refusé|cobrado dos veces|pago rechazado|addebitato due volte|"
        r"pagamento rifiutato|二重(請求|引き落とし)|支払いができない", re.I)),
)


def problem_in(text: str) -> str | None:
    """The kind of problem the buyer describes (damaged, defective, wrong_item, …), if any."""
    for name, pattern in _PROBLEMS:
        if pattern.search(text):
            return name
    for name, pattern in _PROBLEMS_OTHER:
        if pattern.search(text):
            return name
    return None


# Words that finish a product's short name ("pan set", "oven mitts", "knife block").
_COMPOUND_HEADS = frozenset(
    {"set", "cover", "block", "mitts", "towels", "sheets", "lid", "board", "case", "pack"}
)


def short_item_name(title: str) -> str:
    """"Stainless steel electric kettle, 1.7 L" → "kettle"; "Ceramic non-stick pan set" →
    "pan set": what a person would call the item in a reply."""
    head = title.split(",")[0].strip()
    words: list[str] = re.findall(r"[A-Za-z'-]+", head)
    if not words:
        return "item"
    last = words[-1].lower()
    if last in _COMPOUND_HEADS and len(words) >= 2:
        return f"{words[-2].lower()} {last}"
    return last


def item_name(
    order: OrderFacts | None,
    text: str,
    items: Sequence[OrderItemFacts] = (),
    *,
    known: frozenset[str] = frozenset(),
) -> str:
    """The buyer's item: one the message names, else the order's only item, else "item".

    ``known``: the seller's product names; without an order, only those name the item
    (the words after "my"/"the" are used only when the catalogue is unknown)."""
    lines = list(items) or (list(order.items) if order is not None else [])
    lowered = text.lower()
    named = [i for i in lines if short_item_name(i.title).split()[-1].rstrip("s") in lowered]
    if len(named) == 1:
        return short_item_name(named[0].title)
    if len(lines) == 1:
        return short_item_name(lines[0].title)
    if not lines and known:
        words = re.findall(r"[a-z][a-z'-]*", lowered)
        for index, word in enumerate(words):
            if word in known:
                following = words[index + 1] if index + 1 < len(words) else ""
                return f"{word} {following}" if following in _COMPOUND_HEADS else word
        return "item"
    if not lines:
        said = _NAMED_ITEM.search(lowered)
        if said is not None and said.group(1) not in _NOT_ITEMS:
            return said.group(1)
    return "item"


# Without an order, the buyer's own words name the item ("my kettle caught fire").
_NAMED_ITEM = re.compile(r"\b(?:my|the|this|our|your) ([a-z]{3,})\b")
_NOT_ITEMS = frozenset(
    {"order", "item", "package", "parcel", "box", "delivery", "refund", "money", "card",
     "account", "house", "hand", "son", "daughter", "kid", "child", "husband", "wife", "dog",
     "cat", "kitchen", "counter", "table", "way", "time", "seller", "shop", "store", "help",
     "team", "reply", "message", "answer", "info", "information", "return"}
)
