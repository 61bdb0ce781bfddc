"""ORM models; importing this package registers every table on ``Base.metadata``."""

from credit_backend.models.application import (
    Application,
    ApplicationCounter,
    ApplicationEvent,
    Attachment,
    Commitment,
    Objection,
    Registration,
    RepairApplication,
)
from credit_backend.models.base import Base
from credit_backend.models.conversations import (
    Conversation,
    ConversationEvent,
    ConversationForm,
    ConversationMessage,
)
from credit_backend.models.entity import Entity, Evaluation
from credit_backend.models.identity import Binding, BindingChallenge
from credit_backend.models.messaging import AuditEntry, Handoff, HandoffMessage, Notification
from credit_backend.models.record import CreditRecord
from credit_backend.models.reminders import ReminderSent, Subscription
from credit_backend.models.report import IssuedReport, ReportCheckFailure, ReportCounter
from credit_backend.models.staff import ConsoleSession, StaffAccount

__all__ = [
    "Application",
    "ApplicationCounter",
    "ApplicationEvent",
    "Attachment",
    "AuditEntry",
    "Base",
    "Binding",
    "BindingChallenge",
    "Commitment",
    "ConsoleSession",
    "Conversation",
    "ConversationEvent",
    "ConversationForm",
    "ConversationMessage",
    "CreditRecord",
    "Entity",
    "Evaluation",
    "Handoff",
    "HandoffMessage",
    "IssuedReport",
    "Notification",
    "Objection",
    "Registration",
    "ReminderSent",
    "RepairApplication",
    "ReportCheckFailure",
    "ReportCounter",
    "StaffAccount",
    "Subscription",
]
