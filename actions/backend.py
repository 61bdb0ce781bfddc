"""Small typed HTTP client for the credit backend (docs/api.md).

Errors are reduced to two exception types so actions can answer politely:

* ``BackendUnavailable``: connection errors, timeouts and 5xx — try again later, keep the answers.
* ``BackendError``: a 4xx with the API's stable ``code`` and Chinese ``message``.

Answers are typed (actions/api_types.py, the backend's declared response models as TypedDicts); an
answer without the declared fields counts as ``BackendUnavailable`` too, like one that is not JSON.

A hung backend must not stall every conversation: calls have short timeouts (connect 1 s, read 5 s;
``CREDIT_BACKEND_CONNECT_TIMEOUT`` / ``CREDIT_BACKEND_READ_TIMEOUT``), and a circuit breaker opens after 3
consecutive unavailable calls (``CREDIT_BACKEND_BREAKER_FAILURES``): for the next 20 s
(``CREDIT_BACKEND_BREAKER_RESET``) every call fails at once with ``BackendUnavailable``, without a connection,
so users get the polite "try again later" answers immediately. The first call after that is a trial: it
closes the breaker if the backend answers, opens it again if not. Only unavailability counts: a 4xx is an
answer.

Filing an application (``submit``) carries an ``Idempotency-Key`` and is sent a second time, with the same key,
when the first attempt got no answer: behind a proxy with several backends, one that died after storing the
application and before answering makes the proxy answer 502 (it does not replay a POST), and the retry reaches
another backend, which answers with the application filed first (issue 16).
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

import pybreaker
import requests

from actions import api_types as api
from actions.flows import application_path

DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_TOKEN = "dev-assistant-token"  # the backend's local-demo default (README)
DEFAULT_CONNECT_TIMEOUT = 1.0  # seconds; the backend is on the same host or network
DEFAULT_READ_TIMEOUT = 5.0  # seconds without a byte of the answer
DEFAULT_BREAKER_FAILURES = 3  # consecutive unavailable calls that open the breaker
DEFAULT_BREAKER_RESET = 20.0  # seconds the open breaker fails fast before a trial call
SUBMIT_ATTEMPTS = 2  # a filing that got no answer is sent once more with the same Idempotency-Key
SUBMIT_RETRY_PAUSE = 0.3  # seconds before that retry: the proxy's health check notices a dead backend


class BackendUnavailable(Exception):
    """The backend could not be reached, timed out or failed with a 5xx (or the breaker is open)."""


Answer = TypeVar("Answer")


def typed(shape: type[Answer], data: Any) -> Answer:
    """``data`` as the declared answer ``shape`` (a TypedDict): an object with every declared field."""
    if not isinstance(data, dict):
        raise BackendUnavailable(f"unexpected answer from backend: {shape.__name__} is not a JSON object")
    missing = shape.__required_keys__ - data.keys()  # type: ignore[attr-defined]
    if missing:
        raise BackendUnavailable(f"unexpected answer from backend: {shape.__name__} without {sorted(missing)}")
    return data  # type: ignore[no-any-return]


def _env_float(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return value if value > 0 else default


def default_timeout() -> tuple[float, float]:
    """(connect, read) seconds from CREDIT_BACKEND_CONNECT_TIMEOUT / CREDIT_BACKEND_READ_TIMEOUT."""
    return (
        _env_float("CREDIT_BACKEND_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT),
        _env_float("CREDIT_BACKEND_READ_TIMEOUT", DEFAULT_READ_TIMEOUT),
    )


def new_breaker(failures: int | None = None, reset_timeout: float | None = None) -> pybreaker.CircuitBreaker:
    """A breaker that opens after ``failures`` consecutive unavailable calls for ``reset_timeout`` seconds
    (defaults from CREDIT_BACKEND_BREAKER_FAILURES / CREDIT_BACKEND_BREAKER_RESET)."""
    return pybreaker.CircuitBreaker(
        fail_max=failures or int(_env_float("CREDIT_BACKEND_BREAKER_FAILURES", DEFAULT_BREAKER_FAILURES)),
        reset_timeout=reset_timeout or _env_float("CREDIT_BACKEND_BREAKER_RESET", DEFAULT_BREAKER_RESET),
        name="credit-backend",
    )


@dataclass
class BackendError(Exception):
    """A 4xx answer of the backend: ``code`` is stable, ``message`` is Chinese."""

    status: int
    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


def idempotency_key(sender_id: str, form: str, nonce: str) -> str:
    """Key for one submission: stable across retries of the same attempt, ≤ 100 chars."""
    digest = hashlib.sha256(f"{sender_id}|{form}|{nonce}".encode()).hexdigest()[:40]
    return f"rasa-{form}-{digest}"


class CreditBackend:
    """Typed wrapper around the backend's HTTP API."""

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        timeout: tuple[float, float] | None = None,
        session: requests.Session | None = None,
        breaker: pybreaker.CircuitBreaker | None = None,
    ) -> None:
        self.base_url = (base_url or os.environ.get("CREDIT_BACKEND_URL") or DEFAULT_URL).rstrip("/")
        self.token = token if token is not None else os.environ.get("CREDIT_BACKEND_TOKEN", DEFAULT_TOKEN)
        self.timeout = timeout or default_timeout()
        self.session = session or requests.Session()
        # One breaker per client; the action server has one client per process (get_client).
        self.breaker = breaker or new_breaker()

    # -- transport ---------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        return _json(self._raw(method, path, params, json, headers))

    def _raw(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """One call through the breaker; a 4xx raises BackendError, unavailability BackendUnavailable."""
        all_headers = {"Accept": "application/json"}
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        all_headers.update(headers or {})
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self.breaker.call(self._send, method, path, query, json, all_headers)
        except pybreaker.CircuitBreakerError as exc:  # open, or opened by this very call
            cause = exc.__context__ if isinstance(exc.__context__, BackendUnavailable) else exc
            raise BackendUnavailable(f"circuit open: {cause}") from exc
        if response.status_code >= 400:
            raise _error_from(response)
        return response

    def _send(
        self,
        method: str,
        path: str,
        params: dict[str, Any],
        json: dict[str, Any] | None,
        headers: dict[str, str],
    ) -> requests.Response:
        """One HTTP call; raises BackendUnavailable (what the breaker counts) when the backend did not answer."""
        try:
            response = self.session.request(
                method, f"{self.base_url}{path}", params=params, json=json, headers=headers, timeout=self.timeout
            )
        except requests.RequestException as exc:  # connection refused, timeout, DNS…
            raise BackendUnavailable(str(exc)) from exc
        if response.status_code >= 500:
            raise BackendUnavailable(f"HTTP {response.status_code}")
        return response

    # -- reading -----------------------------------------------------------------------------

    def health(self) -> api.Health:
        return typed(api.Health, self._request("GET", "/healthz"))

    def check_uscc(self, code: str) -> api.UsccCheck:
        return typed(api.UsccCheck, self._request("GET", "/api/v1/uscc/check", params={"code": code}))

    def search_entities(self, name: str, limit: int = 10) -> api.SearchResult:
        return typed(api.SearchResult, self._request("GET", "/api/v1/entities", params={"q": name, "limit": limit}))

    def entity(self, uscc: str, viewer: str | None = None) -> api.Profile:
        """The profile; ``viewer`` a staff sender at the counter (``staff:<account>``): unmasked, and audited."""
        path = f"/api/v1/entities/{quote(uscc)}"
        return typed(api.Profile, self._request("GET", path, params={"viewer": viewer}))

    def records(
        self, uscc: str, category: str | None = None, active_only: bool = True, viewer: str | None = None
    ) -> list[api.RecordView]:
        data = self._request(
            "GET",
            f"/api/v1/entities/{quote(uscc)}/records",
            params={"category": category, "active_only": str(active_only).lower(), "viewer": viewer},
        )
        return typed(api.RecordList, data)["items"]

    def report(self, uscc: str) -> api.CreditReport:
        return typed(api.CreditReport, self._request("GET", f"/api/v1/entities/{quote(uscc)}/report"))

    def issue_report(self, uscc: str) -> api.IssuedReportView:
        """Issue a credit report document (number, verification code, validity); the code is shown only here."""
        return typed(api.IssuedReportView, self._request("POST", f"/api/v1/entities/{quote(uscc)}/reports"))

    def verify_report(self, report_no: str, code: str) -> api.ReportVerification:
        """Whether a report is genuine and valid; 429 (BackendError REPORT_CHECK_LIMITED) after too many failures."""
        path = f"/api/v1/reports/{quote(report_no)}/verification"
        return typed(api.ReportVerification, self._request("GET", path, params={"code": code}))

    def repair_eligibility(self, record_id: str, on: str | None = None) -> api.RepairEligibilityView:
        path = f"/api/v1/records/{quote(str(record_id))}/repair-eligibility"
        return typed(api.RepairEligibilityView, self._request("GET", path, params={"on": on}))

    def policy(self) -> api.Policy:
        return typed(api.Policy, self._request("GET", "/api/v1/policy"))

    # -- identity binding --------------------------------------------------------------------

    def start_binding(self, sender_id: str, uscc: str) -> api.ChallengeView:
        data = self._request("POST", "/api/v1/bindings/start", json={"sender_id": sender_id, "uscc": uscc})
        return typed(api.ChallengeView, data)

    def verify_binding(self, sender_id: str, uscc: str, code: str) -> api.BindingView:
        data = self._request(
            "POST", "/api/v1/bindings/verify", json={"sender_id": sender_id, "uscc": uscc, "code": code}
        )
        return typed(api.BindingView, data)

    def in_person_binding(
        self, sender_id: str, uscc: str, document_type: str, id_last4: str, authorization_letter: bool
    ) -> api.BindingView:
        """A staff member's in-person identity check at the counter (only ``staff:<account>`` senders)."""
        body = {
            "sender_id": sender_id,
            "uscc": uscc,
            "document_type": document_type,
            "id_last4": id_last4,
            "authorization_letter": authorization_letter,
        }
        return typed(api.BindingView, self._request("POST", "/api/v1/bindings/in-person", json=body))

    def bindings(self, sender_id: str) -> list[api.BindingView]:
        data = self._request("GET", "/api/v1/bindings", params={"sender_id": sender_id})
        return typed(api.BindingList, data)["items"]

    def is_bound(self, sender_id: str, uscc: str) -> bool:
        return any(item["uscc"] == uscc for item in self.bindings(sender_id))

    # -- 信用提醒 subscriptions ------------------------------------------------------------

    def subscribe(self, sender_id: str, uscc: str) -> tuple[api.SubscriptionView, bool]:
        """Subscribe a bound sender to reminders about the entity: the subscription, and whether it is new
        (the backend answers 201 for a new one, 200 when it already existed; 403 when not bound)."""
        response = self._raw("POST", "/api/v1/subscriptions", json={"sender_id": sender_id, "uscc": uscc})
        return typed(api.SubscriptionView, _json(response)), response.status_code == 201

    def subscriptions(self, sender_id: str) -> list[api.SubscriptionView]:
        data = self._request("GET", "/api/v1/subscriptions", params={"sender_id": sender_id})
        return typed(api.SubscriptionList, data)["items"]

    def unsubscribe(self, sender_id: str, uscc: str) -> None:
        self._request("DELETE", f"/api/v1/subscriptions/{quote(uscc)}", params={"sender_id": sender_id})

    # -- applications ------------------------------------------------------------------------

    def submit(self, kind: str, body: dict[str, Any], key: str) -> api.ApplicationView:
        """POST one application; ``kind`` is registration/commitment/objection/repair. Without an answer it is
        sent once more with the same ``key`` (the backend files it once), unless the breaker is open."""
        path = f"/api/v1/applications/{application_path(kind)}"
        for attempt in range(1, SUBMIT_ATTEMPTS + 1):
            try:
                data = self._request("POST", path, json=body, headers={"Idempotency-Key": key})
            except BackendUnavailable:
                if attempt == SUBMIT_ATTEMPTS or self.breaker.current_state != "closed":
                    raise
                time.sleep(SUBMIT_RETRY_PAUSE)
            else:
                return typed(api.ApplicationView, data)
        raise AssertionError("unreachable")  # pragma: no cover

    def application(self, application_no: str, sender_id: str) -> api.ApplicationView:
        """One application, as ``sender_id`` may see it (its filer or bound to its entity; else not found)."""
        path = f"/api/v1/applications/{quote(application_no)}"
        return typed(api.ApplicationView, self._request("GET", path, params={"sender_id": sender_id}))

    def applications(self, sender_id: str, uscc: str | None = None) -> list[api.ApplicationView]:
        data = self._request("GET", "/api/v1/applications", params={"sender_id": sender_id, "uscc": uscc})
        return typed(api.ApplicationList, data)["items"]

    # -- hand-offs ---------------------------------------------------------------------------

    def handoff(
        self,
        sender_id: str,
        summary: str,
        uscc: str | None = None,
        transcript: list[api.TranscriptLine] | None = None,
    ) -> api.HandoffCreated:
        """A hand-off to a person with the recent conversation; the answer says when someone will reply."""
        body: dict[str, Any] = {"sender_id": sender_id, "summary": summary, "transcript": list(transcript or [])}
        if uscc:
            body["uscc"] = uscc
        return typed(api.HandoffCreated, self._request("POST", "/api/v1/handoffs", json=body))


def _json(response: requests.Response) -> Any:
    """The answer's JSON ({} for an empty body, e.g. 204); not JSON counts as unavailable."""
    if not response.content:
        return {}
    try:
        return response.json()
    except ValueError as exc:
        raise BackendUnavailable("invalid JSON from backend") from exc


def _error_from(response: requests.Response) -> BackendError:
    """Build a BackendError from the API's error body (tolerates a missing body)."""
    try:
        error = response.json().get("error", {})
    except (ValueError, AttributeError):
        error = {}
    if not isinstance(error, dict):
        error = {}
    return BackendError(
        status=response.status_code,
        code=str(error.get("code") or f"HTTP_{response.status_code}"),
        message=str(error.get("message") or "请求未能完成，请核对后重试。"),
        details=error.get("details") or {},
    )


_client: CreditBackend | None = None


def get_client() -> CreditBackend:
    """The process-wide client (configured from the environment on first use)."""
    global _client
    if _client is None:
        _client = CreditBackend()
    return _client


def set_client(client: CreditBackend | None) -> None:
    """Replace the process-wide client (tests)."""
    global _client
    _client = client
