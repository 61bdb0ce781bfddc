"""The client's answers are the backend's declared shapes (actions/api_types.py); anything else is unavailability."""

from __future__ import annotations

import pytest

from actions import api_types as api
from actions.backend import BackendUnavailable, typed

BOUND = {
    "sender_id": "tg:1001",
    "uscc": "91220202MA0Y3K7Q6L",
    "name": "吉林市江城建材有限公司",
    "bound_until": "2027-02-24T01:00:00Z",
    "method": "otp",
    "identity_check": None,
}


def test_a_declared_answer_passes_as_it_is() -> None:
    assert typed(api.BindingView, BOUND) is BOUND


@pytest.mark.parametrize(
    "answer, complaint",
    [
        ({k: v for k, v in BOUND.items() if k != "bound_until"}, r"BindingView without \['bound_until'\]"),
        ([BOUND], "BindingView is not a JSON object"),
        ("ok", "BindingView is not a JSON object"),
    ],
)
def test_an_answer_without_the_declared_fields_counts_as_unavailable(answer: object, complaint: str) -> None:
    with pytest.raises(BackendUnavailable, match=complaint):
        typed(api.BindingView, answer)


def test_optional_keys_of_the_policy_file_are_not_required() -> None:
    field = {"key": "amount", "label": "金额", "type": "amount", "required": True}
    assert typed(api.RegistrationField, field) is field
