"""assistant_core/rasa_compat.py against the installed Rasa, and that no other module reaches into Rasa.

The policy and tracker-store comparisons with Rasa's own classes (test_policies.py, test_tracker_store.py)
run through these accessors too.
.venv-rasa/bin/python -m pytest tests/core/test_rasa_compat.py
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import logging
import re
from pathlib import Path

import pytest
from rasa.core.policies.rule_policy import RULES
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from assistant_core import rasa_compat
from assistant_core.importer import RetrievalIntentsImporter
from assistant_core.policies import RecentTurnsRulePolicy
from assistant_core.rasa_compat import PrivateMember, RasaCompatibilityError
from tests.core.support import ROOT

SOURCES = sorted([*(ROOT / "assistant_core").glob("*.py"), *(ROOT / "assistant_nlu").glob("*.py")])
COMPAT = ROOT / "assistant_core" / "rasa_compat.py"
# Public methods of namedtuples, which start with an underscore so as not to clash with field names.
NAMEDTUPLE_API = frozenset({"_asdict", "_field_defaults", "_fields", "_make", "_replace"})
HOOKS = {hook.name for hook in rasa_compat.OVERRIDDEN_HOOKS}
DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, apply_repair]
slots:
  uscc: {type: text, mappings: [{type: custom}]}
responses:
  utter_greet: [{text: 你好}]
forms:
  repair_form: {required_slots: [uscc]}
"""
)


# --- the installed Rasa -----------------------------------------------------------------------


def test_the_installed_rasa_and_rasa_sdk_are_the_tested_ones() -> None:
    rasa_compat.require_rasa()
    rasa_compat.require_rasa_sdk()
    for member in (*rasa_compat.ACCESSED, *rasa_compat.OVERRIDDEN_HOOKS):
        assert rasa_compat.member_problem(member) is None


def test_clean_state_is_the_state_rasa_keeps() -> None:
    events = [
        ActionExecuted("action_listen"),
        UserUttered("我要修复", {"name": "apply_repair", "confidence": 1.0}),
        ActionExecuted("repair_form"),
        ActiveLoop("repair_form"),
        SlotSet("uscc", "91220202MA0Y3K7Q6L"),
    ]
    tracker = DialogueStateTracker.from_events("compat", events, DOMAIN.slots)
    state = rasa_compat.clean_state(DOMAIN, DOMAIN.get_active_state(tracker))
    assert state == tracker.past_states(DOMAIN)[-1]
    assert state["active_loop"] == {"name": "repair_form"}


def test_rule_key_states_read_a_rule_policy_lookup(tmp_path: Path) -> None:
    states = [{}, {"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}]
    key = json.dumps(states, sort_keys=True)
    policy = RecentTurnsRulePolicy(
        RecentTurnsRulePolicy.get_default_config(),
        LocalModelStorage(tmp_path),
        Resource("policy"),
        ExecutionContext(GraphSchema({})),
        lookup={RULES: {key: "utter_greet"}},
    )
    assert rasa_compat.rule_key_states(policy, key) == states
    assert policy.window() == len(states) + 1


@pytest.mark.parametrize(
    "event",
    [
        SlotSet("uscc", "91220202MA0Y3K7Q6L"),
        UserUttered("你好", {"name": "greet", "confidence": 1.0}),
        ActiveLoop(None),
    ],
)
def test_event_from_parameters_rebuilds_as_rasa_does(event: Event) -> None:
    data = event.as_dict()
    rebuilt = rasa_compat.event_from_parameters(type(event), data)
    assert rebuilt == Event.from_parameters(data) == event


def test_max_event_history() -> None:
    assert rasa_compat.max_event_history(DialogueStateTracker("a", [])) is None
    assert rasa_compat.max_event_history(DialogueStateTracker("b", [], max_event_history=5)) == 5


def test_the_importer_finds_stories_rules_and_test_stories() -> None:
    importer = RetrievalIntentsImporter(training_data_paths=[str(ROOT / "data"), str(ROOT / "tests" / "stories")])
    stories = {Path(p).relative_to(ROOT).parts[:2] for p in rasa_compat.story_files(importer)}
    tests = {Path(p).relative_to(ROOT).parts[0] for p in rasa_compat.conversation_test_files(importer)}
    assert ("data", "rules") in stories
    assert tests == {"tests"}


# --- the checks themselves --------------------------------------------------------------------


def test_another_version_stops_with_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(rasa_compat.ALLOW_UNTESTED_ENV, raising=False)
    with pytest.raises(RasaCompatibilityError, match=r"rasa 3\.7\.0 is installed.*tested with rasa 3\.6\.21"):
        rasa_compat.check_version("rasa", "3.7.0", "3.6.21")
    rasa_compat.check_version("rasa", "3.6.21", "3.6.21")


def test_rasa_sdk_may_be_a_later_patch_release(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(rasa_compat.ALLOW_UNTESTED_ENV, raising=False)
    rasa_compat.check_version("rasa_sdk", "3.6.5", "3.6.2", later_patches=True)
    for other in ("3.6.1", "3.7.0", "4.0.0"):
        with pytest.raises(RasaCompatibilityError, match=r"tested with rasa_sdk 3\.6\.2 or a later 3\.6\.x only"):
            rasa_compat.check_version("rasa_sdk", other, "3.6.2", later_patches=True)
    with pytest.raises(RasaCompatibilityError):
        rasa_compat.check_version("rasa", "3.6.22", "3.6.21")


def test_the_tested_versions_are_the_pinned_ones() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'"rasa[jieba]=={rasa_compat.TESTED_RASA}"' in pyproject
    assert f'"rasa-sdk~={rasa_compat.TESTED_RASA_SDK}"' in pyproject


def test_another_version_only_warns_when_allowed(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(rasa_compat.ALLOW_UNTESTED_ENV, "1")
    with caplog.at_level(logging.WARNING, logger=rasa_compat.__name__):
        rasa_compat.check_version("rasa", "3.7.0", "3.6.21")
    assert "rasa 3.7.0 is installed" in caplog.text


def test_a_missing_or_changed_member_is_reported() -> None:
    owner = "rasa.shared.core.domain:Domain"
    assert "no longer exists" in str(rasa_compat.member_problem(PrivateMember(owner, "_gone")))
    changed = rasa_compat.member_problem(PrivateMember(owner, "_clean_state", parameters=("state", "extra")))
    assert changed == "rasa.shared.core.domain.Domain._clean_state now takes ('state',), not ('state', 'extra')"


# --- nothing else reaches into Rasa -------------------------------------------------------------


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _own_names(cls: ast.ClassDef) -> set[str]:
    """Names a class defines itself: its methods and class attributes, and what it assigns to ``self.``."""
    names = {n.name for n in cls.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    for statement in cls.body:
        if isinstance(statement, ast.Assign | ast.AnnAssign):
            names.update(n.id for n in ast.walk(statement) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    for node in ast.walk(cls):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and _is_self(node.value):
            names.add(node.attr)
    return names


def _is_self(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id in ("self", "cls")
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"


def private_uses(path: Path) -> list[str]:
    """Private attributes of other objects (Rasa's), and private imports, that ``path`` uses."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    owner: dict[ast.AST, ast.ClassDef] = {}
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        for node in ast.walk(cls):
            owner.setdefault(node, cls)  # outer classes first; nested ones are not used here
    problems = []
    for node in ast.walk(tree):
        where = f"{path.name}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            parts = (node.module or "").split(".") + [a.name for a in node.names]
            if any(_private(part) for part in parts):
                problems.append(f"{where} private import from {node.module}")
        if not isinstance(node, ast.Attribute) or not _private(node.attr) or node.attr in NAMEDTUPLE_API:
            continue
        cls = owner.get(node)
        if _is_self(node.value) and cls is not None and (node.attr in _own_names(cls) or node.attr in HOOKS):
            continue
        problems.append(f"{where} {ast.unparse(node)}")
    return problems


@pytest.mark.parametrize("path", [p for p in SOURCES if p != COMPAT], ids=lambda p: p.parent.name + "/" + p.name)
def test_private_rasa_attributes_are_used_through_the_compat_module_only(path: Path) -> None:
    assert private_uses(path) == []


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.parent.name + "/" + p.name)
def test_own_private_names_do_not_override_rasas_unless_declared(path: Path) -> None:
    """A ``_name`` a project class defines that a Rasa base class has too overrides Rasa internals: it must
    be one of the hooks the compat module checks."""
    module = importlib.import_module(_module_name(path))
    tree = ast.parse(path.read_text(encoding="utf-8"))
    problems = []
    for node in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        cls = getattr(module, node.name)
        rasa_bases = [b for b in inspect.getmro(cls)[1:] if b.__module__.split(".")[0] in ("rasa", "rasa_sdk")]
        for name in filter(_private, _own_names(node)):
            if not any(name in vars(base) or _assigns(base, name) for base in rasa_bases):
                continue
            hooks = [h for h in rasa_compat.OVERRIDDEN_HOOKS if h.name == name]
            if not any(issubclass(cls, rasa_compat.resolve_owner(h.owner)) for h in hooks):
                problems.append(f"{node.name}.{name} overrides a Rasa member of that name")
    assert problems == []


def _assigns(cls: type, name: str) -> bool:
    """Whether the source of ``cls`` sets or reads ``self.<name>`` (an instance attribute of Rasa's)."""
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return False
    return re.search(rf"\bself\.{re.escape(name)}\b", source) is not None


@pytest.mark.parametrize("path", [p for p in SOURCES if p != COMPAT], ids=lambda p: p.parent.name + "/" + p.name)
def test_users_of_the_compat_module_check_rasa_when_imported(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    uses = any(
        isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "rasa_compat"
        for n in ast.walk(tree)
    )
    top_level_calls = {ast.unparse(n.value) for n in tree.body if isinstance(n, ast.Expr)}
    if uses:
        assert "rasa_compat.require_rasa()" in top_level_calls
