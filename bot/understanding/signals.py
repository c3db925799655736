"""Cheap, deterministic signals from the buyer's words: language, mood, sensitivity, order ids."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any, Literal

# Dashes as buyers type them, Japanese keyboards included (full-width digits are folded by
# NFKC first): "112-…", "112–…", "１１２－…", "112ー…".
ORDER_ID = re.compile(r"(?<!\d)(\d{3})[-‐–—−ー](\d{7})[-‐–—−ー](\d{7})(?!\d)")
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_ANGRY_WORDS = re.compile(
    r"\b(furious|outraged|disgusted|disgusting|unacceptable|ridiculous|pathetic|useless|"
    r"worst|scam|rip[- ]?off|joke|incompetent|terrible|horrible|awful|angry|livid|"
    r"fuck\w*|shit\w*|damn|crap|wtf|bullshit|idiots?|morons?|stupid|shame on you|"
    r"unbelievable|fed up|sick of|clowns?|liars?|lying|thieves|robbed|amateurs?|junk|garbage|"
    r"trash|ruined|bs|hope (your|you) (business|shop|store|company)? ?(goes under|fails|"
    r"burns|rots)|go out of business)\b",
    re.I,
)
# The same in the other marketplace languages (de, fr, es, it, ja): insults, "scam",
# "unacceptable", "fed up", "never again" — words a buyer uses only when angry.
_ANGRY_WORDS_OTHER = re.compile(
    r"\b(unverschämt\w*|frechheit|unmöglich|betrug|betrüger\w*|abzocke|abzocker|saftladen|"
    r"katastrophe|katastrophal|lächerlich|sauer|wütend|stinksauer|verarsch\w*|scheiß\w*|"
    r"scheiss\w*|mist|schrott|müll|nie wieder|reicht mir|die nase voll|zumutung|"
    r"inacceptable|scandaleux|scandale|honteux|honte|arnaque|arnaqueurs?|escroc\w*|voleurs?|"
    r"nul|nuls|lamentable|inadmissible|furieux|furieuse|en colère|marre|ras le bol|"
    r"ras-le-bol|foutez|foutre|merde|putain|jamais plus|plus jamais|incompétents?|"
    r"inaceptable|vergüenza|vergonzoso|estafa|estafadores?|ladrones?|timo|harto|harta|"
    r"hartos|furioso|furiosa|indignante|fatal|una mierda|mierda|joder|basura|incompetentes?|"
    r"nunca más|ridículo|"
    r"inaccettabile|vergogna|vergognoso|truffa|truffatori|ladri|schifo|incazzat\w*|"
    r"arrabbiat\w*|furioso|furiosa|stufo|stufa|ridicolo|assurdo|incompetenti|mai più|"
    r"cazzo|vergognatevi)\b"
    r"|ふざけ|最悪|詐欺|ひどい|酷い|許せない|ありえない|あり得ない|いい加減にし|激怒|腹が立|"
    r"二度と買わ|金返せ|責任者を出せ|バカ|馬鹿",
    re.I,
)
# "Third time I'm writing", "4th message": being ignored is what makes buyers angriest.
_REPEATED_CONTACT_OTHER = re.compile(
    r"\b(zum (dritten|vierten|x-ten|wiederholten) (mal|male)|schon (zweimal|dreimal|mehrmals)|"
    r"keine antwort|niemand antwortet|troisième fois|plusieurs fois|toujours pas de réponse|"
    r"aucune réponse|personne ne répond|tercera vez|varias veces|nadie (me )?responde|"
    r"sin respuesta|ninguna respuesta|terza volta|più volte|nessuna risposta|nessuno risponde)\b"
    r"|何度も|三度目|3回目|返事がない|返信がない|連絡がない",
    re.I,
)
_SELF_BLAME = re.compile(
    r"\b(stupid|silly|dumb|idiot) (me|of me|i know|i realise|i realize)\b|\b(i'?m|i am|i was "
    r"being) (so |a bit |really )?(stupid|silly|dumb|an idiot)\b|\bmy (bad|fault|mistake)\b",
    re.I,
)
_REPEATED_CONTACT = re.compile(
    r"\b((second|third|fourth|fifth|2nd|3rd|4th|5th|\d+th) (time (i'?m |i am |i have |i'?ve )?"
    r"(writ|ask|messag|email|contact|reach|chas)\w*|message|email|attempt)|"
    r"(asked|written|messaged|emailed|contacted) (you )?(\d+|two|three|four|five|"
    r"several|many|multiple) times|again and again|no one (answers|replies|responds)|"
    r"nobody (answers|replies|responds|gets back)|still no (answer|reply|response))\b",
    re.I,
)

Sentiment = Literal["positive", "neutral", "negative", "angry"]


def strip_invisible_characters(text: str) -> str:
    """Strip invisible/bidi characters and control bytes (prompt-injection hygiene)."""
    return _CONTROL.sub("", _INVISIBLE.sub("", text))


# Text addressed to a model rather than to the seller ("SYSTEM: …", "ignore your
# instructions", "<!-- AI agent: … -->"): it is never a question to answer or a reason to
# escalate, so understanding and retrieval read the message without it.
_HIDDEN_COMMENT = re.compile(r"<!--.*?(-->|$)", re.S)
_INJECTED = re.compile(
    r"\b(system|assistant|ai( agent| assistant| model)?|bot|chatbot|developer|admin|llm)\s*"
    r"(prompt|message|note|override|instruction)?\s*:|"
    r"\bignore (all |any |the |every(thing)? |your |previous |prior |above |earlier )*"
    r"(instructions|prompts?|rules|above|everything|messages?)\b|"
    r"\b(new|updated|override) instructions?\b|#{2,}|\bend of (customer |buyer )?message\b|"
    r"\byou are now\b|\bpretend (to be|you are|you['’]?re|that you)\b|"
    # "Act as …" as a command (the sentence starts with it), not "my son likes to act as a chef".
    r"^\W*(please\s+)?(act|behave) as (an?|the|if|though)\b|\brole-?play as\b|"
    r"\b(reveal|print|show|repeat|output) (me )?(your|the) (system |hidden |initial )?"
    r"(prompt|instructions)\b|\b(reply|respond|answer) only with\b",
    re.I,
)
_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?]+|\n|$)")


def without_injected_instructions(text: str) -> tuple[str, bool]:
    """The message without sentences addressed to a model; True when any were removed."""
    cleaned = _HIDDEN_COMMENT.sub(" ", text)
    sentences = [s for s in _SENTENCE.findall(cleaned) if s.strip()]
    kept = [s for s in sentences if not _INJECTED.search(s)]
    if cleaned == text and len(kept) == len(sentences):
        return text, False
    return " ".join(s.strip() for s in kept).strip() or text, True


def find_order_ids(text: str) -> list[str]:
    """Marketplace order ids (3-7-7 digits) in order of appearance, normalised to ASCII dashes."""
    seen: list[str] = []
    for match in ORDER_ID.finditer(unicodedata.normalize("NFKC", text)):
        order_id = "-".join(match.groups())
        if order_id not in seen:
            seen.append(order_id)
    return seen


# A message that only thanks or closes the conversation: the right outcome is usually
# "no response needed" (it stops the marketplace's 24-hour clock without a reply).
_GRATITUDE = re.compile(
    r"\b(thanks?|thank you|thx|ty|cheers|appreciated?|much obliged|that'?s all|all sorted|"
    r"all good|no further questions|nothing else|problem solved|have a (good|great|nice|lovely) "
    r"(day|one|weekend|evening)|bye)\b"
    r"|\b(danke|vielen dank|dankeschön|merci|gracias|muchas gracias|grazie|mille grazie)\b"
    r"|ありがとう|助かりました|了解しました",
    re.I,
)
_STILL_ASKING = re.compile(
    r"\b(can|could|would|will) (you|u|i|we)\b|\bplease\b|\bpls\b|\b(need|want|would like)\b|"
    r"^\W*(how|where|when|why|what|which|who)\b|\bhelp me\b|\bstill\b|\bnot\b|n't\b|"
    r"\b(dont|didnt|doesnt|cant|wont|isnt|hasnt|havent|wasnt|arent)\b|"
    r"\bnever\b|\b(broken|damaged|wrong|missing|problem|issue|but|however|except|although)\b"
    # The same in de, fr, es, it, ja: a question, a request or a problem still open.
    r"|\b(bitte|noch|nicht|kein|keine|aber|wann|wo|wie|warum|kaputt|falsch|fehlt|"
    r"s'il vous plaît|svp|pas|toujours|mais|quand|où|comment|pourquoi|cassé|manque|"
    r"por favor|todavía|aún|pero|cuándo|dónde|cómo|por qué|roto|falta|"
    r"per favore|ancora|non|ma|quando|dove|come|perché|rotto|manca)\b"
    r"|ください|まだ|でも|しかし|いつ|どこ|なぜ|壊れ|届いていない|届かない|ません|ない"
    # "Merci d'annuler …", "Grazie, annullate l'ordine": thanks that open a request.
    r"|\bmerci (de |d')|\b(stornier\w*|zurückgeben|zurücksenden|erstatt\w*|umtausch\w*|"
    r"annul\w*|rembours\w*|retourn\w*|échang\w*|remplac\w*|cancel\w*|devolv\w*|"
    r"reembols\w*|cambi\w*|annull\w*|rimbors\w*|restitu\w*|sostitu\w*)\b"
    r"|キャンセル|返品|返金|交換",
    re.I,
)


def closes_the_conversation(text: str) -> bool:
    """True for thanks-only / "that's all" messages that ask for nothing more."""
    stripped = text.strip()
    return (
        bool(_GRATITUDE.search(stripped))
        and "?" not in stripped
        and len(stripped.split()) <= 25
        and not _STILL_ASKING.search(stripped)
    )


@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment_of(text: str) -> tuple[Sentiment, Literal["normal", "high"]]:
    """Mood and urgency: VADER polarity plus anger cues (swearing, shouting, !!!)."""
    compound = float(_vader().polarity_scores(text)["compound"])
    letters = [c for c in text if c.isalpha()]
    shouting = len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.6
    # "stupid me", "my bad": the buyer blaming themselves is not anger at us.
    anger_hits = len(_ANGRY_WORDS.findall(_SELF_BLAME.sub(" ", text)))
    anger_hits += len(_ANGRY_WORDS_OTHER.findall(text))
    ignored = bool(_REPEATED_CONTACT.search(text) or _REPEATED_CONTACT_OTHER.search(text))
    # Shouted words ("FIX IT") count even when the rest is lower case.
    shouted = len(re.findall(r"\b[A-Z]{2,}\b(?:\s+\b[A-Z]{2,}\b)+", text)) > 0
    heated = (
        shouting or shouted or "!!" in text or "！！" in text or compound < -0.5 or ignored
    )
    angry = (
        anger_hits >= 2
        or (anger_hits >= 1 and heated)
        or (shouting and ("!" in text or ignored or compound < 0))
        or (ignored and compound < 0.3)
    )
    urgent = bool(re.search(r"\b(urgent|asap|immediately|right now|today)\b", text, re.I))
    if angry:
        return "angry", "high"
    if compound <= -0.35:
        return "negative", "high" if urgent or shouting else "normal"
    if compound >= 0.5:
        return "positive", "high" if urgent else "normal"
    return "neutral", "high" if urgent or shouting else "normal"


# The marketplace languages draftdesk understands and answers in (issue 13).
SUPPORTED_LANGUAGES = ("en", "de", "fr", "es", "it", "ja")
_LATIN_LANGUAGES = ("en", "de", "fr", "es", "it")
# Function words a buyer cannot write a sentence without: on a short message they say more
# than letter statistics (lingua reads "status of my towels?" as Italian at low confidence).
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the my is it and you your i to of for in on not was have has can will where when "
        "what how please with this that a an are do does did me we our still order no yes ok "
        "okay hi hey thanks thank stop way"
    ),
    "de": _words(
        "der die das ich ist nicht und mein meine meinen meiner mit bitte wo wann wie ein eine "
        "einen ist sie ihr ihre noch kann können habe hab hat auf für von zu zur zum bei "
        "bestellung schon aber auch warum was dass den dem des wurde geht danke hallo"
    ),
    "fr": _words(
        "le la les je est pas et mon ma mes avec vous votre vos où quand comment un une des "
        "du de ce cette il elle ne toujours commande puis-je pouvez peux ai suis bonjour merci "
        "pour sur qui que mais aussi reçu"
    ),
    "es": _words(
        "el la los las yo es no y mi mis con usted su sus dónde donde cuándo cómo como un una "
        "del de que pedido puedo pueden tengo todavía aún hola gracias por para pero también "
        "está llegó recibí qué"
    ),
    "it": _words(
        "il lo la gli le io è non e mio mia miei con lei suo sua dove quando come un una del "
        "della di che ordine posso potete ho ancora ciao grazie per ma anche arrivato "
        "ricevuto perché sono buongiorno salve"
    ),
}
_JAPANESE_SCRIPT = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HAN = re.compile("[\u4e00-\u9fff]")
_ACCENTED = re.compile("[äöüßéèêëàâçîïôûùœñáíóúìòãõ¿¡]", re.I)


@lru_cache(maxsize=1)
def _language_detector() -> Any:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in _LATIN_LANGUAGES]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()


def _function_word_votes(words: list[str]) -> dict[str, int]:
    return {
        code: sum(1 for w in words if w in vocabulary)
        for code, vocabulary in _FUNCTION_WORDS.items()
    }


def detected_language(text: str, *, statistical: bool = True) -> str | None:
    """One of :data:`SUPPORTED_LANGUAGES`, or None when the text is too short or too
    ambiguous to say (the caller then uses the conversation's locale, else English).

    ``statistical=False`` decides from the script and function words alone, without lingua's
    letter statistics (~140 MB of models): API-only processes acknowledge that way. On the
    554 dev messages it names the same language 546 times and is unsure (→ locale) 8 times,
    never wrong; on 4,000 Bitext questions it never mistakes English."""
    if _JAPANESE_SCRIPT.search(text):
        return "ja"
    latin = re.sub(r"[\d\W_]+", " ", ORDER_ID.sub(" ", text)).split()
    latin = [w for w in latin if not _HAN.search(w)]
    if _HAN.search(text) and len(latin) < 3:
        return "ja"  # kanji only ("返品希望"): of the languages we answer in, Japanese
    words = [w.lower() for w in latin]
    if not words:
        return None
    votes = _function_word_votes(words)
    best_vote = max(votes.values())
    leaders = [code for code, count in votes.items() if count == best_vote]
    if not statistical:
        return leaders[0] if best_vote and len(leaders) == 1 else None
    if len(words) < 3:
        # Two words ("Danke schön", "hi there"): only an unambiguous function word decides.
        return leaders[0] if best_vote and len(leaders) == 1 else None
    values = _language_detector().compute_language_confidence_values(" ".join(words))
    if not values:
        return None
    best = values[0]
    code = str(best.language.iso_code_639_1.name.lower())
    if code == "en":
        return "en" if votes["en"] >= max(votes[c] for c in _LATIN_LANGUAGES if c != "en") \
            or best.value >= 0.9 else _by_votes(votes, leaders)
    # Short buyer English reads as Italian or French to letter statistics: another language
    # needs the detector's clear verdict or its own function words / accents as well.
    own_words = votes[code] >= max(1, votes["en"])
    if best.value >= 0.9 or (best.value >= 0.5 and (own_words or _ACCENTED.search(text))):
        return code
    return _by_votes(votes, leaders)


def _by_votes(votes: dict[str, int], leaders: list[str]) -> str | None:
    if len(leaders) == 1 and votes[leaders[0]] >= 2:
        return leaders[0]
    return None


def detect_language(text: str) -> str:
    """ISO 639-1 code of en, de, fr, es, it, ja; short or unsure text defaults to English."""
    return detected_language(text) or "en"


def warm_up() -> None:
    """Load the lazy models once at start-up so the first buyer doesn't pay for it."""
    detect_language("where is my parcel, I ordered it last week")
    sentiment_of("thanks")


def reply_language_for(
    text: str, locale: str | None = None, *, statistical: bool = True
) -> str:
    """The language to answer in: the message's own when it is clear, else the
    conversation's locale (the marketplace or widget language) when supported, else English."""
    detected = detected_language(text, statistical=statistical)
    if detected is not None:
        return detected
    base = (locale or "").replace("_", "-").split("-")[0].lower()
    return base if base in SUPPORTED_LANGUAGES else "en"
