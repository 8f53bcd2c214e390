"""Attachment answers and the deletion body (an upload's metadata travels in its query and headers)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from src.platform.schemas import InputModel, OutputModel

Category = Literal[
    "passport_or_id",
    "contract",
    "wage_or_payment_record",
    "photo",
    "medical_record",
    "police_or_court_document",
    "message_screenshot",
    "audio_or_video_testimony",
    "other",
]
DESCRIPTION_MAX = 2000


class AttachmentCreated(OutputModel):
    id: uuid.UUID
    size: int = Field(description="Bytes stored (after metadata was taken out of an image).")
    media_type: str = Field(description="Detected from the content.")
    sha256: str = Field(description="SHA-256 of the bytes stored (what a download returns), hex.")
    original_sha256: str = Field(description="SHA-256 of the bytes uploaded, hex.")
    metadata_removed: bool = Field(description="Location and device metadata were taken out of the image.")


class AttachmentRead(OutputModel):
    id: uuid.UUID
    category: str
    description: str | None = None
    media_type: str
    size: int
    sha256: str
    original_sha256: str
    violation_ids: list[uuid.UUID]
    redress_action_ids: list[uuid.UUID]
    metadata_kept: bool
    created_by: uuid.UUID
    created_at: datetime
    state: Literal["stored", "deleted", "removed_under_retention"] = Field(
        description="`deleted`: a tombstone (hash, size, who and when); `removed_under_retention`: the case "
        "was anonymised and the content went with it."
    )
    deleted_at: datetime | None = None
    deleted_by: uuid.UUID | None = None
    deletion_reason: str | None = None


class SharedAttachmentRead(OutputModel):
    """What a referral's recipient sees of a shared attachment: no description, no uploader."""

    id: uuid.UUID
    category: str
    media_type: str
    size: int
    sha256: str
    created_at: datetime


class AttachmentDeletion(InputModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "Загружен не тот файл: скан паспорта другого заявителя."}]}
    )

    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
