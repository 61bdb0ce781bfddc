"""A name typed alone, with the real model: never left unsure (the user is not asked what they meant), and the
whole name is what the actions will look up (assistant_nlu/name_answers.py, credit_backend/rules/org_names.py)."""

from __future__ import annotations

import pytest
from rasa.core.agent import Agent

from credit_backend.rules.org_names import named_alone
from tests.core.support import run

# Invented names of every kind a business has, typed as people answer "which entity?".
NAMES = [
    ("吉林市瑞鑫隆机电设备有限公司", "吉林市瑞鑫隆机电设备有限公司"),
    ("永吉县口前镇老周家粉坊", "永吉县口前镇老周家粉坊"),
    ("磐石市明城镇中心卫生院", "磐石市明城镇中心卫生院"),
    ("「桦甸市金沙河蔬菜种植农民专业合作社」", "桦甸市金沙河蔬菜种植农民专业合作社"),
    ("是船营区德顺源汽车修理厂", "船营区德顺源汽车修理厂"),
    ("昌邑区左家镇新立村股份经济合作社", "昌邑区左家镇新立村股份经济合作社"),
]


@pytest.mark.parametrize(("text", "name"), NAMES)
def test_a_name_alone_is_an_answer_or_a_query_never_a_question_back(agent: Agent, text: str, name: str) -> None:
    result = run(agent.parse_message(text))
    assert result["intent"]["name"] in ("inform", "query_credit"), result["intent_ranking"][:3]
    assert named_alone(result["text"], result.get("entities") or []) == name
