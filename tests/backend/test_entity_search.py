"""Name search as users write names (issue 13): the full registered name, the name without or with another form
of its region prefix, a short name, a name with one wrong character; the exact match first; several matches all
offered. Runs on SQLite (FTS5 trigram) and PostgreSQL (pg_trgm): CREDIT_TEST_DATABASE=sqlite|postgres."""

from __future__ import annotations

import pytest

from tests.backend.api_helpers import API, BLACKLISTED, JIANGCHENG, LAOWANG
from tests.backend.conftest import ASSISTANT
from tests.backend.world import _entity

HUAPICHANG = (
    "昌邑区桦皮厂村股份经济合作社"  # demo case of issue 13: the NLU split it, the search offered 5 of 126 合作社
)


def search(client, q: str, **params) -> dict:
    r = client.get(f"{API}/entities", params={"q": q, **params}, headers=ASSISTANT)
    assert r.status_code == 200, r.text
    return r.json()


def codes(body: dict) -> list[str]:
    return [item["uscc"] for item in body["items"]]


def add(session, uscc: str, name: str, short_name: str) -> str:
    _entity(session, uscc, name, short_name, "13943210019", None)
    session.commit()
    return uscc


@pytest.fixture
def cooperatives(session, world) -> list[str]:
    """Other 合作社 in the city: what a search for the last piece (合作社) used to offer instead."""
    return [
        add(session, f"93220202MA{n}XK2F2{n}", f"昌邑区{zihao}农民专业合作社", f"{zihao}合作社")
        for n, zihao in enumerate(("丰收", "兴农", "金穗", "绿源", "富民", "惠农"), start=1)
    ]


@pytest.mark.parametrize(
    "q",
    [
        HUAPICHANG,
        "桦皮厂村股份经济合作社",  # without the region prefix
        "吉林市昌邑区桦皮厂村股份经济合作社",  # another form of the same prefix
        "吉林省吉林市昌邑区桦皮厂村股份经济合作社",
        "昌邑区 桦皮厂村股份经济合作社",  # a space typed in it
        "昌邑区桦皮厂村股份经济合做社",  # one wrong character
        "桦皮厂村股份经济合做社",  # one wrong character, no prefix
        "桦皮厂合作社",  # the short name
    ],
)
def test_the_registered_name_as_users_write_it_finds_that_entity_alone(client, cooperatives, q):
    body = search(client, q)
    assert codes(body) == [BLACKLISTED]
    assert body["total"] == 1


def test_an_exact_short_name_comes_before_shorter_names_holding_it(client, session, world):
    exact = add(session, "91220202MA1HTL0001", "吉林市恒泰隆商贸有限公司", "恒泰隆")
    holding = add(session, "92220202L00HTL0002", "恒泰隆超市", "恒泰隆超市")
    body = search(client, "恒泰隆")
    assert codes(body) == [exact, holding]
    assert body["total"] == 2


def test_an_exact_full_name_comes_before_longer_names_holding_it(client, session, world):
    branch = add(session, "91220202MA1JCB0003", "吉林市江城建材有限公司昌邑分公司", "江城建材昌邑分公司")
    body = search(client, "吉林市江城建材有限公司")
    assert codes(body) == [JIANGCHENG, branch]


def test_a_name_without_its_prefix_shared_by_two_entities_returns_both(client, session, world):
    city = add(session, "91220200MA1XDS0004", "吉林市鑫达商贸有限公司", "鑫达商贸")
    plain = add(session, "91220200MA1XDS0005", "吉林鑫达商贸有限公司", "鑫达商贸")
    body = search(client, "鑫达商贸有限公司")
    assert set(codes(body)) == {city, plain}
    assert body["total"] == 2
    # The exact full name comes first, the same name under the other form of the city's prefix next; the shared
    # short name finds both, each an exact match.
    assert codes(search(client, "吉林鑫达商贸有限公司")) == [plain, city]
    assert codes(search(client, "吉林市鑫达商贸有限公司")) == [city, plain]
    assert set(codes(search(client, "鑫达商贸"))) == {city, plain}


def test_a_prefix_of_another_region_does_not_stand_for_this_one(client, cooperatives):
    # 永吉县 is not 昌邑区: no name of 永吉县 is 桦皮厂村股份经济合作社, and none holds the whole text.
    assert search(client, "永吉县桦皮厂村股份经济合作社")["items"] == []


def test_a_city_prefix_the_name_does_not_have_still_finds_the_rest(client, world):
    # Registered as 船营区老王烧烤店; "吉林市…" is where every entity here is.
    assert codes(search(client, "吉林市老王烧烤店")) == [LAOWANG]


def test_one_wrong_character_in_a_short_name(client, world):
    assert codes(search(client, "江城建林")) == [JIANGCHENG]


def test_the_one_character_search_runs_only_when_nothing_else_matches(client, session, world):
    add(session, "92220204L00LLS0006", "船营区老李烧烤店", "老李烧烤")
    assert codes(search(client, "老王烧烤")) == [LAOWANG]  # not 老李烧烤, one character away
    # Nothing holds 老张烧烤店: both names without their prefix are one character away, and both are offered.
    assert set(codes(search(client, "老张烧烤店"))) == {LAOWANG, "92220204L00LLS0006"}


def test_two_wrong_characters_find_nothing(client, cooperatives):
    assert search(client, "昌邑区桦皮厂村股份经挤合做社") == {"items": [], "total": 0, "total_capped": False}


def test_one_wrong_character_of_a_fragment_is_no_name(client, world):
    # A fragment with a different last character is another name (江城建材厂 is not 江城建材有限公司).
    assert search(client, "江城建材厂")["items"] == []
