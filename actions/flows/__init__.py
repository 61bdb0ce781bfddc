"""Every service flow of the assistant, declared once.

A flow is one Rasa form and everything around it: the intent that starts it, its questions (the form's
required slots), the label users and staff read ("您正在办理“信用修复”", the hand-off summary, "我们继续办理…"
after identity binding), the title of the button that starts it (menu, FAQ answers, disambiguation), the FAQ
topics that explain it (their answers end with that button, and "那我现在就申请" then starts it), whether the
sender must be bound to the entity first, and, for submissions, the application kind and API path, the summary
shown before the confirmation and the submit action.

The Rasa files that only repeat these facts are generated from here by ``actions/flows/generate.py``
(``make flows``, ``python -m actions.flows generate``; ``--check`` fails when they are stale).

Standard library only and Python 3.10, so the generator runs without Rasa and both environments can import
it. Code is referenced by name (``"module:attribute"``) and resolved by the actions when they need it.
"""

from __future__ import annotations

from dataclasses import dataclass

TEXT = "text"  # a free-text answer
YES_NO = "yes_no"  # affirm / deny, or a free-text yes or no

#: The form that verifies the sender's identity; flows with ``needs_binding`` hand over to it and resume.
BINDING_FORM = "binding_form"

#: "那我现在就申请" after an FAQ answer: the action decides which flow the answer was about and sets the slot, which
#: the generated rules read to start that flow's form (actions/faq.py).
START_THAT_SERVICE = "start_that_service"
START_THAT_SERVICE_ACTION = "action_start_that_service"
SERVICE_TO_START = "service_to_start"


@dataclass(frozen=True)
class Interruption:
    """An intent answered the same way inside every form."""

    intent: str
    title: str  # in the rule's name
    action: str  # the answer
    #: "continue": answer, then ask the open question again; "answer_then_stop" / "stop_then_answer":
    #: leave the form after / before answering.
    mode: str = "continue"


#: Inside any form these intents are answered instead of filling the open question (the same list is the
#: ``not_intent`` of every free-text question).
INTERRUPTIONS: tuple[Interruption, ...] = (
    Interruption("faq", "faq", "utter_faq"),
    Interruption("help", "help", "action_show_help"),
    Interruption("bot_challenge", "bot_challenge", "utter_iamabot"),
    Interruption("out_of_scope", "out_of_scope", "utter_out_of_scope_in_form"),
    Interruption("cancel", "cancel", "action_cancel", "stop_then_answer"),
    Interruption("human_handoff", "hand-off", "action_handoff", "answer_then_stop"),
)


@dataclass(frozen=True)
class FormSlot:
    """A question some form asks: how the user's answer fills the slot."""

    answer: str = TEXT
    #: Filled from this entity in any turn of a form that asks it (not only when it is the open question).
    entity: str | None = None
    #: Filled from these entities in any turn, inside or outside a form.
    anywhere: tuple[str, ...] = ()
    #: The answer is a sentence in the user's own words (a reason, a measure taken): a statement that the NLU
    #: takes for an FAQ question still answers it (actions/forms_base.py); only a question interrupts.
    statement: bool = False


#: Every slot a form asks, by name.
FORM_SLOTS: dict[str, FormSlot] = {
    "uscc": FormSlot(anywhere=("uscc", "org_name")),
    "otp_code": FormSlot(),
    # The in-person identity check at the counter (staff senders, instead of the one-time code).
    "id_document_type": FormSlot(entity="id_document_type"),
    "id_last4": FormSlot(),
    "authorization_letter": FormSlot(YES_NO),
    "info_category": FormSlot(entity="info_category"),
    "reg_field_value": FormSlot(statement=True),
    "reg_truthful": FormSlot(YES_NO),
    "confirmed": FormSlot(YES_NO),
    "commitment_type": FormSlot(entity="commitment_type"),
    "commitment_matter": FormSlot(statement=True),
    "missing_materials": FormSlot(statement=True),
    "materials_due": FormSlot(),
    "commitment_accepted": FormSlot(YES_NO),
    "record_id": FormSlot(entity="record_id"),
    "objection_reason": FormSlot(statement=True),
    "requested_outcome": FormSlot(entity="requested_outcome"),
    "corrective_action": FormSlot(statement=True),
    "obligations_fulfilled": FormSlot(YES_NO),
    "commitment_signed": FormSlot(YES_NO),
    # Checking a credit report (核验报告): number and code, both taken from any message that carries them.
    "report_no": FormSlot(anywhere=("report_no",)),
    "verification_code": FormSlot(anywhere=("verification_code",)),
}


@dataclass(frozen=True)
class Submission:
    """What a submission flow files with the backend."""

    kind: str  # the application kind (registration, commitment, objection, repair)
    path: str  # POST /api/v1/applications/<path>
    summary: str  # "module:function": slots → the summary shown before the confirmation
    action: str  # "module:Class": the submit action (run again by "重试" after an outage)


@dataclass(frozen=True)
class Flow:
    """One service flow (see the module docstring)."""

    name: str  # short name, the prefix of its rules
    form: str
    intent: str  # starts the form
    label: str  # the one name users and staff read
    title: str  # the button that starts it ("申请信用修复")
    slots: tuple[str, ...]  # the form's required slots, in order
    final_action: str  # runs when the form completes
    needs_binding: bool = False  # the sender must be bound to the entity (else: binding_form, then resume)
    uscc_question: str | None = None  # the entity question; None: the submission question with bound entities
    submission: Submission | None = None
    #: Slots the flow fills besides its questions; cleared with them when the flow ends.
    scratch_slots: tuple[str, ...] = ()
    #: Questions asked only at the counter, of staff senders (``staff:<account>``); others skip them.
    counter_slots: tuple[str, ...] = ()
    #: The FAQ topics (faq/<topic>, data/responses/faq.yml) that explain this service: outside a form their answer
    #: is followed by this flow's button, and "那我现在就申请" (start_that_service) right after starts it
    #: (actions/faq.py).
    faq_topics: tuple[str, ...] = ()
    #: After a query about an entity, the entity question offers that entity first ("为「X」办理…吗？").
    offers_last_entity: bool = True


FLOWS: tuple[Flow, ...] = (
    Flow(
        name="query",
        form="query_form",
        intent="query_credit",
        label="信用查询",
        title="查询信用状况",
        slots=("uscc",),
        final_action="action_query_credit",
        # The query offers the last entity as a "再看" button instead: a new query is usually about another one.
        offers_last_entity=False,
        uscc_question="请告诉我要查询的主体名称或统一社会信用代码。",
    ),
    Flow(
        name="report",
        form="report_form",
        intent="request_credit_report",
        label="信用报告",
        title="出具信用报告",
        slots=("uscc",),
        final_action="action_credit_report",
        faq_topics=("credit_report_get", "credit_report_use"),
        uscc_question="请告诉我要出具信用报告的主体名称或统一社会信用代码。",
    ),
    Flow(
        name="verify_report",
        form="report_verification_form",
        intent="verify_report",
        label="报告核验",
        title="核验信用报告",
        slots=("report_no", "verification_code"),
        final_action="action_verify_report",
        faq_topics=("report_verification",),
    ),
    Flow(
        name="binding",
        form=BINDING_FORM,
        intent="bind_entity",
        label="身份验证",
        title="验证企业身份",
        # At the counter the staff member checks the representative's document in person instead of the
        # one-time code (actions/binding.py): document type, last four characters, letter of authorisation.
        slots=("uscc", "id_document_type", "id_last4", "authorization_letter", "otp_code"),
        counter_slots=("id_document_type", "id_last4", "authorization_letter"),
        final_action="action_complete_binding",
        faq_topics=("binding_why",),
        uscc_question="请提供您要验证身份的主体的统一社会信用代码（或名称）。",
    ),
    Flow(
        name="registration",
        form="registration_form",
        intent="voluntary_registration",
        label="自愿注册",
        title="自愿注册信用信息",
        slots=("uscc", "info_category", "reg_field_value", "reg_truthful", "confirmed"),
        final_action="action_submit_registration",
        faq_topics=("voluntary_registration",),
        needs_binding=True,
        submission=Submission(
            "registration",
            "registrations",
            "actions.registration:registration_summary",
            "actions.registration:ActionSubmitRegistration",
        ),
        scratch_slots=("reg_fields", "reg_field_labels"),
    ),
    Flow(
        name="commitment",
        form="commitment_form",
        intent="make_commitment",
        label="信用承诺",
        title="作出信用承诺",
        slots=(
            "uscc",
            "commitment_type",
            "commitment_matter",
            "missing_materials",
            "materials_due",
            "commitment_accepted",
            "confirmed",
        ),
        final_action="action_submit_commitment",
        faq_topics=("commitment_what", "commitment_types", "rongque"),
        needs_binding=True,
        submission=Submission(
            "commitment",
            "commitments",
            "actions.commitment:commitment_summary",
            "actions.commitment:ActionSubmitCommitment",
        ),
    ),
    Flow(
        name="objection",
        form="objection_form",
        intent="file_objection",
        label="异议申请",
        title="提出异议",
        slots=("uscc", "record_id", "objection_reason", "requested_outcome", "confirmed"),
        final_action="action_submit_objection",
        faq_topics=("objection_how", "objection_deadline"),
        needs_binding=True,
        submission=Submission(
            "objection",
            "objections",
            "actions.objection:objection_summary",
            "actions.objection:ActionSubmitObjection",
        ),
        scratch_slots=("record_candidates",),
    ),
    Flow(
        name="repair",
        form="repair_form",
        intent="apply_repair",
        label="信用修复",
        title="申请信用修复",
        slots=("uscc", "record_id", "corrective_action", "obligations_fulfilled", "commitment_signed", "confirmed"),
        final_action="action_submit_repair",
        faq_topics=("repair_conditions", "repair_materials", "repair_process", "repair_fee", "repair_periods"),
        needs_binding=True,
        submission=Submission(
            "repair",
            "repairs",
            "actions.repair:repair_summary",
            "actions.repair:ActionSubmitRepair",
        ),
        scratch_slots=("record_candidates",),
    ),
)

BY_FORM: dict[str, Flow] = {flow.form: flow for flow in FLOWS}
BY_INTENT: dict[str, Flow] = {flow.intent: flow for flow in FLOWS}
#: FAQ topic → the flow it explains (each topic explains at most one: tests/actions/test_context.py checks it).
BY_FAQ_TOPIC: dict[str, Flow] = {topic: flow for flow in FLOWS for topic in flow.faq_topics}


# -- look-ups for the actions -------------------------------------------------------------------------


def flow_of(form: str | None) -> Flow | None:
    """The flow of a form name (None for no form or an unknown one)."""
    return BY_FORM.get(form or "")


def flow_of_intent(intent: str | None) -> Flow | None:
    """The flow an intent starts (None for intents that start no form)."""
    return BY_INTENT.get(intent or "")


def flow_of_faq(topic: str | None) -> Flow | None:
    """The flow an FAQ topic explains, e.g. ``objection_how`` → the objection flow (None for general topics)."""
    return BY_FAQ_TOPIC.get(topic or "")


def label(form: str | None) -> str | None:
    """The flow's label, e.g. ``repair_form`` → 信用修复."""
    flow = flow_of(form)
    return flow.label if flow else None


def submission_of(final_action: str) -> tuple[Flow, Submission]:
    """The submission flow whose form ends with ``final_action`` (e.g. ``action_submit_repair``), and what it files."""
    for flow in FLOWS:
        if flow.submission and flow.final_action == final_action:
            return flow, flow.submission
    raise KeyError(f"no submission flow ends with {final_action}")


def application_path(kind: str) -> str:
    """The path segment of POST /api/v1/applications/<segment> for an application kind."""
    for flow in FLOWS:
        if flow.submission and flow.submission.kind == kind:
            return flow.submission.path
    raise KeyError(f"unknown application kind {kind}")


def counter_slots(form: str | None) -> tuple[str, ...]:
    """The questions of a form that only staff senders at the counter are asked."""
    flow = flow_of(form)
    return flow.counter_slots if flow else ()


def question_slots() -> list[str]:
    """Every slot some form asks, then every scratch slot, in declaration order."""
    names = list(FORM_SLOTS)
    for flow in FLOWS:
        names.extend(s for s in flow.scratch_slots if s not in names)
    return names
