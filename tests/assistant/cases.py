"""The entities the end-to-end test of names asks for, picked deterministically from the demo generator."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from credit_backend.demo.generator import NAMED_CASES, CityGenerator
from credit_backend.rules.org_names import split_region
from tests.support.processes import TODAY

CITY_SIZE = 2000  # make demo's city (Makefile: demo-data)
SEED = 42  # the demo generator's default seed
WANTED = 200  # entities besides the named cases


@dataclass(frozen=True)
class Case:
    uscc: str
    name: str
    rest: str  # the name without its region prefix
    kind: str
    region: str
    prefix: str


def _city() -> list[Case]:
    cases = []
    for bundle in CityGenerator(CITY_SIZE, SEED, date.fromisoformat(TODAY)):
        e = bundle.entity
        prefix, rest = split_region(e["name"])
        assert prefix is not None, f"a demo name without a region prefix: {e['name']}"
        cases.append(Case(e["uscc"], e["name"], rest, e["entity_type"], e["region_code"], prefix))
    return cases


def _names_it(text: str, city: list[Case], short_names: dict[str, str]) -> int:
    """How many entities of the city ``text`` could mean: its name holds it, or it is the short name."""
    return sum(1 for c in city if text in c.name or short_names[c.uscc] == text)


def pick_cases() -> tuple[list[Case], list[Case]]:
    """(cases whose name without the prefix is theirs alone, cases whose name without the prefix is shared).

    The named cases first, then round-robin over (kind, region, prefix) groups in a fixed order, the lowest id of
    each group first, until WANTED more have a name without the prefix of their own."""
    city = _city()
    short_names = {
        b.entity["uscc"]: b.entity["short_name"] for b in CityGenerator(CITY_SIZE, SEED, date.fromisoformat(TODAY))
    }
    named = {c.uscc for c in NAMED_CASES}
    groups: dict[tuple[str, str, str], list[Case]] = defaultdict(list)
    for case in city:
        if case.uscc not in named:
            groups[(case.kind, case.region, case.prefix)].append(case)
    alone: list[Case] = []
    shared: list[Case] = []

    def take(case: Case) -> None:
        (alone if _names_it(case.rest, city, short_names) == 1 else shared).append(case)

    for case in city:
        if case.uscc in named:
            take(case)
    queues = [iter(groups[key]) for key in sorted(groups)]
    while len(alone) < len(named) + WANTED and queues:
        for queue in list(queues):
            case = next(queue, None)
            if case is None:
                queues.remove(queue)
            elif len(alone) < len(named) + WANTED:
                take(case)
    return alone, shared
