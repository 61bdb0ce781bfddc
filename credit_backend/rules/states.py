"""The state machine of every application kind, and the refusal of illegal transitions.

Pure data and functions: the services apply a transition and its side effects; this module only
says which transitions exist, where they lead and what each state is called in Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass

from credit_backend.rules.vocabulary import kind as application_kind


@dataclass(frozen=True)
class Transition:
    action: str
    source: str
    target: str
    label: str  # the action in Chinese, for histories and messages


@dataclass(frozen=True)
class Machine:
    kind: str  # an application kind of the vocabulary
    initial: str
    states: dict[str, str]  # state → Chinese label
    transitions: tuple[Transition, ...]
    # Finished states that a later decision may still reverse (a repair decision can be revoked):
    # the application is closed there, yet the reversing transition is allowed.
    closed: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        application_kind(self.kind)  # KeyError for a kind the vocabulary does not know

    @property
    def type_code(self) -> str:
        """The prefix of its application numbers."""
        return application_kind(self.kind).type_code

    @property
    def label(self) -> str:
        """What an application of this kind is called (信用信息自愿注册, 异议申请…)."""
        return application_kind(self.kind).label

    @property
    def terminal(self) -> frozenset[str]:
        sources = {t.source for t in self.transitions}
        return frozenset(s for s in self.states if s not in sources or s in self.closed)

    @property
    def open_states(self) -> tuple[str, ...]:
        return tuple(s for s in self.states if s not in self.terminal)

    def allowed(self, state: str) -> tuple[str, ...]:
        return tuple(t.action for t in self.transitions if t.source == state)

    def is_open(self, state: str) -> bool:
        return state not in self.terminal

    def action_label(self, action: str) -> str:
        """The Chinese name of an action of this machine (the same code means different things per kind)."""
        return next((t.label for t in self.transitions if t.action == action), action)


class IllegalTransition(Exception):
    """An action that the application's current state does not allow."""

    def __init__(self, machine: Machine, state: str, action: str) -> None:
        self.machine, self.state, self.action = machine, state, action
        allowed = "、".join(machine.action_label(a) for a in machine.allowed(state)) or "无（已办结）"
        label = machine.action_label(action)
        what = f"“{label}”" if label != action else f"未知操作“{action}”"
        super().__init__(
            f"{machine.label}当前状态为“{machine.states[state]}”，不能执行{what}。当前可执行的操作：{allowed}"
        )


def step(machine: Machine, state: str, action: str) -> Transition:
    """Return the transition for ``action`` from ``state`` or raise IllegalTransition."""
    for t in machine.transitions:
        if t.source == state and t.action == action:
            return t
    raise IllegalTransition(machine, state, action)


REGISTRATION = Machine(
    kind="registration",
    initial="submitted",
    states={"submitted": "待核验", "verified": "已核验", "rejected": "未通过核验"},
    transitions=(
        Transition("verify", "submitted", "verified", "核验通过"),
        Transition("reject", "submitted", "rejected", "核验不通过"),
    ),
)

COMMITMENT = Machine(
    kind="commitment",
    initial="in_force",
    states={"in_force": "履约中", "fulfilled": "已履约", "breached": "未履约（失信）", "withdrawn": "已撤回"},
    transitions=(
        Transition("fulfil", "in_force", "fulfilled", "确认履约"),
        Transition("breach", "in_force", "breached", "认定未履约"),
        Transition("withdraw", "in_force", "withdrawn", "撤回承诺"),
    ),
)

OBJECTION = Machine(
    kind="objection",
    initial="submitted",
    states={
        "submitted": "已提交，待受理",
        "under_verification": "核查中",
        "rejected_incomplete": "不予受理（材料不全）",
        "corrected": "已更正",
        "withdrawn": "已撤销该记录",
        "upheld": "维持原记录",
    },
    transitions=(
        Transition("accept", "submitted", "under_verification", "受理并核查"),
        Transition("reject_incomplete", "submitted", "rejected_incomplete", "材料不全不予受理"),
        Transition("correct", "under_verification", "corrected", "核实有误，予以更正"),
        Transition("withdraw_record", "under_verification", "withdrawn", "核实有误，撤销记录"),
        Transition("uphold", "under_verification", "upheld", "核实无误，维持记录"),
    ),
)

REPAIR = Machine(
    kind="repair",
    initial="submitted",
    states={
        "submitted": "已提交，待受理",
        "accepted": "已受理，审核中",
        "rejected": "不予受理",
        "approved": "修复完成",
        "denied": "不予修复",
        "revoked": "修复决定已撤销",
    },
    transitions=(
        Transition("accept", "submitted", "accepted", "受理"),
        Transition("reject", "submitted", "rejected", "不予受理"),
        Transition("approve", "accepted", "approved", "同意修复"),
        Transition("deny", "accepted", "denied", "不予修复"),
        # 提供虚假材料、违背信用修复承诺: the decision is revoked, publicity resumes and new applications
        # are barred for policy.yaml repair.revocation_bar.
        Transition("revoke", "approved", "revoked", "撤销修复决定"),
    ),
    closed=frozenset({"approved"}),
)

MACHINES: dict[str, Machine] = {m.kind: m for m in (REGISTRATION, COMMITMENT, OBJECTION, REPAIR)}
