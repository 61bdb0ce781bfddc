"""The annotate form's entity field: prefilled from the prediction in Rasa's markup, read back over the message
as typed (bot/console/markup.py)."""

from __future__ import annotations

import pytest

from bot.console.markup import CHANGED_TEXT, MarkupError, predicted_markup, read_markup
from training.examples import Span

TEXT = "帮我查一下91220202MA0Y3K7Q6L的记录"
CODE = {"entity": "uscc", "start": 5, "end": 23, "value": "91220202MA0Y3K7Q6L", "extractor": "RegexEntityExtractor"}


def test_the_field_marks_each_predicted_place_once() -> None:
    diet = {**CODE, "extractor": "DIETClassifier"}
    inside = {"entity": "org_name", "start": 7, "end": 10, "value": "220"}
    assert predicted_markup(TEXT, [diet, CODE, inside]) == "帮我查一下[91220202MA0Y3K7Q6L](uscc)的记录"


def test_predictions_outside_the_text_are_left_out() -> None:
    assert (
        predicted_markup("你好", [{"entity": "uscc", "start": 1, "end": 9}, {"entity": "", "start": 0, "end": 1}])
        == "你好"
    )


def test_the_admins_marks_become_spans_over_the_text_as_typed() -> None:
    field = "帮我查一下[91220202MA0Y3K7Q6L](uscc)的[记录](record_type)"
    assert read_markup(field, TEXT) == (Span(5, 23, "uscc"), Span(24, 26, "record_type"))
    assert read_markup(TEXT, TEXT) == ()


@pytest.mark.parametrize("field", ["帮我查[91220202MA0Y3K7Q6L](uscc)的记录", "帮我查一下91220202MA0Y3K7Q6L", ""])
def test_changed_words_are_refused_in_chinese(field: str) -> None:
    with pytest.raises(MarkupError) as refused:
        read_markup(field, TEXT)
    assert refused.value.message == CHANGED_TEXT
