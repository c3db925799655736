"""Buyers' files at rest (issue 16, item 5): raw mails, mail attachments and chat photos are
written encrypted with the data key, read back as they were, and re-encrypted by
`draftdesk privacy rotate-key`; the seller's own outbound documents beside them are left alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.mail.files import MailFiles
from bot.mail.parsing import MailAttachment
from bot.protection.crypto import DataKeyMismatch, read_key_file
from bot.services import Services, build_services
from bot.settings import Settings
from tests.fakes import FakeDrafter, FakeEmbedder, InMemoryIndex

PNG = b"\x89PNG\r\n\x1a\n" + b"cracked lid photo of Maria Lopez" * 20
RAW_MAIL = b"From: buyer@marketplace.amazon.com\r\n\r\nMaria Lopez, 12 Oak Street: lid cracked\r\n"
INVOICE = b"%PDF-1.4 seller invoice"


def _services(settings: Settings) -> Services:
    return build_services(settings, embedder=FakeEmbedder(), index=InMemoryIndex(),
                          drafter=FakeDrafter())


def _mail_files(services: Services) -> MailFiles:
    assert services.workflow is not None  # builds the mail channel
    assert services.mail_channel is not None
    return services.mail_channel.inbox.files


def test_buyer_files_are_encrypted_on_disk_read_back_and_rotated(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = Settings(environment="test", data_dir=data, worker_in_process=False)
    services = _services(settings)
    photos, mail = services.buyer_photo_files, _mail_files(services)
    photo = photos.save_attachment(MailAttachment("cracked.png", "image/png", PNG))["path"]
    raw = mail.save_raw(RAW_MAIL)
    legacy = mail.root / "attachments" / "00" / "legacy.txt"  # written before encryption
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(b"Maria Lopez's old note")
    invoice = data / "mail" / "outbound_documents" / "invoice-1.pdf"
    invoice.parent.mkdir(parents=True)
    invoice.write_bytes(INVOICE)

    on_disk = {path: path.read_bytes() for path in (photos.root / photo, mail.root / raw)}
    for stored in on_disk.values():
        assert b"Maria" not in stored and not stored.startswith(b"\x89PNG")
    assert photos.read(photo) == PNG and mail.read(raw) == RAW_MAIL
    assert mail.read("attachments/00/legacy.txt") == b"Maria Lopez's old note"
    old = read_key_file(data / "data.key")
    services.close()

    rotated = CliRunner().invoke(app, ["privacy", "rotate-key"], env={
        "DRAFTDESK_DATA_DIR": str(data), "DRAFTDESK_ENVIRONMENT": "test",
    })
    assert rotated.exit_code == 0, rotated.output

    new = read_key_file(data / "data.key")
    for path, before in on_disk.items():
        after = path.read_bytes()
        assert after != before and new.decrypt_bytes(after) == old.decrypt_bytes(before)
        with pytest.raises(DataKeyMismatch):
            old.decrypt_bytes(after)
    assert b"Maria" not in legacy.read_bytes()  # encrypted by the rotation
    assert invoice.read_bytes() == INVOICE  # the seller's document is not buyer data
    services = _services(settings)
    try:
        assert services.buyer_photo_files.read(photo) == PNG
        mail = _mail_files(services)
        assert mail.read(raw) == RAW_MAIL
        assert mail.read("attachments/00/legacy.txt") == b"Maria Lopez's old note"
    finally:
        services.close()
