"""A reviewed conversation becomes a Rasa test story (training/stories.py): its messages as typed but scrubbed,
the corrected intents, the actions, slots and forms as they happened; saved under tests/stories/reviewed/."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from tests.training.conversations import USCC, Detail, binding_conversation, chat_conversation, entity
from training.stories import StoryError, save_story, story_from_conversation

ROOT = Path(__file__).resolve().parents[2]


def steps(story_yaml: str) -> list[dict]:
    data = yaml.safe_load(story_yaml)
    assert data["version"] == "3.1" and len(data["stories"]) == 1
    return data["stories"][0]["steps"]


def test_a_conversation_becomes_a_story_with_its_corrections_and_without_personal_data():
    detail = binding_conversation(42)
    first_message = detail.data["messages"][0]["id"]
    story = story_from_conversation(detail.data, "会话42：认证时输错一次验证码", {first_message: "bind_entity"})
    assert yaml.safe_load(story)["stories"][0]["story"] == "会话42：认证时输错一次验证码"
    assert steps(story) == [
        {"user": "我叫张三丰，想认证一下我们企业，手机13800000000\n", "intent": "bind_entity"},
        {"action": "binding_form"},
        {"active_loop": "binding_form"},
        {"slot_was_set": [{"requested_slot": "uscc"}]},
        {"user": f"代码是[{USCC}](uscc)\n", "intent": "inform"},
        {"action": "binding_form"},
        {"slot_was_set": [{"uscc": USCC}, {"requested_slot": "otp_code"}]},
        {"user": "123456\n", "intent": "inform"},
        {"action": "binding_form"},
        {"slot_was_set": [{"otp_code": None}]},
        {"user": "验证码是 123456\n", "intent": "inform"},
        {"action": "binding_form"},
        {"slot_was_set": [{"otp_code": "已验证"}]},
        {"active_loop": None},
        {"slot_was_set": [{"requested_slot": None}]},
        {"action": "action_complete_binding"},
        {"slot_was_set": [{"pending_form": None}]},
    ]
    for personal in ("王建国", "13912345678", "482913", "583024"):
        assert personal not in story


def test_faq_topics_buttons_brackets_and_slot_values():
    d = Detail(7)
    d.user("罚款交了多久能撤", "apply_repair").action("utter_faq")
    d.user('/inform{"requested_outcome": "更正"}', "inform", [{"entity": "requested_outcome", "value": "更正"}])
    d.action("objection_form").slot("contact", {"name": "本人刘洋", "phone": "13912345678"})
    typed = "查[吉林市江城建材有限公司]的记录"
    d.user(typed, "query_credit", [entity(typed, "吉林市江城建材有限公司", "org_name")])
    d.action("action_query_credit")
    faq_message = d.data["messages"][0]["id"]
    assert steps(story_from_conversation(d.data, "x", {faq_message: "faq/repair_duration"})) == [
        {"user": "罚款交了多久能撤\n", "intent": "faq"},  # the story has the retrieval intent, the NLU data the topic
        {"action": "utter_faq"},
        {"intent": "inform", "entities": [{"requested_outcome": "更正"}]},
        {"action": "objection_form"},
        {"slot_was_set": [{"contact": {"name": "本人张三", "phone": "13800000000"}}]},
        {"user": "查［[吉林市江城建材有限公司](org_name)］的记录\n", "intent": "query_credit"},
        {"action": "action_query_credit"},
    ]


def test_a_conversation_without_a_user_message_is_not_a_story(tmp_path: Path):
    d = Detail(9).action("action_greet_first")
    with pytest.raises(StoryError, match="没有用户消息"):
        save_story(tmp_path, d.data, "空会话")
    assert not (tmp_path / "tests").exists()
    with pytest.raises(StoryError, match="steps"):
        story_from_conversation({"id": 9, "messages": []}, "旧后台", None)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "tests/stories", tmp_path / "tests/stories", ignore=shutil.ignore_patterns("reviewed"))
    return tmp_path


def test_saved_under_reviewed_by_the_day_it_started_in_china_and_never_twice(project: Path):
    detail = chat_conversation(43)  # started 2026-11-29 17:30 UTC: the 30th in Beijing
    path = save_story(project, detail.data, "会话43：问候与政策问答")
    assert path == project / "tests/stories/reviewed/2026-11-30_43.yml"
    assert steps(path.read_text(encoding="utf-8"))[0] == {"user": "你好呀\n", "intent": "greet"}
    with pytest.raises(StoryError, match=re.escape("已保存为测试故事：tests/stories/reviewed/2026-11-30_43.yml")):
        save_story(project, detail.data, "另一个名字")
    other = chat_conversation(44)
    with pytest.raises(
        StoryError,
        match=re.escape("已有名为“会话43：问候与政策问答”的测试故事（tests/stories/reviewed/2026-11-30_43.yml）"),
    ):
        save_story(project, other.data, "会话43：问候与政策问答")
    taken = yaml.safe_load((project / "tests/stories/test_binding.yml").read_text(encoding="utf-8"))["stories"][0]
    with pytest.raises(StoryError, match=re.escape("tests/stories/test_binding.yml")):
        save_story(project, other.data, taken["story"])
    assert sorted(p.name for p in (project / "tests/stories/reviewed").iterdir()) == ["2026-11-30_43.yml"]
