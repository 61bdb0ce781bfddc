"""Every category, kind, severity, type code and application number named in actions/, bot/ and data/
exists in the one vocabulary (credit_backend/rules/vocabulary.py) or, for the words policy.yaml owns
(commitment types, registration categories, category aliases), in the policy.

Python files are read with ``ast``: a string is a *claim* about the vocabulary when it is compared with a
record's category, passed as ``category=``, or sits in a tuple/list/set/dict beside a known word of the
same kind (so a tuple that lists 行政处罚 and a misspelt or invented category fails). The NLU data is read
for its entity annotations, synonyms and lookup tables; stories, rules and the domain for entity values.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from credit_backend.policy.loader import load_policy
from credit_backend.rules import vocabulary
from credit_backend.rules.appno import parse_application_no

ROOT = Path(__file__).resolve().parents[2]
PYTHON_DIRS = ("actions", "bot")
DATA_GLOBS = ("data/**/*.yml", "domain/**/*.yml", "domain.yml", "tests/nlu/*.yml")

POLICY = load_policy()
CATEGORIES = frozenset(vocabulary.CATEGORY_NAMES)
SEVERITIES = frozenset(vocabulary.SEVERITIES)
KINDS = frozenset(vocabulary.KIND_NAMES)
TYPE_CODES = frozenset(vocabulary.TYPE_CODES)
COMMITMENT_TYPES = frozenset(POLICY.commitments.types)
INFO_CATEGORIES = frozenset(POLICY.voluntary_registration.categories)
# Words users say for a category: valid as words, never as a category value.
CATEGORY_WORDS = frozenset(POLICY.category_aliases) | frozenset(vocabulary.NAMED_LISTS)
ENTITY_VALUES = {"record_type": CATEGORIES, "commitment_type": COMMITMENT_TYPES, "info_category": INFO_CATEGORIES}

APPNO_LIKE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2})[-_ ]?(20\d{6})[-_ ]?(\d{4})(?![0-9])")
TYPE_CODE_LIKE = re.compile(r"^[A-Z]{2}$")
TYPE_ALTERNATION = re.compile(r"\(((?:[A-Z]{2}\|)+[A-Z]{2})\)")
CJK = re.compile(r"^[\u4e00-\u9fff]+$")


@dataclass(frozen=True)
class Claim:
    where: str
    value: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: “{self.value}” {self.problem}"


# --- Python --------------------------------------------------------------------------------------


def _python_files() -> list[Path]:
    return sorted(p for d in PYTHON_DIRS for p in (ROOT / d).rglob("*.py"))


def _strings(node: ast.AST) -> list[ast.Constant]:
    return [n for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _is_category_ref(node: ast.AST) -> bool:
    """``x.category``, ``x["category"]`` or ``x.get("category")``."""
    if isinstance(node, ast.Attribute):
        return node.attr == "category"
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Constant) and node.slice.value == "category"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        return bool(node.args) and isinstance(node.args[0], ast.Constant) and node.args[0].value == "category"
    return False


def _category_problem(value: str) -> str | None:
    if value in CATEGORIES:
        return None
    if value in vocabulary.NAMED_LISTS:
        return f"is a named list filed under “{vocabulary.NAMED_LISTS[value]}”, not a record category"
    if value in POLICY.category_aliases:
        return f"is an alias of “{POLICY.category_aliases[value]}”, not a record category"
    return "is not a record category of the vocabulary"


def _members(node: ast.AST) -> list[list[str]]:
    """The string members of a collection literal (a dict gives its keys and its values separately)."""
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        groups = [node.elts]
    elif isinstance(node, ast.Dict):
        groups = [[k for k in node.keys if k is not None], node.values]
    else:
        return []
    return [[e.value for e in group if isinstance(e, ast.Constant) and isinstance(e.value, str)] for group in groups]


def _collection_claims(strings: list[str]) -> Iterator[tuple[str, str]]:
    """(value, problem) for members that break the kind of word their neighbours are."""
    if any(s in CATEGORIES for s in strings):
        for s in strings:
            if CJK.match(s) and (problem := _category_problem(s)):
                yield s, problem + " (listed beside record categories)"
    if any(s in SEVERITIES for s in strings) and all(CJK.match(s) and len(s) <= 3 for s in strings):
        yield from ((s, "is not a severity (轻微/一般/严重)") for s in strings if s not in SEVERITIES)
    if any(s in KINDS for s in strings) and all(re.fullmatch(r"[a-z_]+", s) for s in strings):
        yield from ((s, "is not an application kind") for s in strings if s not in KINDS)
    if any(s in TYPE_CODES for s in strings) and all(TYPE_CODE_LIKE.match(s) for s in strings):
        yield from ((s, "is not an application type code") for s in strings if s not in TYPE_CODES)
    if any(s in COMMITMENT_TYPES for s in strings):
        yield from ((s, "is not a commitment type") for s in strings if s.endswith("型") and s not in COMMITMENT_TYPES)


def python_claims(path: Path, rel: Path | None = None) -> Iterator[Claim]:
    rel = rel or path.relative_to(ROOT)
    tree = ast.parse(path.read_text(encoding="utf-8"), str(rel))
    for node in ast.walk(tree):
        where = f"{rel}:{getattr(node, 'lineno', 0)}"
        for group in _members(node):
            for value, problem in _collection_claims(group):
                yield Claim(where, value, problem)
        if isinstance(node, ast.Compare) and any(_is_category_ref(n) for n in (node.left, *node.comparators)):
            for const in _strings(node):
                if const.value != "category" and (problem := _category_problem(const.value)):
                    yield Claim(where, const.value, problem + " (compared with a record's category)")
        for value in _category_values(node):
            if problem := _category_problem(value):
                yield Claim(where, value, problem + " (given as a record's category)")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield from _string_claims(where, node.value)
            value = node.value
            if (
                CJK.match(value)
                and len(value) >= 3
                and re.search(r"(?<!类)型$", value)
                and value not in COMMITMENT_TYPES
            ):
                yield Claim(where, value, "is not a commitment type of policy.yaml")


def _category_values(node: ast.AST) -> list[str]:
    """Strings given as a record's category: ``category="…"`` and ``{"category": "…"}``."""
    pairs: list[tuple[Any, Any]] = []
    if isinstance(node, ast.keyword):
        pairs = [(ast.Constant(node.arg), node.value)]
    elif isinstance(node, ast.Dict):
        pairs = list(zip(node.keys, node.values, strict=True))
    return [
        value.value
        for key, value in pairs
        if isinstance(key, ast.Constant)
        and key.value == "category"
        and isinstance(value, ast.Constant)
        and isinstance(value.value, str)
    ]


def _string_claims(where: str, text: str) -> Iterator[Claim]:
    """Application numbers written anywhere use a type code (and parse); so do alternations like (ZC|CN)."""
    for match in TYPE_ALTERNATION.finditer(text):
        codes = match.group(1).split("|")
        if any(c in TYPE_CODES for c in codes):
            yield from (Claim(where, c, "is not an application type code") for c in codes if c not in TYPE_CODES)
    for match in APPNO_LIKE.finditer(text):
        number = match.group(0)
        if match.group(1).upper() not in TYPE_CODES:
            yield Claim(where, number, "uses an application type code the vocabulary does not have")
        elif parse_application_no(number) is None:
            yield Claim(where, number, "is not a valid application number")


# --- data ----------------------------------------------------------------------------------------

ANNOTATION = re.compile(
    r"\[(?P<text>[^\]]+)\]"
    r"(?:\((?P<entity>\w+)\)|\{\s*\"entity\"\s*:\s*\"(?P<entity2>\w+)\"(?:\s*,\s*\"value\"\s*:\s*\"(?P<value>[^\"]+)\")?[^}]*\})"
)


def _data_files() -> list[Path]:
    return sorted({p for pattern in DATA_GLOBS for p in ROOT.glob(pattern) if p.is_file()})


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _examples(block: str) -> list[str]:
    return [line.strip()[2:].strip() for line in block.splitlines() if line.strip().startswith("- ")]


def nlu_tables() -> tuple[dict[str, str], dict[str, list[str]]]:
    """Synonym example → target, and lookup table name → elements, from data/nlu."""
    synonyms: dict[str, str] = {}
    lookups: dict[str, list[str]] = {}
    for path in sorted((ROOT / "data").rglob("*.yml")):
        for item in _yaml(path).get("nlu") or []:
            if "synonym" in item:
                for example in _examples(item.get("examples") or ""):
                    synonyms[example] = str(item["synonym"])
            if "lookup" in item:
                lookups[str(item["lookup"])] = _examples(item.get("examples") or "")
    return synonyms, lookups


SYNONYMS, LOOKUPS = nlu_tables()
ALL_VALUES = CATEGORIES | COMMITMENT_TYPES | INFO_CATEGORIES


def _entity_value_problem(entity: str, value: str) -> str | None:
    allowed = ENTITY_VALUES[entity]
    resolved = SYNONYMS.get(value, value)
    if resolved in allowed:
        return None
    if entity == "record_type":
        problem = _category_problem(resolved)
        return f"({entity}) {problem}" + ("" if resolved == value else f" (synonym of “{resolved}”)")
    return f"({entity}) is not a value policy.yaml defines for it"


def data_claims(path: Path, rel: Path | None = None) -> Iterator[Claim]:
    rel = rel or path.relative_to(ROOT)
    text = path.read_text(encoding="utf-8")
    for lineno, line in enumerate(text.splitlines(), 1):
        where = f"{rel}:{lineno}"
        for match in ANNOTATION.finditer(line):
            entity = match.group("entity") or match.group("entity2")
            value = match.group("value") or match.group("text")
            if entity in ENTITY_VALUES and (problem := _entity_value_problem(entity, value)):
                yield Claim(where, value, problem)
            if entity == "application_id" and not match.group("value"):
                code = re.sub(r"[^A-Za-z]", "", value.upper().replace("Ｙ", "Y"))[:2]
                if code and code.isascii() and code.upper() not in TYPE_CODES:
                    yield Claim(where, value, "(application_id) uses a type code the vocabulary does not have")
    data = _yaml(path)
    for item in data.get("nlu") or [] if isinstance(data, dict) else []:
        if "synonym" in item and str(item["synonym"]) not in ALL_VALUES:
            yield Claim(f"{rel}", str(item["synonym"]), "is a synonym target no vocabulary or policy defines")
        if item.get("lookup") == "record_type":
            for element in _examples(item.get("examples") or ""):
                target = SYNONYMS.get(element, POLICY.category_aliases.get(element, element))
                if target not in CATEGORIES:
                    yield Claim(f"{rel} (lookup record_type)", element, "resolves to no record category")
    yield from _entity_values_in(rel, data)


def _entity_values_in(rel: Path, node: Any) -> Iterator[Claim]:
    """``record_type: X`` (and the other typed entities) in stories, rules and the domain."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ENTITY_VALUES and isinstance(value, str):
                if problem := _entity_value_problem(key, value):
                    yield Claim(str(rel), value, problem)
            else:
                yield from _entity_values_in(rel, value)
    elif isinstance(node, list):
        for value in node:
            yield from _entity_values_in(rel, value)


# --- the tests -----------------------------------------------------------------------------------


def _report(claims: list[Claim]) -> str:
    return "\n".join(str(c) for c in claims)


def test_python_names_only_vocabulary_words() -> None:
    claims = [c for path in _python_files() for c in python_claims(path)]
    assert not claims, _report(claims)


def test_data_names_only_vocabulary_words() -> None:
    claims = [c for path in _data_files() for c in data_claims(path)]
    assert not claims, _report(claims)


def test_the_scanners_see_the_data() -> None:
    """Guard against a scanner that silently matches nothing."""
    annotated = [
        m
        for path in _data_files()
        for m in ANNOTATION.finditer(path.read_text(encoding="utf-8"))
        if "record_type" in m.group(0)
    ]
    assert len(annotated) > 50
    assert SYNONYMS["黑名单"] == "严重失信主体名单" and "处罚" in LOOKUPS["record_type"]
    assert len(_python_files()) > 20


def test_nlu_synonyms_agree_with_the_policy_aliases() -> None:
    """A word both the NLU and policy.yaml map to a category must map to the same one."""
    both = {w: (SYNONYMS[w], POLICY.category_aliases[w]) for w in SYNONYMS.keys() & POLICY.category_aliases.keys()}
    disagree = {w: pair for w, pair in both.items() if pair[0] != pair[1]}
    assert both and not disagree
    named = {w: (SYNONYMS[w], t) for w, t in vocabulary.NAMED_LISTS.items() if w in SYNONYMS}
    assert all(nlu == target for nlu, target in named.values()), named


# The scanner itself: the drifted tuple of actions/records.py and other slips must be caught.
SLIPS = {
    'NEGATIVE = ("行政处罚", "严重失信主体名单", "其他失信信息", "失信被执行人")': ["其他失信信息", "失信被执行人"],
    'ok = record.get("category") == "行政处法"': ["行政处法"],
    'ok = r["category"] in ("经营异常名录", "其他")': ["经营异常名录"],
    'CreditRecord(category="红名单")': ["红名单"],
    'LEVELS = ("轻微", "较重")': ["较重"],
    'KINDS = {"objection": 1, "repairs": 2}': ["repairs"],
    'NUMBER = re.compile(r"(ZC|CN|YY|XY)")': ["XY"],
    'CODES = ("ZC", "XY")': ["XY"],
    'TEXT = "例如 XY-20261126-0003"': ["XY-20261126-0003"],
    'RONGQUE = "容缺办理型"': ["容缺办理型"],
}


@pytest.mark.parametrize("source", list(SLIPS))
def test_the_scanner_catches_slips(tmp_path: Path, source: str) -> None:
    path = tmp_path / "probe.py"
    path.write_text(source + "\n", encoding="utf-8")
    assert sorted({c.value for c in python_claims(path, Path("bot/probe.py"))}) == sorted(SLIPS[source])


def test_the_scanner_catches_data_slips(tmp_path: Path) -> None:
    path = tmp_path / "probe.yml"
    typo = '[其他失信]{"entity": "record_type", "value": "其他失信信息"}'
    path.write_text(f"nlu:\n- intent: x\n  examples: |\n    - 查一下有没有{typo}记录\n", encoding="utf-8")
    assert [c.value for c in data_claims(path, Path("data/nlu/probe.yml"))] == ["其他失信信息"]
