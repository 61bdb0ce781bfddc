"""Names as users write them (issue 13), in the query flow and in every form that asks for an entity, against the
real backend over the demo city: the NLU's pieces of one name are one name, a message that is nothing but a name
is the name, ordinary words are not names, and the search's answer is taken, or asked about, as the user expects."""

from __future__ import annotations

from typing import Any

from actions.entity_names import exact_choice
from assistant_nlu.canonical import canonicalize_entities
from credit_backend.rules.org_names import bare_name, merge_name_spans
from tests.actions.flows import FILER
from tests.actions.harness import BackendProcess, Chat
from tests.support.processes import ROOT

HUAPICHANG = "昌邑区桦皮厂村股份经济合作社"
HUAPICHANG_CODE = "N2220202MA0Y3K7Q64"
# How the model tagged the full name (issue 13): two pieces, and Rasa fills the slot with the last one.
SPLIT = ("昌邑区桦皮厂村股份", "合作社")


def pieces(text: str, *names: str) -> list[dict[str, Any]]:
    """``org_name`` entities with offsets, as the NLU tags them."""
    found, start = [], 0
    for name in names:
        start = text.index(name, start)
        found.append({"entity": "org_name", "start": start, "end": start + len(name), "value": name})
        start += len(name)
    return found


def tag(chat: Chat, *names: str) -> None:
    """The latest message's entities are these pieces (the harness's messages carry values without offsets)."""
    chat.latest_message["entities"] = pieces(chat.latest_message["text"], *names)


def start_query(chat: Chat, text: str, *names: str) -> Any:
    """A query naming the entity: the NLU tags ``names``; Rasa fills the slot with the last piece."""
    chat.user(text, "query_credit")
    tag(chat, *names)
    chat.apply([{"event": "active_loop", "name": "query_form"}])
    return chat._form_step({"uscc": names[-1]} if names else {})


def answer_name(chat: Chat, text: str, *names: str) -> Any:
    """The answer to "which entity?": pieces tagged, or none (the slot then takes the whole text)."""
    chat.user(text, "inform")
    tag(chat, *names)
    return chat._form_step({"uscc": names[-1] if names else text})


# -- the rules at inference -----------------------------------------------------------------------


def test_the_nlu_pieces_of_one_name_become_the_whole_name() -> None:
    text = f"帮我查一下{HUAPICHANG}的信用"
    merged = canonicalize_entities(text, [{**e, "extractor": "DIETClassifier"} for e in pieces(text, *SPLIT)])
    assert [(e["entity"], e["value"]) for e in merged] == [("org_name", HUAPICHANG)]
    # An untagged region prefix before the name and a legal-form ending after it belong to it.
    text = "查询吉林市江城建材有限公司"
    assert [e["value"] for e in canonicalize_entities(text, pieces(text, "江城建材"))] == ["吉林市江城建材有限公司"]


def test_two_names_stay_two_and_ordinary_words_are_dropped() -> None:
    text = "江城建材和老王烧烤店的信用都查一下"
    assert [text[a:b] for a, b in merge_name_spans(text, [(0, 4), (5, 9)])] == ["江城建材", "老王烧烤店"]
    for text, word in (
        ("北京的公司信用怎么样", "北京"),
        ("建材行业有没有处罚", "建材行业"),
        ("老王让我来查信用", "老王"),
    ):
        assert canonicalize_entities(text, pieces(text, word)) == []


def test_kinds_and_common_words_inside_a_sentence_name_nothing() -> None:
    for text, word in (
        ("我们合作社想签一份信用承诺", "合作社"),  # a kind: which 合作社 is still to be asked
        ("专业合作社能不能自愿注册", "专业合作社"),
        ("那家同名的公司被罚过", "公司"),
        ("工商罚的那一条不对", "工商"),  # one common word of the dictionary
        ("欠款已经结清了", "欠款"),
    ):
        assert canonicalize_entities(text, pieces(text, word)) == [], text
    # Alone, the kind is the answer to "which entity?": the search lists that kind.
    assert [e["value"] for e in canonicalize_entities("合作社", pieces("合作社", "合作社"))] == ["合作社"]
    # Proper names, compounds, and a common word that is an organisation's kind (吉林市图书馆 without its prefix) stay.
    for text, word in (
        ("帮我查查国美的信用", "国美"),
        ("松韵茶庄有没有处罚", "松韵茶庄"),
        ("查询图书馆的信用", "图书馆"),
    ):
        assert [e["value"] for e in canonicalize_entities(text, pieces(text, word))] == [word]


def diet(text: str, *names: str) -> list[str]:
    """The org_name values the canonicaliser makes of these DIET pieces."""
    tagged = [{**e, "extractor": "DIETClassifier"} for e in pieces(text, *names)]
    return [e["value"] for e in canonicalize_entities(text, tagged) if e["entity"] == "org_name"]


def test_words_around_a_name_are_not_part_of_it() -> None:
    # A space or punctuation inside a tagged piece separates words of the sentence (代办 | 茶庄 are common words) …
    assert diet("我是帮人跑腿的 茶庄的事我来办：船营区福源茶庄", "跑腿的 茶庄", "船营区福源茶庄") == ["船营区福源茶庄"]
    assert diet("代办 磐石市红旗饮品店的修复", "代办 磐石市红旗饮品店") == ["磐石市红旗饮品店"]
    # … except after a region prefix, as people type it.
    assert diet("查询昌邑区 兴隆粮油经销部", "昌邑区 兴隆粮油经销部") == ["昌邑区 兴隆粮油经销部"]
    # A name starts with its region prefix: the word before it is not part of it; another prefix is.
    hengxin, hengtong = "吉林市龙潭区恒信化工有限公司", "吉林市昌邑区恒通物流有限公司"
    assert diet(f"绑定{hengxin}", "绑定", hengxin) == [hengxin]
    assert diet(f"查{hengtong}", "吉林市", hengtong.removeprefix("吉林市")) == [hengtong]
    # Two names joined by 和 and tagged as one piece are two names.
    both = f"{hengxin}和{hengtong}"
    assert diet(f"比较{both}的信用", both) == [hengxin, hengtong]
    # A name never starts with its kind: 公司 before a name points at it.
    assert diet("合作方公司金珠花卉有没有处罚", "公司", "金珠花卉") == ["金珠花卉"]
    # One character before a short piece is a word of the sentence (您好|打扰), not a cut-off name.
    assert diet("您好打扰了 查一下江城建材", "打扰", "江城建材") == ["江城建材"]


def test_a_description_of_a_business_is_not_its_name() -> None:
    for text, tagged in (
        ("打算在船营区新开个公司 营业执照怎么办", ("船营区新",)),  # a region prefix and one character
        ("我们在龙潭区开了个熟食店", ("熟食店",)),
        ("老板手里有好几家公司", ("手里", "好几家公司")),
        ("在昌邑区 开 烧烤店", ("昌邑区", "烧烤店")),
        ("做招标代理的想查投标人", ("招标代理",)),
        ("一份保洁公司的信用报告", ("保洁公司",)),
    ):
        assert diet(text, *tagged) == [], text
    # The name after the description stays, and a real name with a kind inside is one name.
    assert diet("我在昌邑区开了个兴隆超市", "兴隆超市") == ["兴隆超市"]
    assert diet("吉林市建材公司有没有处罚", "吉林市", "建材公司") == ["吉林市建材公司"]
    assert diet("个体工商户老王烧烤店有没有处罚", "老王烧烤店") == ["老王烧烤店"]


def test_no_name_in_the_training_data_is_mapped_to_another_value() -> None:
    """What the canonicaliser's dropping of pieces a synonym changed relies on."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(ROOT / "data" / "nlu"))
    names = {e["value"] for m in data.intent_examples for e in m.get("entities") or [] if e["entity"] == "org_name"}
    assert len(names) > 500
    assert {name for name in names if data.entity_synonyms.get(name.lower(), name) != name} == set()


def test_a_synonym_mapped_piece_is_a_service_word() -> None:
    text = "吉林市丰满区松花湖阳光幼儿园想把志愿服务登记上"
    tagged = [{**e, "extractor": "DIETClassifier"} for e in pieces(text, "吉林市丰满区松花湖阳光幼儿园", "志愿服务")]
    tagged[1] |= {"value": "社会公益", "processors": ["EntitySynonymMapper"]}
    assert [e["value"] for e in canonicalize_entities(text, tagged)] == ["吉林市丰满区松花湖阳光幼儿园"]
    # A name the mapper only looked up (in lower case) stays.
    text = "查一下abc trading"
    tagged = [{**e, "value": "ABC Trading", "processors": ["EntitySynonymMapper"]} for e in pieces(text, "abc trading")]
    assert [e["value"] for e in canonicalize_entities(text, tagged)] == ["ABC Trading"]


def test_a_name_ends_with_its_legal_form() -> None:
    text = "帮吉林市船营区万顺建材有限公司开个信用报告"
    tagged = "吉林市船营区万顺建材有限公司开"  # one character too many
    assert [e["value"] for e in canonicalize_entities(text, pieces(text, tagged))] == ["吉林市船营区万顺建材有限公司"]
    text = "查询吉林市万顺建材有限公司河南街分店"
    branch = "吉林市万顺建材有限公司河南街分店"
    assert [e["value"] for e in canonicalize_entities(text, pieces(text, branch))] == [branch]


def test_a_message_that_is_only_a_name_is_the_name() -> None:
    assert bare_name(f" “{HUAPICHANG}” ") == HUAPICHANG
    assert bare_name(f"是{HUAPICHANG}") == HUAPICHANG
    assert bare_name(f"我们是{HUAPICHANG}的") == HUAPICHANG
    assert bare_name("江城建材的。") == "江城建材"
    assert bare_name(f"查询{HUAPICHANG}的信用") is None
    assert bare_name("怎么修复信用？") is None


# -- the query flow --------------------------------------------------------------------------------


def test_a_full_name_split_by_the_nlu_finds_that_entity(chat: Chat) -> None:
    turn = start_query(chat, f"查询{HUAPICHANG}的信用", *SPLIT)
    assert turn.messages == [] and chat.slots["uscc"] == HUAPICHANG_CODE  # no list of 合作社
    profile = chat.run("action_query_credit").messages[0]["text"]
    assert profile.startswith(f"【{HUAPICHANG}】") and HUAPICHANG_CODE in profile


def test_the_bare_name_answering_the_question_is_the_whole_message(chat: Chat) -> None:
    asked = start_query(chat, "查询信用")
    assert "主体名称" in asked.text and chat.requested == "uscc"
    turn = answer_name(chat, HUAPICHANG, *SPLIT)
    assert turn.messages == [] and chat.slots["uscc"] == HUAPICHANG_CODE


def test_the_name_without_its_region_prefix_and_untagged(chat: Chat) -> None:
    start_query(chat, "查询信用")
    turn = answer_name(chat, "桦皮厂村股份经济合作社")
    assert turn.messages == [] and chat.slots["uscc"] == HUAPICHANG_CODE


def test_one_wrong_character_is_corrected_and_said(chat: Chat) -> None:
    start_query(chat, "查询信用")
    turn = answer_name(chat, "昌邑区桦皮厂村股份经济合做社")
    assert chat.slots["uscc"] == HUAPICHANG_CODE
    assert turn.text == f"没有找到“昌邑区桦皮厂村股份经济合做社”，按名称最接近的「{HUAPICHANG}」为您办理。"


def test_a_name_two_entities_share_is_asked_about(chat: Chat, backend: BackendProcess) -> None:
    found = backend.get("/api/v1/entities", q="老孙饭店")["items"]
    assert len(found) == 2  # 船营区老孙饭店 and 丰满区老孙饭店: the same short name in two districts
    turn = start_query(chat, "查询老孙饭店的信用", "老孙饭店")
    assert chat.slots["uscc"] is None and chat.requested == "uscc"
    assert turn.messages[0]["text"] == "找到多个名称包含“老孙饭店”的主体，请选择："
    assert sorted(turn.payloads()) == sorted(f'/inform{{"uscc":"{item["uscc"]}"}}' for item in found)


def test_an_exact_name_among_several_found_is_taken_alone() -> None:
    items = [
        {"uscc": "A", "name": "吉林市恒泰隆商贸有限公司", "short_name": "恒泰隆"},
        {"uscc": "B", "name": "恒泰隆超市", "short_name": "恒泰隆超市"},
    ]
    assert exact_choice(items, "恒泰隆") == items[0]
    assert exact_choice(items, "恒泰") is None  # only part of both names: ask
    assert (
        exact_choice([*items, {"uscc": "C", "name": "吉林恒泰隆物流有限公司", "short_name": "恒泰隆"}], "恒泰隆")
        is None
    )


def test_ordinary_words_are_not_searched(chat: Chat) -> None:
    for text, word in (("查询北京的信用", "北京"), ("查一下老王的信用", "老王"), ("查询餐饮行业的信用", "餐饮行业")):
        turn = start_query(chat, text, word)
        assert turn.messages[0]["text"] == (
            f"“{word}”看起来不是主体名称。请告诉我主体的全称（如“吉林市江城建材有限公司”）、简称，或统一社会信用代码。"
        )
        assert chat.slots["uscc"] is None
        chat.apply([{"event": "active_loop", "name": None}, {"event": "slot", "name": "requested_slot", "value": None}])


# -- every form that asks for an entity ------------------------------------------------------------


def test_a_submission_form_resolves_the_split_name_before_the_binding_check(chat: Chat) -> None:
    text = f"我要对{HUAPICHANG}的处罚提异议"
    chat.user(text, "file_objection")
    tag(chat, *SPLIT)
    chat.apply([{"event": "active_loop", "name": "objection_form"}])
    turn = chat._form_step({"uscc": SPLIT[-1]})
    assert chat.slots["uscc"] == HUAPICHANG_CODE
    assert f"办理前需要先验证您是「{HUAPICHANG}」的经办人" in turn.text


def test_unsubscribing_by_the_name_without_its_prefix(chat: Chat, backend: BackendProcess) -> None:
    for code in (HUAPICHANG_CODE, FILER):
        backend.bind(chat.sender_id, code)
        chat.user(f'/subscribe_reminders{{"uscc":"{code}"}}', "subscribe_reminders", entities={"uscc": code})
        chat.run("action_subscribe_reminders")
    text = "退订桦皮厂村股份经济合作社的提醒"
    chat.user(text, "unsubscribe_reminders")
    tag(chat, "桦皮厂村股份")  # the ending 经济合作社 left untagged
    assert chat.run("action_unsubscribe_reminders").text.startswith(f"已退订「{HUAPICHANG}」的信用提醒")
    assert [s["uscc"] for s in backend.get("/api/v1/subscriptions", sender_id=chat.sender_id)["items"]] == [FILER]
