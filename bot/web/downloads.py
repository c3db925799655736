"""Stored buyer files handed to a signed-in person from memory (they are decrypted, so
there is no file on disk to stream), with the headers Starlette's FileResponse would set."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Response


def content_disposition(kind: str, filename: str) -> str:
    """``attachment; filename="…"`` — RFC 6266/5987 form when the name is not plain ASCII."""
    quoted = quote(filename)
    if quoted != filename:
        return f"{kind}; filename*=utf-8''{quoted}"
    return f'{kind}; filename="{filename}"'


def file_response(
    data: bytes, *, media_type: str, filename: str, disposition: str,
    headers: dict[str, str],
) -> Response:
    return Response(
        content=data, media_type=media_type,
        headers={**headers, "Content-Disposition": content_disposition(disposition, filename)},
    )
