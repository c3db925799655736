"""What kind of product problem a buyer describes, from word lists a lead can read.

One type per message, the first that matches in :data:`DEFECT_PATTERNS` order: a specific
problem (wrong item, missing part, not as described) wins over damage, and damage on arrival
wins over "does not work" ("arrived cracked and doesn't work" is a transit problem). Each
list covers the marketplace languages we answer in (en, de, fr, es, it, ja); text is
NFKC-folded first so full-width Japanese input matches too.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class DefectType(StrEnum):
    DAMAGED_IN_TRANSIT = "damaged_in_transit"
    DEFECTIVE = "defective"
    WRONG_ITEM = "wrong_item"
    MISSING_PART = "missing_part"
    NOT_AS_DESCRIBED = "not_as_described"


DEFECT_LABELS: dict[DefectType, str] = {
    DefectType.DAMAGED_IN_TRANSIT: "damaged in transit",
    DefectType.DEFECTIVE: "defective",
    DefectType.WRONG_ITEM: "wrong item",
    DefectType.MISSING_PART: "missing part",
    DefectType.NOT_AS_DESCRIBED: "not as described",
}


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(alternatives), re.I)


DEFECT_PATTERNS: tuple[tuple[DefectType, re.Pattern[str]], ...] = (
    (DefectType.WRONG_ITEM, _words(
        r"\bwrong (item|product|colou?r|size|model|one|thing|book|part)\b",
        r"\bnot what i ordered\b", r"\b(sent|received|got) (me )?(a|the) (different|wrong)\b",
        r"\bfalsche[nrs]? (artikel|produkt|farbe|größe|modell|ware)\b",
        r"\bnicht (das|den|die),? (was ich )?bestellt", r"\banderen artikel\b",
        r"\bmauvais (article|produit|modèle|colis)\b", r"\bmauvaise (couleur|taille)\b",
        r"\bpas (le bon|la bonne) (article|produit|couleur|taille)\b",
        r"\b(artículo|producto|modelo) equivocado\b", r"\b(talla|color) equivocad[oa]\b",
        r"\bno es lo que pedí\b",
        r"\b(articolo|prodotto|modello|colore) sbagliato\b", r"\btaglia sbagliata\b",
        r"\bnon è quello che ho ordinato\b",
        r"違う商品", r"注文と違う", r"別の商品", r"間違った商品",
    )),
    (DefectType.MISSING_PART, _words(
        r"\bmissing (a |the |one |two )?(parts?|pieces?|screws?|lid|cable|charger|"
        r"accessor\w*|components?|bolts?|instructions|handle|cover)\b",
        r"\b(parts?|pieces?|screws?|lid|cable|charger|handle|cover) (is|are|was|were) missing\b",
        r"\bnot included\b", r"\bincomplete\b", r"\bcame without (the|a|its)\b",
        r"\bfehlende[nrs]? (teile?|schrauben?|deckel|kabel|zubehör|ladegerät)\b",
        r"\b(teile?|schrauben?|deckel|kabel|zubehör|ladegerät) fehl(t|en)\b",
        r"\bes fehl(t|en) (\w+ )?(teile?|schrauben?|deckel|kabel|zubehör)\b",
        r"\bunvollständig\b",
        r"\b(pièces?|vis|couvercle|câble|accessoires?) manquante?s?\b",
        r"\bil manque (\w+ )?(pièces?|vis|couvercle|câble|accessoires?)\b",
        r"\bincomplet\b", r"\bpas inclus\b",
        r"\bfalta(n|ba)? (\w+ )?(piezas?|tornillos?|tapa|cable|accesorios?)\b",
        r"\bpiezas? que falta", r"\bincomplet[oa]\b",
        r"\bmanca(no|va)? (\w+ )?(pezz[oi]|vit[ei]|coperchio|cavo|accessori\w*)\b",
        r"\b(pezz[oi]|accessori) mancant[ei]\b",
        r"部品が(足り|ない)", r"入っていな", r"欠品", r"付属品が(ない|入って)",
    )),
    (DefectType.NOT_AS_DESCRIBED, _words(
        r"\bnot as (described|pictured|advertised|shown)\b",
        r"\b(does ?n[o']t|did ?n[o']t) (match|look like) the (description|picture|photo|listing)",
        r"\b(smaller|bigger|larger|thinner|cheaper) than (described|pictured|advertised|shown)\b",
        r"\blooks nothing like\b", r"\bdifferent from the (picture|photo|description|listing)\b",
        r"\bmisleading\b",
        r"\bnicht wie (beschrieben|abgebildet)\b",
        r"\bentspricht nicht der (beschreibung|abbildung)\b",
        r"\banders als (auf dem bild|beschrieben|abgebildet)\b",
        r"\bpas conforme\b", r"\bne correspond pas (à|a) la (description|photo)\b",
        r"\bno es como (se describe|en la foto)\b", r"\bno coincide con la (descripción|foto)\b",
        r"\bdiferente (a|de) la (foto|descripción)\b",
        r"\bnon conforme\b", r"\bnon corrisponde alla (descrizione|foto)\b",
        r"\bdiverso dalla (foto|descrizione)\b",
        r"説明と(違|異な)", r"写真と(違|異な)", r"商品説明と(違|異な)",
    )),
    (DefectType.DAMAGED_IN_TRANSIT, _words(
        r"\barrived (\w+ )?(cracked|broken|smashed|damaged|dented|shattered|crushed|chipped|"
        r"in pieces|bent|torn)\b",
        r"\b(cracked|smashed|shattered|dented|crushed|chipped)\b",
        r"\b(broken|damaged) (in|during) (transit|shipping|delivery|the post|the mail)\b",
        r"\b(box|package|parcel|packaging) (was |is |came |arrived )?(crushed|damaged|torn|"
        r"ripped|wet|open)\b",
        r"\b(kaputt|beschädigt|zerbrochen|gesprungen|zerkratzt) (an|ge)?(ge)?kommen\b",
        r"\btransportschaden\b", r"\b(zerbrochen|gesprungen|zerdrückt|verbeult|angeschlagen)\b",
        r"\barrivée? (cassée?|endommagée?|brisée?|fissurée?|abîmée?)\b",
        r"\b(fissurée?|ébréchée?|brisée?|écrasée?|cabossée?)\b",
        r"\bcolis (abîmé|écrasé|endommagé)\b",
        r"\bllegó (roto|rota|dañado|dañada|golpeado|golpeada|agrietado|agrietada)\b",
        r"\b(agrietad[oa]|rajad[oa]|abollad[oa]|despostillad[oa]|hecho pedazos)\b",
        r"\bcaja (aplastada|dañada|rota)\b",
        r"\barrivat[oa] (rott[oa]|danneggiat[oa]|crepat[oa]|ammaccat[oa])\b",
        r"\b(crepat[oa]|incrinat[oa]|scheggiat[oa]|ammaccat[oa]|in frantumi)\b",
        r"\bpacco (danneggiato|rotto|schiacciato)\b",
        r"割れて", r"ひびが", r"ヒビ", r"破損", r"壊れて届", r"へこみ", r"凹み", r"箱が潰れ",
    )),
    (DefectType.DEFECTIVE, _words(
        r"\bdefective\b", r"\bfaulty\b", r"\bstopped working\b", r"\bdoes ?n[o']t work\b",
        r"\bdoes not work\b", r"\bnot working\b", r"\bwo ?n[o']t (turn|switch|power) on\b",
        r"\bdead on arrival\b", r"\bbroke after\b", r"\bleak(s|ing|ed)?\b", r"\bmalfunction\w*\b",
        r"\bdefekt\b", r"\bfunktioniert nicht\b", r"\bgeht nicht (mehr|an)\b", r"\bundicht\b",
        r"\bdéfectueu(x|se)\b", r"\bne (fonctionne|marche) (pas|plus)\b", r"\ben panne\b",
        r"\bfuit\b",
        r"\bdefectuos[oa]\b", r"\bno funciona\b", r"\bdejó de funcionar\b", r"\bgotea\b",
        r"\bdifettos[oa]\b", r"\bnon funziona\b", r"\bsmesso di funzionare\b", r"\bperde acqua\b",
        r"動かない", r"作動しない", r"故障", r"不良品", r"電源が入らない", r"漏れ",
    )),
)


def classify_defect(text: str) -> DefectType | None:
    """The product problem the message describes, or None (a question, not a complaint)."""
    folded = unicodedata.normalize("NFKC", text)
    for defect, pattern in DEFECT_PATTERNS:
        if pattern.search(folded):
            return defect
    return None
