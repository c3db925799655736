"""TLS to the mail servers: the system's trust store (plus ``DRAFTDESK_MAIL_CA_FILE``, a PEM
bundle of a private CA, when set), host names checked, TLS 1.2 or newer. There is no way to
turn verification off.
"""

from __future__ import annotations

import ssl

from bot.mail.errors import MailServerError


class CertificateNotTrusted(MailServerError):
    """The server's certificate does not verify (unknown CA, wrong host name, expired)."""

    code = "mail_tls_untrusted"


def client_context(ca_file: str | None = None) -> ssl.SSLContext:
    """A client context that trusts the system's CAs and those in ``ca_file``."""
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca_file:
        try:
            context.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise MailServerError(
                f"DRAFTDESK_MAIL_CA_FILE {ca_file} is not a readable PEM certificate bundle "
                f"({type(exc).__name__})",
                code="mail_config_invalid",
            ) from exc
    return context


def untrusted(kind: str, host: str, exc: ssl.SSLCertVerificationError) -> CertificateNotTrusted:
    """The one-line error for a certificate that does not verify."""
    reason = exc.verify_message or exc.reason or "verification failed"
    return CertificateNotTrusted(
        f"the {kind} server {host} has a certificate that is not trusted ({reason}); "
        "for a private CA set DRAFTDESK_MAIL_CA_FILE"
    )
