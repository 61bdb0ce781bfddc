"""Applications (自愿注册, 信用承诺, 异议, 信用修复): one base table, one table per kind (joined inheritance)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, event, text, true
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from credit_backend.models.base import Base, utcnow
from credit_backend.models.entity import Entity
from credit_backend.models.record import CreditRecord
from credit_backend.rules.states import MACHINES


def queue_indexes() -> tuple[Index, ...]:
    """Partial indexes over the open applications only: the work queue's order, and its filters with
    everything its grouped count reads (an index-only scan on PostgreSQL)."""

    def partial(name: str, *columns: str) -> Index:
        return Index(name, *columns, sqlite_where=text("in_queue"), postgresql_where=text("in_queue"))

    return (
        partial("ix_applications_queue_due", "due_on", "id"),
        partial("ix_applications_queue_department", "department", "kind", "status", "due_on"),
        partial("ix_applications_queue_status", "status", "due_on"),
        partial("ix_applications_queue_kind", "kind", "due_on"),
    )


class Application(Base):
    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_no: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id"))
    sender_id: Mapped[str] = mapped_column(String(100), index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    received_on: Mapped[date]  # the day of receipt in China Standard Time
    due_on: Mapped[date | None]
    due_working_days: Mapped[int | None]
    due_provisional: Mapped[bool] = mapped_column(default=False)
    idempotency_key: Mapped[str] = mapped_column(String(100))
    request_hash: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)
    # The department that decides it (rules.departments.deciding_department), set when it is filed.
    department: Mapped[str] = mapped_column(String(100))
    # The staff member's in-person identity check when filed at the counter (document type, last four
    # characters of the ID, letter of authorisation); None when filed after a one-time code.
    identity_check: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # True while the status is open (its machine's ``is_open``; kept in step by ``_sync_in_queue``): the
    # work queue reads only these rows, through partial indexes.
    in_queue: Mapped[bool] = mapped_column(default=True, server_default=true())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    entity: Mapped[Entity] = relationship()
    events: Mapped[list[ApplicationEvent]] = relationship(
        back_populates="application", order_by="ApplicationEvent.id", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="application", order_by="Attachment.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "application"}
    __table_args__ = (
        UniqueConstraint("sender_id", "idempotency_key", name="uq_applications_sender_idem"),
        Index("ix_applications_entity_kind", "entity_id", "kind"),
        *queue_indexes(),
    )


class ApplicationEvent(Base):
    """One step of an application's history (its state machine's transitions)."""

    __tablename__ = "application_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    action: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    application: Mapped[Application] = relationship(back_populates="events")


class Registration(Application):
    """自愿注册 of 资质证照 / 市场经营 / 合同履约 / 社会公益 information (seed item 5)."""

    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(String(10))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    truthful: Mapped[bool]
    verified_on: Mapped[date | None]

    __mapper_args__ = {"polymorphic_identity": "registration"}


class Commitment(Application):
    """信用承诺 (seed item 1); 容缺受理 ones carry the date the missing materials are due."""

    __tablename__ = "commitments"

    id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True)
    commitment_type: Mapped[str] = mapped_column(String(20))
    matter: Mapped[str] = mapped_column(String(200))
    text_items: Mapped[list[str]] = mapped_column(JSON)
    missing_materials: Mapped[str | None] = mapped_column(Text)
    materials_due: Mapped[date | None]
    record_id: Mapped[int | None] = mapped_column(ForeignKey("credit_records.id"))

    record: Mapped[CreditRecord | None] = relationship(foreign_keys=[record_id])

    __mapper_args__ = {"polymorphic_identity": "commitment"}


def one_open_per_record(table: str) -> Index:
    """The partial unique index on ``record_id`` where ``is_open``: at most one open application per record."""
    return Index(
        f"uq_{table}_open_record",
        "record_id",
        unique=True,
        sqlite_where=text("is_open"),
        postgresql_where=text("is_open"),
    )


class Objection(Application):
    """异议 against a credit record (seed item 17)."""

    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("credit_records.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    requested_outcome: Mapped[str | None] = mapped_column(String(10))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    correct_due: Mapped[date | None]
    # True while the objection is open (kept in step with ``status`` by ``_sync_open``); the partial
    # unique index lets the database, not a racy read, guarantee one open objection per record.
    is_open: Mapped[bool] = mapped_column(default=True, server_default=true())

    record: Mapped[CreditRecord] = relationship(foreign_keys=[record_id])

    __mapper_args__ = {"polymorphic_identity": "objection"}
    __table_args__ = (one_open_per_record("objections"),)


class RepairApplication(Application):
    """信用修复 of a negative record (seed item 13, 国家发展改革委令2025年第36号)."""

    __tablename__ = "repair_applications"

    id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("credit_records.id"), index=True)
    corrective_action: Mapped[str] = mapped_column(Text)
    obligations_fulfilled: Mapped[bool]
    commitment_text: Mapped[list[str]] = mapped_column(JSON)
    regime: Mapped[str] = mapped_column(String(100))
    is_open: Mapped[bool] = mapped_column(default=True, server_default=true())  # as Objection.is_open

    record: Mapped[CreditRecord] = relationship(foreign_keys=[record_id])

    __mapper_args__ = {"polymorphic_identity": "repair"}
    __table_args__ = (one_open_per_record("repair_applications"),)


@event.listens_for(Objection, "before_insert")
@event.listens_for(Objection, "before_update")
@event.listens_for(RepairApplication, "before_insert")
@event.listens_for(RepairApplication, "before_update")
def _sync_open(mapper: Mapper[Any], _connection: Any, app: Objection | RepairApplication) -> None:
    """``is_open`` follows the status on every write, whoever changes the status."""
    if app.status is not None:
        app.is_open = MACHINES[mapper.polymorphic_identity].is_open(app.status)


@event.listens_for(Application, "before_insert", propagate=True)
@event.listens_for(Application, "before_update", propagate=True)
def _sync_in_queue(mapper: Mapper[Any], _connection: Any, app: Application) -> None:
    """``in_queue`` follows the status on every write, whoever changes the status."""
    if app.status is not None:
        machine = MACHINES.get(mapper.polymorphic_identity)
        app.in_queue = machine.is_open(app.status) if machine is not None else True


class ApplicationCounter(Base):
    """Per type and day sequence behind application numbers (<TYPE>-<YYYYMMDD>-<NNNN>)."""

    __tablename__ = "application_counters"

    type_code: Mapped[str] = mapped_column(String(2), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    last_seq: Mapped[int]


class Attachment(Base):
    """Metadata of evidence uploaded for an application; the bytes live under settings.attachments_dir."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_path: Mapped[str] = mapped_column(String(500))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    application: Mapped[Application] = relationship(back_populates="attachments")
