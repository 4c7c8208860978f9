"""Database tables: participations are the source of truth about every attendee's poster."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Dialect, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def new_token() -> str:
    """Return an unguessable URL-safe token (128 random bits)."""
    return secrets.token_urlsafe(16)


_CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


def new_referral_code() -> str:
    """Return a short referral code that is easy to read in a URL (60 random bits)."""
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store aware times as UTC; take naive ones to be UTC already."""
        if value is None:
            return None
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return the stored time as an aware UTC datetime."""
        if value is None:
            return None
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base of Posterbooth's tables."""

    type_annotation_map = {dict[str, Any]: JSON, datetime: UTCDateTime()}


ACTIVE_STATUSES = ("queued", "running")


class Participation(Base):
    """One attendee's submitted answers and the poster made from them."""

    __tablename__ = "participations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_token)
    share_token: Mapped[str] = mapped_column(String(32), unique=True, default=new_token)
    referral_code: Mapped[str] = mapped_column(String(16), unique=True, default=new_referral_code)
    #: The id public images carry in their AIGC label (ProduceID): random, unrelated to the private public_id.
    content_id: Mapped[str] = mapped_column(String(32), default=new_token, server_default="")
    submission_key: Mapped[str] = mapped_column(String(64), unique=True)
    campaign: Mapped[str] = mapped_column(String(64), index=True)
    device_id: Mapped[str] = mapped_column(String(64), index=True)
    locale: Mapped[str] = mapped_column(String(8), default="zh-CN")
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    outcome: Mapped[str] = mapped_column(String(40))
    style: Mapped[str] = mapped_column(String(40), default="")
    prompt: Mapped[str] = mapped_column(Text)
    negative_prompt: Mapped[str] = mapped_column(Text, default="")
    seed: Mapped[int] = mapped_column(Integer)
    provider: Mapped[str] = mapped_column(String(20))
    provider_model: Mapped[str] = mapped_column(String(80), default="")
    provider_job_id: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(12), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Generation requests sent to the provider (what it may bill); counted before each is sent.
    provider_submissions: Mapped[int] = mapped_column(Integer, default=0)
    #: Transient provider failures retried so far (bounded by PROVIDER_MAX_RETRIES).
    retries: Mapped[int] = mapped_column(Integer, default=0)
    #: When the current remote job was submitted (set just before sending it); None when there is none.
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    error_code: Mapped[str] = mapped_column(String(40), default="")
    error_detail: Mapped[str] = mapped_column(Text, default="")
    #: The attendee's cleaned photos of a photo campaign: input name (photo, garment...) → media path under
    #: uploads/. Emptied when they are deleted (by the attendee, or by the retention job).
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: When the photos were deleted; None while they are kept (or when there never were any).
    inputs_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: When the retention job deleted the poster files (the participation is then hidden).
    poster_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    image_path: Mapped[str] = mapped_column(String(200), default="")
    poster_path: Mapped[str] = mapped_column(String(200), default="")
    share_card_path: Mapped[str] = mapped_column(String(200), default="")
    #: No longer written (it was the request's host); kept so that older rows and databases still load.
    base_url: Mapped[str] = mapped_column(String(200), default="")
    referrer_id: Mapped[int | None] = mapped_column(ForeignKey("participations.id"), nullable=True, index=True)
    channel: Mapped[str] = mapped_column(String(40), default="")
    #: Who the per-attendee caps count: ``d:<device id>`` or ``w:<WeChat openid>`` (see posterbooth.caps).
    attendee: Mapped[str] = mapped_column(String(80), default="")
    #: The calendar day (YYYY-MM-DD, in the campaign's time zone) whose daily caps the participation counts in.
    cap_day: Mapped[str] = mapped_column(String(10), default="")
    #: What its provider jobs were charged, in thousandths of the price table's currency (posterbooth.budget).
    cost_milli: Mapped[int] = mapped_column(Integer, default=0)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The event wall's moderation (campaigns with wall.moderation approve): "" undecided, approved, rejected.
    wall_status: Mapped[str] = mapped_column(String(10), default="", server_default="")
    #: When an admin approved or rejected the poster for the wall (approved posters go up in this order).
    wall_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: The campaign's version (content hash) it was submitted under: its poster is made with that definition
    #: (stored in campaign_versions); empty for participations older than versions.
    campaign_version: Mapped[str] = mapped_column(String(64), default="", server_default="")
    #: "Change it" edits (posterbooth.versions): the ChatId of the shown picture's SubmitHunyuanImageChatJob turn
    #: (edits continue from it), and the number of the poster version the attendee chose (1: the first poster).
    chat_id: Mapped[str] = mapped_column(String(120), default="", server_default="")
    chosen_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        Index("ix_participations_campaign_device", "campaign", "device_id", "created_at"),
        Index("ix_participations_campaign_attendee", "campaign", "attendee"),
        Index("ix_participations_campaign_day", "campaign", "cap_day"),
        # The event wall's feed and counter (newest finished posters), its approved posters, its images.
        Index("ix_participations_wall", "campaign", "status", "finished_at"),
        Index("ix_participations_wall_approved", "campaign", "wall_status", "wall_decided_at"),
        Index("ix_participations_content_id", "content_id"),
    )

    @property
    def active(self) -> bool:
        """Return True while the poster is still being made."""
        return self.status in ACTIVE_STATUSES


EVENT_KINDS = ("landing_view", "start", "answer", "submit", "done", "share_view", "referred_visit")


class Event(Base):
    """One step of an attendee's path (a visit, a start, a submission...), for funnels and referrals."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    #: Id of the Redis stream entry this row came from: flushing twice never stores an event twice.
    stream_id: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    campaign: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(64), default="")
    participation_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: The referral code the visit arrived with, and the participation it belongs to (None if unknown).
    ref_code: Mapped[str] = mapped_column(String(16), default="")
    referrer_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    channel: Mapped[str] = mapped_column(String(40), default="")
    #: The question of an ``answer`` event (the funnel's per-question steps); empty for other kinds.
    step: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_events_campaign_kind_created", "campaign", "kind", "created_at"),)


OPERATOR_ROLES = ("admin", "viewer")


class Operator(Base):
    """A person who may open the marketer console: an admin acts, a viewer only looks."""

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    #: A werkzeug.security hash (scrypt); never the password itself.
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(12), default="viewer")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Bumped on a password change: sessions of the old password end.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)


class AuditEntry(Base):
    """One operator action (hide, restore, pause, resume, export, account change): who, what, when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    operator: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    campaign: Mapped[str] = mapped_column(String(64), default="", index=True)
    target: Mapped[str] = mapped_column(String(120), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


class CampaignControl(Base):
    """An operator's switch on a campaign: paused or not (the campaign file holds everything else)."""

    __tablename__ = "campaign_controls"

    campaign: Mapped[str] = mapped_column(String(64), primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(64), default="")


class Channel(Base):
    """An entry channel of a campaign (a booth, a flyer...): its QR code carries ``?ch=<code>``."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign: Mapped[str] = mapped_column(String(64), index=True)
    code: Mapped[str] = mapped_column(String(40))
    caption: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (Index("ux_channels_campaign_code", "campaign", "code", unique=True),)


class CampaignVersion(Base):
    """A campaign's definition (its campaign.yaml) as it was at one version: posters of participations that
    started before a change are made with it."""

    __tablename__ = "campaign_versions"

    campaign: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The content hash of the campaign folder (posterbooth.campaign_registry.folder_version).
    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    definition: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Charge(Base):
    """One provider job charged against the budgets: the source the Redis spend counters are rebuilt from."""

    __tablename__ = "charges"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    participation_id: Mapped[int] = mapped_column(Integer, index=True)
    campaign: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(20))
    #: The priced action (the generation kind, e.g. text_to_image).
    action: Mapped[str] = mapped_column(String(40))
    #: Thousandths of the price table's currency.
    amount_milli: Mapped[int] = mapped_column(Integer)
    #: The calendar day of the charge in the campaign's time zone, and in the account's (ACCOUNT_BUDGET_TIMEZONE).
    campaign_day: Mapped[str] = mapped_column(String(10))
    account_day: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        Index("ix_charges_campaign_day", "campaign", "campaign_day"),
        Index("ix_charges_provider_day", "provider", "account_day"),
    )


class PosterVersion(Base):
    """One version of a participation's poster: the first (number 1) or an attendee's "change it" edit.

    Rows exist only for participations that were edited (the first edit records version 1 from the
    participation). The participation's ``image_path``/``poster_path``/``share_card_path`` are the chosen
    version's; an edit being made keeps its generation state here, never on the participation.
    """

    __tablename__ = "poster_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participation_id: Mapped[int] = mapped_column(ForeignKey("participations.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    #: The attendee's instruction (empty for version 1, whose prompt is the participation's).
    instruction: Mapped[str] = mapped_column(Text, default="")
    #: The version this one was made from (its ChatId was continued); 0 for version 1.
    parent: Mapped[int] = mapped_column(Integer, default=0)
    #: queued, running, done, failed or rejected (like a participation's status).
    status: Mapped[str] = mapped_column(String(12), default="queued")
    chat_id: Mapped[str] = mapped_column(String(120), default="")
    provider_model: Mapped[str] = mapped_column(String(80), default="")
    provider_job_id: Mapped[str] = mapped_column(String(120), default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str] = mapped_column(String(40), default="")
    error_detail: Mapped[str] = mapped_column(Text, default="")
    image_path: Mapped[str] = mapped_column(String(200), default="")
    poster_path: Mapped[str] = mapped_column(String(200), default="")
    share_card_path: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (Index("ux_poster_versions_number", "participation_id", "number", unique=True),)
