"""Photos and documents attached to a field action: size-checked, images downscaled, EXIF position kept apart.

Stored in PostgreSQL (``field_attachments``): the one store the bureau already backs up, written
in one transaction with its row, nothing on disk to serve or to leak. That only works because the
files stay small: images are re-encoded to at most ``MAX_EDGE_PX`` on the long edge (a phone's
12 MP photo becomes about 200–400 KB), documents are capped at ``MAX_DOCUMENT_BYTES``.

The EXIF GPS position is read into columns (staff see it next to the arrival check-in) and the
stored image is written without EXIF, so the file itself never carries the position anywhere.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from envpetition.errors import Conflict, InvalidInput

MAX_UPLOAD_BYTES = 15 * 1024 * 1024  # a phone's full-size photo, before downscaling
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024  # PDFs and other documents are stored as sent
MAX_EDGE_PX = 1600
JPEG_QUALITY = 82
IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp", "image/heic", "image/gif"}
DOCUMENT_TYPES = {"application/pdf": ".pdf", "text/plain": ".txt",
                  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx"}
GPS_IFD = 0x8825
DATETIME_ORIGINAL = 0x9003
EXIF_IFD = 0x8769

ACTION_OF = "select case_id, outcome from field_actions where client_action_id = %s"
EXISTING = "select id, case_id from field_attachments where client_attachment_id = %s"
INSERT = """
insert into field_attachments (client_attachment_id, client_action_id, case_id, filename, content_type, size_bytes,
                               original_bytes, width, height, exif_lon, exif_lat, exif_taken_at, uploaded_at,
                               uploaded_by, content)
values (%(client_attachment_id)s, %(client_action_id)s, %(case_id)s, %(filename)s, %(content_type)s, %(size_bytes)s,
        %(original_bytes)s, %(width)s, %(height)s, %(exif_lon)s, %(exif_lat)s, %(exif_taken_at)s, %(uploaded_at)s,
        %(uploaded_by)s, %(content)s)
on conflict (client_attachment_id) do nothing
returning id
"""


@dataclass
class Prepared:
    """What is stored for one upload."""

    content: bytes
    content_type: str
    width: int | None = None
    height: int | None = None
    exif_lon: float | None = None
    exif_lat: float | None = None
    exif_taken_at: str | None = None


def _dms(value: Any, ref: Any) -> float | None:
    """Degrees, minutes, seconds (EXIF rationals) to signed decimal degrees."""
    try:
        degrees = float(value[0]) + float(value[1]) / 60 + float(value[2]) / 3600
    except (TypeError, ValueError, IndexError, ZeroDivisionError):
        return None
    return -degrees if str(ref).upper() in ("S", "W") else degrees


def exif_position(image: Any) -> tuple[float | None, float | None, str | None]:
    """(lon, lat, taken at) from a Pillow image's EXIF, each None when absent."""
    exif = image.getexif()
    gps = exif.get_ifd(GPS_IFD)
    lat = _dms(gps.get(2), gps.get(1)) if gps.get(2) else None
    lon = _dms(gps.get(4), gps.get(3)) if gps.get(4) else None
    taken = exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL)
    if lon is None or lat is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        lon = lat = None
    return lon, lat, str(taken) if taken else None


def prepare(data: bytes, content_type: str) -> Prepared:
    """Check the size and type; downscale an image to ``MAX_EDGE_PX`` as JPEG without EXIF."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise InvalidInput("文件为空 / the file is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput(f"文件超过 {MAX_UPLOAD_BYTES // 2**20} MB / file over {MAX_UPLOAD_BYTES // 2**20} MB")
    if content_type in IMAGE_TYPES:
        try:
            opened = Image.open(io.BytesIO(data))
            opened.load()
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
            raise InvalidInput(f"无法读取图片 / not a readable image: {exc}") from exc
        lon, lat, taken = exif_position(opened)
        image = ImageOps.exif_transpose(opened)  # the photo upright before its EXIF is dropped
        image.thumbnail((MAX_EDGE_PX, MAX_EDGE_PX))
        out = io.BytesIO()
        image.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
        return Prepared(out.getvalue(), "image/jpeg", image.width, image.height, lon, lat, taken)
    if content_type in DOCUMENT_TYPES:
        if len(data) > MAX_DOCUMENT_BYTES:
            raise InvalidInput(f"文档超过 {MAX_DOCUMENT_BYTES // 2**20} MB / document over {MAX_DOCUMENT_BYTES // 2**20} MB")
        return Prepared(data, content_type)
    raise InvalidInput(f"不支持的文件类型 {content_type} / unsupported type; "
                       f"allowed: {', '.join(sorted(IMAGE_TYPES | set(DOCUMENT_TYPES)))}")


def attach(conn: psycopg.Connection[Any], *, client_attachment_id: str, client_action_id: str, filename: str,
           content_type: str, data: bytes, uploaded_by: str, team_id: int | None, role: str,
           now: datetime) -> dict[str, Any]:
    """Store one file for a recorded field action, once (a replay returns the stored id)."""
    try:
        attachment_key, action_key = str(uuid.UUID(client_attachment_id)), str(uuid.UUID(client_action_id))
    except ValueError as exc:
        raise InvalidInput("附件编号和操作编号应为 UUID / ids must be UUIDs") from exc
    existing = conn.execute(EXISTING, (attachment_key,)).fetchone()
    if existing is not None:
        return {"id": existing[0], "case_id": existing[1], "replayed": True}
    prepared = prepare(data, content_type)
    with conn.transaction():
        action = conn.execute(ACTION_OF, (action_key,)).fetchone()
        if action is None:
            raise Conflict("对应的操作尚未送达 / the action this file belongs to has not arrived yet")
        case_id = int(action[0])
        if role == "team_member":
            owner = conn.execute("select team_id from cases where id = %s", (case_id,)).fetchone()
            if owner is None or owner[0] != team_id:
                raise InvalidInput("只能为本队案件上传附件 / only the assigned team may attach files")
        row = conn.execute(INSERT, {
            "client_attachment_id": attachment_key, "client_action_id": action_key, "case_id": case_id,
            "filename": (filename or "file")[:200], "content_type": prepared.content_type,
            "size_bytes": len(prepared.content), "original_bytes": len(data), "width": prepared.width,
            "height": prepared.height, "exif_lon": prepared.exif_lon, "exif_lat": prepared.exif_lat,
            "exif_taken_at": prepared.exif_taken_at, "uploaded_at": now, "uploaded_by": uploaded_by,
            "content": prepared.content}).fetchone()
    if row is None:  # a concurrent replay stored it first
        again = conn.execute(EXISTING, (attachment_key,)).fetchone()
        return {"id": again[0], "case_id": again[1], "replayed": True}  # type: ignore[index]
    return {"id": row[0], "case_id": case_id, "size_bytes": len(prepared.content), "replayed": False,
            "exif_position": prepared.exif_lon is not None}

