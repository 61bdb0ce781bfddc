"""Response models: the declared shape of every answer of the API, by area.

Each route names its model (``response_model`` or its return annotation), so /openapi.json documents every
answer and the contract suite (tests/contract) checks the running backend against it. The models forbid
undeclared fields: a service that starts returning a new key fails the tests until the model declares it.
Error answers are ``credit_backend.schemas.ErrorBody``.
"""

from __future__ import annotations

from credit_backend.responses.accounts import AccountBrief, AccountList, AccountView, ConsoleLogin, ConsoleSessionView
from credit_backend.responses.applications import (
    ApplicationAnswer,
    ApplicationList,
    ApplicationView,
    AttachmentView,
    CaseView,
    CommitmentDetails,
    ObjectionDetails,
    RegistrationDetails,
    RepairDetails,
)
from credit_backend.responses.audit import AuditItem, AuditPage, OutboxItem, OutboxList
from credit_backend.responses.base import ResponseModel
from credit_backend.responses.bindings import (
    BindingList,
    BindingView,
    ChallengeView,
    IdentityCheckView,
    ThrottleList,
    ThrottleView,
)
from credit_backend.responses.entities import CreditReport, Health, Profile, SearchResult, UsccCheck
from credit_backend.responses.messaging import (
    HandoffCreated,
    HandoffDetail,
    HandoffList,
    HandoffMessageView,
    HandoffView,
    NotificationList,
    NotificationView,
    RelayAnswer,
)
from credit_backend.responses.queue import QueuePage
from credit_backend.responses.records import RecordList, RecordView, RepairEligibilityView
from credit_backend.responses.records_entry import ImportResult, RecordDetailView
from credit_backend.responses.reports import IssuedReportView, ReportVerification
from credit_backend.responses.subscriptions import SubscriptionList, SubscriptionView

__all__ = [
    "AccountBrief",
    "AccountList",
    "AccountView",
    "ApplicationAnswer",
    "ApplicationList",
    "ApplicationView",
    "AttachmentView",
    "AuditItem",
    "AuditPage",
    "BindingList",
    "BindingView",
    "CaseView",
    "ChallengeView",
    "CommitmentDetails",
    "ConsoleLogin",
    "ConsoleSessionView",
    "CreditReport",
    "HandoffCreated",
    "HandoffDetail",
    "HandoffList",
    "HandoffMessageView",
    "HandoffView",
    "Health",
    "IdentityCheckView",
    "ImportResult",
    "IssuedReportView",
    "NotificationList",
    "NotificationView",
    "ObjectionDetails",
    "OutboxItem",
    "OutboxList",
    "Profile",
    "QueuePage",
    "RecordDetailView",
    "RecordList",
    "RecordView",
    "RegistrationDetails",
    "RelayAnswer",
    "RepairDetails",
    "RepairEligibilityView",
    "ReportVerification",
    "ResponseModel",
    "SearchResult",
    "SubscriptionList",
    "SubscriptionView",
    "ThrottleList",
    "ThrottleView",
    "UsccCheck",
]
