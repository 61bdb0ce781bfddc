"""Response models: the declared shape of every answer of the API, by area.

Each route names its model (``response_model`` or its return annotation), so /openapi.json documents every
answer and the contract suite (tests/contract) checks the running backend against it. The models forbid
undeclared fields: a service that starts returning a new key fails the tests until the model declares it.
Error answers are ``credit_backend.schemas.ErrorBody``.
"""

from __future__ import annotations

from credit_backend.responses.applications import (
    ApplicationList,
    ApplicationView,
    AttachmentView,
    CommitmentDetails,
    ObjectionDetails,
    RegistrationDetails,
    RepairDetails,
)
from credit_backend.responses.base import ResponseModel
from credit_backend.responses.bindings import BindingList, BindingView, ChallengeView, ThrottleList, ThrottleView
from credit_backend.responses.entities import CreditReport, Health, Profile, SearchResult, UsccCheck
from credit_backend.responses.messaging import AuditLog, HandoffList, HandoffView, NotificationList, NotificationView
from credit_backend.responses.records import RecordList, RecordView, RepairEligibilityView
from credit_backend.responses.reports import IssuedReportView, ReportVerification
from credit_backend.responses.subscriptions import SubscriptionList, SubscriptionView

__all__ = [
    "ApplicationList",
    "ApplicationView",
    "AttachmentView",
    "AuditLog",
    "BindingList",
    "BindingView",
    "ChallengeView",
    "CommitmentDetails",
    "CreditReport",
    "HandoffList",
    "HandoffView",
    "Health",
    "IssuedReportView",
    "NotificationList",
    "NotificationView",
    "ObjectionDetails",
    "Profile",
    "RecordList",
    "RecordView",
    "RegistrationDetails",
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
