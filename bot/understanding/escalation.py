"""Why a message must go to a person: safety, legal, fraud, anger, a request for a person.

Word lists, not a classifier: each reason is a short list a lead can read and extend, and
the hand-off text the buyer gets depends on which reason fired (DOMAIN.md: angry,
threatening or sensitive messages always go to a person), in each marketplace language.
"""

from __future__ import annotations

import re
from typing import Literal

EscalationReason = Literal["safety", "legal", "fraud", "angry", "human_request"]

# Order matters: the first reason found decides the holding reply.
_PATTERNS: tuple[tuple[EscalationReason, re.Pattern[str]], ...] = (
    ("safety", re.compile(
        r"\b(fire|caught fire|flames?|burn(ed|t|s|ing)?(?! (rice|food|on|bits|residue|marks?|"
        r"stains?|pans?|pots?|sauce|milk|oil))|smok(e|ed|ing|ey)|spark(s|ed|ing|y)?|"
        r"electric(al)? shock|shocked me|electrocut\w*|explod(e|ed|es|ing)|exploded|"
        r"melt(ed|ing|s)?|scald(ed|ing)?|injur(y|ed|ies)|cut (myself|my|his|her|their)|"
        r"bleed(ing)?|blood|hurt (myself|me|my|him|her|them|us)|stitches|"
        r"hospital|emergency room|\ber\b visit|a&e|doctor|chok(e|ed|ing)|"
        r"allerg(y|ic|ies)|rash|hives|poison(ed|ing|ous)?|toxic|made (me|us|him|her) sick|"
        r"got sick|food poisoning|throw(ing|n)? up|vomit\w*|diarrh\w*|dangerous|hazard(ous)?|"
        r"unsafe|glass (shards?|in (my|the))|"
        r"shattered in)\b",
        re.I,
    )),
    ("legal", re.compile(
        r"\b(lawyers?|attorney|solicitor|sue|suing|lawsuit|legal action|take (you|this) to court|"
        r"court|small claims|trading standards|consumer protection|attorney general|ftc|bbb|"
        r"better business bureau|charge ?back|dispute (the|this|it|with)|(file|open|raise) a "
        r"(dispute|claim)|bank dispute|dispute the charge|a-?to-?z|a to z (claim|guarantee)|"
        r"report(ed|ing|s)? (you|your (shop|store|company|business))\b|"
        r"report(ed|ing|s)? (this|it) to amazon|"
        r"(1|one)[- ]star review(s)? (unless|if)|bad reviews? (unless|if)|"
        r"leave (a )?(bad|negative|1[- ]star) review (unless|if)|expose you|regulator|"
        r"ombudsman|disput(e|ing) (the|this|a) "
        r"(charge|payment|transaction)|(change|update|raise|remove|edit|delete|take down)\w* "
        r"(my|the) ([\w-]+ ){0,3}reviews?\b[^.?!]{0,80}\b(if|unless|otherwise|once|when))\b"
        # A review used as a threat ("refund me or I leave 1-star reviews everywhere").
        r"|\b(or|unless|otherwise|else)\b[^.?!]{0,40}\b((1|one)[- ]star|bad|negative|"
        r"terrible|awful)\b[^.?!]{0,15}\breviews?\b"
        r"|\b((1|one)[- ]star|bad|negative) reviews?\b[^.?!]{0,40}\b(unless|if you (don'?t|do "
        r"not|won'?t))\b",
        re.I,
    )),
    ("fraud", re.compile(
        r"\b(verify (your|the) (account|identity|bank|payment)|account (will be|has been) "
        r"(suspended|locked|closed|deactivated)|seller (support|central) (team|security)|"
        r"amazon (security|support) team|your (password|login|log-?in details|bank details|"
        r"account details|card details|pin)|send (us|me) (your|the) (password|login|bank|card|"
        r"account)|click (this|the) link|gift ?cards? (as|for) payment|pay (you |me )?directly|"
        r"whats ?app|telegram|signal app|wire transfer|western union|zelle|venmo|cash ?app|"
        r"bank transfer|(email|e-mail|text|whats ?app) me (directly )?(at|on)|my (personal )?"
        r"(email|e-mail|number) is|(card|account|routing|sort code) (number|pin)|\bpin\b|"
        r"(pin|cvv|security code|one[- ]time code|code we (just )?(sent|texted))|"
        r"here'?s my card|\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}|"
        r"(refund|send|pay)\w*( \w+){0,3} to my paypal|mark (my|the) order as refunded|"
        r"release (your|the) (held )?funds|seller verification|"
        # Someone else bought with the buyer's card or account.
        r"(didn'?t|did not|never) (place|make|order|buy|authori[sz]e)\w* (this|that|the|these|"
        r"any)( \w+)? (order|purchase|charge)|someone (used|stole|hacked|got into)\w* my "
        r"(card|account|identity|details)|hacked|unauthori[sz]ed (purchase|order|charge|"
        r"transaction)|stolen (card|credit card|identity)|(is|was) not my order|"
        r"(send|reply|give|share|confirm|enter|provide|verify)\w*\b[^.?!]{0,40}\b(password|"
        r"passcode|log-?in details|cvv|bank details|card details|account details|routing "
        r"number)|(amazon|seller) (support|central|security|payments?) (here|team|department)|"
        r"(email|e-mail|number) is|(pay|paid|buy|sell|order|talk|deal|chat|contact|message)\w*"
        r"( \w+){0,3} (outside|off) (of )?amazon)\b",
        re.I,
    )),
    ("human_request", re.compile(
        r"\b((real|actual|live) (person|human|agent|people)|a human|"
        r"speak (to|with) (a|an|some|your)\w*|"
        r"talk (to|with) (a|an|some|your) (person|human|manager|supervisor|agent|someone)|"
        r"(speak|talk) to someone|manager|supervisor|not a (bot|robot|machine)|"
        r"are you a (bot|robot)|"
        r"(have|get) (someone|a person|somebody) (to )?(call|ring|phone|contact)|call me( back)?\b|"
        r"ring me|phone me|escalate|put me through|connect me (with|to)|transfer me|"
        r"someone (from your team|in charge|senior)|(customer service|support) rep(resentative)?|"
        r"not an? (auto|automatic|automated|bot|canned)[- ]?(reply|response|message)?|"
        r"(the )?owner of the (store|shop|company|business))",
        re.I,
    )),
)
# The same reasons in the other marketplace languages (de, fr, es, it, ja): a sparking
# kettle, a chargeback, a phishing attempt or "I want a real person" must reach a person
# whatever language it is written in. Stems rather than whole words: buyers inflect and
# misspell ("verbrannt", "verbrant", "brûlé", "brulé").
_OTHER_LANGUAGES: tuple[tuple[EscalationReason, re.Pattern[str]], ...] = (
    ("safety", re.compile(
        # de ("Rauch", not "brauche"; "Feuer", not "feuerfest"; "Gericht" is also a dish)
        r"funken|\bfeuer\b|feuer gefangen|brennt|brannte|verbrannt|verbrant|verschmort|"
        r"geschmolzen|schmilzt|\brauch(t|te|en)?\b|qualm|stromschlag|schlag bekommen|verletz|"
        r"blutet|\bblut\b|krankenhaus|notaufnahme|\barzt|ärztin|allergi|ausschlag|vergiftet|"
        r"giftig|explodiert|gefährlich|glassplitter|"
        # fr
        r"étincel|etincel|incendie|\bfeu\b|brûl|brul|fumée|fumee|"
        r"d[ée]charge [ée]lectrique|électrocut|electrocut|\bbless(é|ée|e|ee|ure)s?\b|saign|"
        r"hôpital|hopital|urgences|médecin|medecin|intoxi|toxique|\bfondu(e|s)?\b|explos|"
        r"dangereu|éclats de verre|"
        # es
        r"chispa|chispazo|incendio|fuego|quemad|quem[óé]|quemadura|\bhumo\b|"
        r"descarga el[ée]ctrica|calambrazo|herid[oa]|me cort[ée]|sangr|urgencias|médico|"
        r"intoxica|tóxico|toxico|derriti|explot|peligros|"
        # it
        r"scintill|fiamm|fuoco|incendi|bruciat|\bustion|\bfumo\b|scossa|folgorat|"
        r"ferit[oaie]|mi sono tagliat|sanguin(a|o|ando|are)\b|ospedale|pronto soccorso|intossica|"
        r"tossic|esplos|pericolos|"
        # ja
        r"火花|火事|発火|出火|燃え|煙|焦げ|感電|やけど|火傷|けが|怪我|出血|血が|病院|救急|"
        r"アレルギー|中毒|溶け|爆発|破裂|危険|危ない",
        re.I,
    )),
    ("legal", re.compile(
        r"anwalt|anwältin|vor gericht|\bgerichtlich|\bverklag|\bklage\b|rechtliche schritte|"
        r"rückbuchung|rueckbuchung|lastschrift zurück|verbraucherzentrale|verbraucherschutz|"
        r"avocat|tribunal|porter plainte|\bplainte|poursuite|mise en demeure|"
        r"rétrofacturation|retrofacturation|répression des fraudes|dgccrf|"
        r"abogad|(poner|presentar|interponer)\w* una demanda|\bdemandar|denunci|juzgado|"
        r"contracargo|oficina del? consum|"
        r"avvocat|tribunale|querela|causa legale|vie legali|codacons|storno dell'addebito|"
        r"contestazione (con|alla) (la )?banca|"
        r"a[- ]?to[- ]?z|a la z|a à z|dalla a alla z|"
        r"弁護士|訴訟|訴え|裁判|法的|消費者センター|消費生活センター|チャージバック|"
        r"aトゥz|マーケットプレイス保証",
        re.I,
    )),
    ("fraud", re.compile(
        r"bankdaten|kontodaten|kreditkartennummer|\biban\b|bestellung nie aufgegeben|"
        r"nicht von mir (bestellt|aufgegeben)|konto (wurde )?gehackt|gehackt worden|"
        r"au(ß|ss)erhalb von amazon|"
        r"coordonnées bancaires|numéro de (ma )?carte|je n'ai jamais (passé|commandé)|"
        r"pas passé cette commande|compte (a été )?piraté|en dehors d'amazon|hors d'amazon|"
        r"datos bancarios|número de (mi )?tarjeta|no (he )?(hecho|realizado|hice) (este|ese|"
        r"ningún) pedido|cuenta hackeada|fuera de amazon|"
        r"dati bancari|numero della (mia )?carta|non ho mai (fatto|effettuato|ordinato)|"
        r"account hackerato|fuori da amazon|al di fuori di amazon|bizum|"
        r"暗証番号|カード番号|口座番号|注文した覚えがない|身に覚えのない|不正(利用|注文|アクセス)|"
        r"乗っ取|アマゾン以外|amazon以外|"
        # Someone asking the shop (or the buyer) for secrets: "send us the password".
        r"(necesitamos|env[íi]e(nos)?|mande|envoyez|donnez|schicken sie|senden sie|nennen sie|"
        r"inviate|ci invii|ci dia)[^.!?]{0,40}(contraseña|mot de passe|passwort|password|"
        r"datos bancarios|coordonnées bancaires|bankdaten|dati bancari)|"
        r"(パスワード|カード番号|暗証番号|口座)[^。！？]{0,20}(送って|教えて|入力)",
        re.I,
    )),
    ("human_request", re.compile(
        r"(echte[nm]?|richtige[nm]?|lebende[nm]?) (person|mensch|mitarbeiter)|mit einem menschen|"
        r"mit (einem|einer) (mitarbeiter|mitarbeiterin|vorgesetzten)|kein(en)? (bot|roboter)|"
        r"vorgesetzte|rufen sie mich an|ruft mich an|"
        r"(vraie|vrai|véritable) (personne|humain|conseiller)|un humain|"
        r"parler (à|a|avec) (un|une|quelqu'un|le|la)|(le|la|au|un) responsable|superviseur|"
        r"pas (un|à un) robot|rappelez-moi|appelez-moi|"
        r"persona (real|de verdad)|un humano|hablar con (alguien|una persona|un|el|la)|"
        r"encargado|no (un|una|con un) (bot|robot|máquina)|llámenme|llamadme|"
        r"persona (vera|reale|in carne)|un essere umano|parlare con (qualcuno|una persona|un|il|"
        r"la)|(il|un|al) responsabile|supervisore|non (un|una|con un) (bot|robot)|"
        r"richiamatemi|chiamatemi|"
        r"担当者|人間|オペレーター|責任者|上司|電話(して|をください|ください)|ロボット|自動返信",
        re.I,
    )),
)
_THREAT = re.compile(
    r"\b(i'?ll|i will|going to|gonna) (kill|hurt|find|destroy|get) you|watch your back|\bbomb\b",
    re.I,
)
_SELF_HARM = re.compile(r"\b(suicid\w*|kill myself|end my life|self[- ]harm)\b", re.I)
# A question about how to reach the shop is not a request to be called.
_CONTACT_QUESTION = re.compile(
    r"\b(can|could|may) i (call|ring|phone|email|e-mail|reach) (you|your)|"
    r"(is there|do you have) (a|an) (number|phone|email)", re.I,
)


def escalation_reasons(text: str, *, angry: bool) -> list[str]:
    """Every reason the text gives to hand it to a person, most urgent first.

    ``angry`` comes from the mood signal (swearing, shouting, insults). Threats and
    self-harm count as safety: a person must read them at once.
    """
    reasons: list[str] = []
    if _SELF_HARM.search(text) or _THREAT.search(text):
        reasons.append("safety")
    for reason, pattern in _PATTERNS:
        if reason in reasons:
            continue
        match = pattern.search(text)
        if match is None:
            continue
        if reason == "human_request" and _CONTACT_QUESTION.search(text) and not _strong_person(
            text
        ):
            continue
        reasons.append(reason)
    for reason, pattern in _OTHER_LANGUAGES:
        if reason not in reasons and pattern.search(text):
            reasons.append(reason)
    reasons.sort(key=lambda r: _ORDER.index(r))
    if angry and "angry" not in reasons:
        reasons.insert(_after_urgent(reasons), "angry")
    return reasons


_ORDER = ("safety", "legal", "fraud", "human_request")


def _strong_person(text: str) -> bool:
    return bool(re.search(r"\b(real|actual|live) (person|human)|manager|supervisor", text, re.I))


def _after_urgent(reasons: list[str]) -> int:
    """Anger ranks after safety, legal and fraud but before a plain request for a person."""
    return sum(1 for r in reasons if r in {"safety", "legal", "fraud"})
