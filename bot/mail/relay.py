"""Is a mail really from a marketplace's e-mail relay? (Spoofed or ordinary mail is not.)

The ``From`` domain must be a relay domain (``marketplace.amazon.de`` …) **and**, when
``require_authentication`` is on, an ``Authentication-Results`` header added by the seller's
own mail server must show that Amazon sent it: DKIM signed by an Amazon domain, DMARC passed
for the relay domain, or SPF passed for an Amazon envelope sender. Only headers from trusted
servers count (``trusted_authserv_ids``; by default the topmost header, the one the last hop
added — a sender can write any header below it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.mail.parsing import AuthResult, ParsedMail

# Amazon's retail top-level domains (amazon.<tld>); relay addresses live under
# marketplace.amazon.<tld>.
AMAZON_TLDS = (
    "com", "ca", "com.mx", "com.br", "co.uk", "ie", "de", "fr", "it", "es", "nl", "se", "pl",
    "com.be", "com.tr", "ae", "sa", "eg", "in", "co.jp", "com.au", "sg", "co.za",
)
DEFAULT_RELAY_DOMAINS = tuple(f"marketplace.amazon.{tld}" for tld in AMAZON_TLDS)


@dataclass(frozen=True)
class SenderVerdict:
    """``relay`` True for a genuine buyer message; ``marketplace`` like ``amazon.de``."""

    relay: bool
    marketplace: str | None
    reason: str


def is_amazon_domain(domain: str) -> bool:
    """``amazon.de``, ``marketplace.amazon.co.uk`` … (not ``amazonses.com``, not look-alikes)."""
    domain = domain.lower().strip(".")
    return any(domain == f"amazon.{tld}" or domain.endswith(f".amazon.{tld}")
               for tld in AMAZON_TLDS)


def classify_sender(
    mail: ParsedMail,
    *,
    relay_domains: Sequence[str] = DEFAULT_RELAY_DOMAINS,
    require_authentication: bool = True,
    trusted_authserv_ids: Sequence[str] = (),
) -> SenderVerdict:
    """Decide whether ``mail`` came through a marketplace relay, and say why."""
    domain = mail.from_domain
    if domain is None:
        return SenderVerdict(False, None, "no sender address")
    if domain not in {d.lower() for d in relay_domains}:
        return SenderVerdict(False, None, f"the sender's domain {domain} is not a relay domain")
    marketplace = domain.removeprefix("marketplace.")
    trusted = _trusted(mail.auth_results, trusted_authserv_ids)
    failed = [r for r in trusted if r.method in ("dmarc", "dkim", "spf")
              and r.result in ("fail", "softfail") and _about(r, domain)]
    passed = [r for r in trusted if r.result == "pass" and _vouches_for(r, domain)]
    if passed and not failed:
        return SenderVerdict(True, marketplace, f"{passed[0].method}=pass for {domain}")
    if failed:
        return SenderVerdict(False, None,
                             f"claims to be from {domain} but {failed[0].method} failed")
    if require_authentication:
        return SenderVerdict(False, None,
                             f"claims to be from {domain} but no trusted server vouched for it")
    return SenderVerdict(True, marketplace, f"relay domain {domain} (not authenticated)")


def _trusted(results: Sequence[AuthResult], trusted_ids: Sequence[str]) -> list[AuthResult]:
    if trusted_ids:
        wanted = {t.lower() for t in trusted_ids}
        return [r for r in results if r.authserv_id in wanted]
    return [r for r in results if r.position == 0]


def _vouches_for(result: AuthResult, from_domain: str) -> bool:
    props = result.properties
    if result.method == "dmarc":
        return props.get("header.from", from_domain) == from_domain
    if result.method == "dkim":
        return is_amazon_domain(props.get("header.d", props.get("header.i", "").split("@")[-1]))
    if result.method == "spf":
        sender = props.get("smtp.mailfrom", "")
        return is_amazon_domain(sender.rsplit("@", 1)[-1]) if sender else False
    return False


def _about(result: AuthResult, from_domain: str) -> bool:
    """A failure counts when it is about the relay domain (or names no domain)."""
    props = result.properties
    named = (props.get("header.from") or props.get("header.d")
             or props.get("smtp.mailfrom", "").rsplit("@", 1)[-1])
    return not named or named == from_domain or is_amazon_domain(named)
