"""Odd input never reaches a 500: bounded integers, dates before the rules, wrong JSON shapes, the catch-all."""

from __future__ import annotations

import logging
from urllib.parse import quote

import pytest

from credit_backend.policy.loader import load_policy
from credit_backend.rules.periods import format_cn_date
from credit_backend.schemas import ROW_ID_MAX
from tests.backend.api_helpers import API, JIANGCHENG, assert_error, objection_body, repair_body, submit
from tests.backend.conftest import ADMIN, ASSISTANT, STAFF

HUGE = [2**31, 2**63, 2**64, 10**30, -(2**64)]


def first_rules_day():
    return min(r.effective_from for r in load_policy().repair.regimes)


# --- the catch-all ---------------------------------------------------------------------------------


def test_an_unexpected_exception_is_a_json_500_without_internals(client, world, monkeypatch, caplog):
    from credit_backend.services import entities

    def broken(*_args, **_kwargs):
        raise RuntimeError("secret-internal-detail in /srv/credit/db.py")

    monkeypatch.setattr(entities, "search_entities", broken)
    with caplog.at_level(logging.ERROR, logger="credit_backend.api.errors"):
        r = client.get(f"{API}/entities", params={"q": "江城"}, headers=ASSISTANT)
    err = assert_error(r, 500, "INTERNAL_ERROR", "请稍后再试")
    assert err["details"] == {}
    assert "secret-internal-detail" not in r.text and "Traceback" not in r.text
    assert r.headers["content-type"] == "application/json"
    logged = [rec for rec in caplog.records if rec.name == "credit_backend.api.errors"]
    assert len(logged) == 1 and logged[0].exc_info is not None
    assert "GET /api/v1/entities" in logged[0].getMessage()
    assert "secret-internal-detail" in caplog.text  # the traceback is in the log, for the operator


def test_the_app_keeps_serving_after_a_500(client, world, monkeypatch):
    from credit_backend.services import entities

    original = entities.search_entities
    monkeypatch.setattr(entities, "search_entities", lambda *a, **k: 1 / 0)
    assert client.get(f"{API}/entities", params={"q": "江城"}, headers=ASSISTANT).status_code == 500
    monkeypatch.setattr(entities, "search_entities", original)
    assert client.get(f"{API}/entities", params={"q": "江城"}, headers=ASSISTANT).status_code == 200


def test_a_value_the_database_refuses_is_a_400(client, world, monkeypatch, caplog):
    from sqlalchemy.exc import DataError

    from credit_backend.services import entities

    def refused(*_args, **_kwargs):
        raise DataError("SELECT …", {}, ValueError("A string literal cannot contain NUL (0x00) characters."))

    monkeypatch.setattr(entities, "search_entities", refused)
    with caplog.at_level(logging.WARNING, logger="credit_backend.api.errors"):
        r = client.get(f"{API}/entities", params={"q": "江城"}, headers=ASSISTANT)
    assert_error(r, 400, "VALIDATION_ERROR", "无法处理的内容")
    assert "NUL" not in r.text and "database refused a value" in caplog.text


# --- integers stay within the database's range --------------------------------------------------------


@pytest.mark.parametrize("value", [*HUGE, 0, -1])
def test_ids_in_paths_are_bounded(client, world, value):
    assert_error(client.get(f"{API}/records/{value}/repair-eligibility", headers=ASSISTANT), 400, "VALIDATION_ERROR")
    assert_error(client.post(f"{API}/notifications/{value}/delivered", headers=STAFF), 400, "VALIDATION_ERROR")


def test_the_largest_id_is_simply_not_found(client, world):
    r = client.get(f"{API}/records/{ROW_ID_MAX}/repair-eligibility", headers=ASSISTANT)
    assert_error(r, 404, "RECORD_NOT_FOUND")
    assert_error(
        client.post(f"{API}/notifications/{ROW_ID_MAX}/delivered", headers=STAFF), 404, "NOTIFICATION_NOT_FOUND"
    )


@pytest.mark.parametrize("value", HUGE)
def test_integers_in_queries_are_bounded(client, world, value):
    for params in ({"channel": "sms", "after_id": value}, {"channel": "sms", "limit": value}):
        assert_error(client.get(f"{API}/notifications", params=params, headers=STAFF), 400, "VALIDATION_ERROR")
    assert_error(
        client.get(f"{API}/entities", params={"q": "江城", "limit": value}, headers=ASSISTANT), 400, "VALIDATION_ERROR"
    )
    assert_error(client.get(f"{API}/audit", params={"limit": value}, headers=ADMIN), 400, "VALIDATION_ERROR")


def test_after_id_at_the_bound_is_an_empty_page(client, world):
    r = client.get(f"{API}/notifications", params={"channel": "sms", "after_id": ROW_ID_MAX}, headers=STAFF)
    assert r.status_code == 200 and r.json()["items"] == []


@pytest.mark.parametrize("path, body", [("objections", objection_body), ("repairs", repair_body)])
@pytest.mark.parametrize("value", [*HUGE, 0, 1.5, "1e30", "12abc"])
def test_record_ids_in_bodies_are_bounded(client, world, path, body, value):
    err = assert_error(submit(client, path, body("tg:7101", value)), 400, "VALIDATION_ERROR", "信用记录")
    assert [f["field"] for f in err["details"]["fields"]] == ["record_id"]


# --- dates the rules do not cover -------------------------------------------------------------------------


@pytest.mark.parametrize("on", ["0001-01-01", "1999-12-31", "day-before"])
def test_eligibility_before_the_rules_apply_names_the_first_day(client, world, on):
    first = first_rules_day()
    if on == "day-before":
        on = first.fromordinal(first.toordinal() - 1).isoformat()
    record_id = world.records["repairable"].id
    r = client.get(f"{API}/records/{record_id}/repair-eligibility", params={"on": on}, headers=ASSISTANT)
    err = assert_error(r, 400, "VALIDATION_ERROR", format_cn_date(first), "起施行")
    assert err["details"]["earliest_date"] == first.isoformat()
    assert [f["field"] for f in err["details"]["fields"]] == ["on"]


def test_eligibility_on_the_first_day_and_far_ahead_answers(client, world):
    record_id = world.records["repairable"].id
    for on in (first_rules_day().isoformat(), "9999-12-31"):
        r = client.get(f"{API}/records/{record_id}/repair-eligibility", params={"on": on}, headers=ASSISTANT)
        assert r.status_code == 200, r.text
        assert r.json()["evaluated_on"] == on


@pytest.mark.parametrize("on", ["2026-02-30", "10000-01-01", "yesterday", "-1", "2026-1-1x"])
def test_malformed_dates_are_400(client, world, on):
    r = client.get(
        f"{API}/records/{world.records['repairable'].id}/repair-eligibility", params={"on": on}, headers=STAFF
    )
    assert_error(r, 400, "VALIDATION_ERROR")


# --- wrong shapes and odd strings ----------------------------------------------------------------------

JSON_ROUTES = [
    "/bindings/start",
    "/bindings/verify",
    "/applications/registrations",
    "/applications/commitments",
    "/applications/objections",
    "/applications/repairs",
    "/handoffs",
]


@pytest.mark.parametrize("route", JSON_ROUTES)
@pytest.mark.parametrize("body", [[], [1, 2], "text", 12, None, {"sender_id": ["tg:1"], "uscc": {"a": 1}}])
def test_json_of_the_wrong_shape_is_400(client, world, route, body):
    headers = {**ASSISTANT, "Idempotency-Key": "shape-test"}
    assert_error(client.post(f"{API}{route}", json=body, headers=headers), 400, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    "content, content_type",
    [
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "application/json"),
        (b'{"sender_id": "\xff\xfe"}', "application/json"),
        (b'{"sender_id": "tg:1", "record_id": ' + b"9" * 5000 + b"}", "application/json"),
        (b"garbage", "multipart/form-data; boundary=zz"),
        (b"garbage", "multipart/form-data"),
    ],
)
def test_bodies_that_cannot_be_parsed_are_400(client, world, content, content_type):
    headers = {**ASSISTANT, "Content-Type": content_type, "Idempotency-Key": "parse-test"}
    for route in ("/applications/objections", "/applications/XX-20261126-0001/attachments"):
        r = client.post(f"{API}{route}", content=content, headers=headers)
        assert_error(r, 400, "VALIDATION_ERROR")


def test_a_decision_with_an_array_body_is_400(client, world):
    r = client.post(f"{API}/applications/SQ-20261126-0001/decision", json=[{"action": "accept"}], headers=STAFF)
    assert_error(r, 400, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    "text", ["x" * 20_000, "\x01\x02\x7f", "😀" * 1000, "'; DROP TABLE entities; --", '%s%n%x"*', "\u202eڪ" * 500]
)
def test_odd_strings_in_queries_and_paths_are_answered(client, world, text):
    in_path = quote(text, safe="")
    answers = [
        client.get(f"{API}/entities", params={"q": text}, headers=ASSISTANT),
        client.get(f"{API}/uscc/check", params={"code": text}, headers=ASSISTANT),
        client.get(f"{API}/entities/{in_path}", headers=ASSISTANT),
        client.get(f"{API}/entities/{JIANGCHENG}/records", params={"category": text}, headers=ASSISTANT),
        client.get(f"{API}/applications/{in_path}", headers=STAFF),
        client.get(f"{API}/applications", params={"uscc": text, "status": text}, headers=STAFF),
        client.get(f"{API}/handoffs", params={"status": text}, headers=STAFF),
        client.get(f"{API}/notifications", params={"channel": text}, headers=STAFF),
        client.delete(f"{API}/bindings/{in_path}", params={"sender_id": "tg:7103"}, headers=ASSISTANT),
    ]
    for r in answers:
        assert r.status_code < 500, (r.request.url, r.text)
        if r.status_code >= 400:
            assert set(r.json()["error"]) == {"code", "message", "details"}


@pytest.mark.parametrize("text", ["\x00", "abc\x00", "\x00\x01\x02", "江城\x00建材"])
def test_nul_in_a_query_or_path_is_400(client, world, text):
    # SQLite's full-text search reads NUL as the end of the phrase; PostgreSQL refuses NUL in text.
    for r in (
        client.get(f"{API}/entities", params={"q": text}, headers=ASSISTANT),
        client.get(f"{API}/applications", params={"status": text}, headers=STAFF),
        client.get(f"{API}/entities/{quote(text, safe='')}/report", headers=ASSISTANT),
    ):
        assert_error(r, 400, "VALIDATION_ERROR", "控制字符")


def test_nul_in_a_json_string_is_400(client, world):
    for body in (
        {"sender_id": "tg:7104", "summary": "请帮忙\x00"},
        {"sender_id": "tg:7104", "summary": "请帮忙", "uscc": "\x00"},
    ):
        r = client.post(f"{API}/handoffs", json=body, headers=ASSISTANT)
        err = assert_error(r, 400, "VALIDATION_ERROR", "含有不允许的控制字符")
        assert len(err["details"]["fields"]) == 1


def test_a_json_body_over_the_limit_is_413(client, world):
    body = {"sender_id": "tg:7102", "summary": "x" * (2 * 1024 * 1024)}
    assert_error(client.post(f"{API}/handoffs", json=body, headers=ASSISTANT), 413, "REQUEST_TOO_LARGE", "请求内容太大")
