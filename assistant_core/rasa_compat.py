"""Every private Rasa attribute the project uses, in one place, checked against the tested versions.

The custom policy, tracker store and importer lean on Rasa internals that no release promises to
keep. They reach them only through the accessors below (or, for the private hooks they override,
through ``OVERRIDDEN_HOOKS``), and call ``require_rasa()`` when they are imported, that is when Rasa
starts, trains or loads a model: a Rasa other than the tested one stops them there with a clear
error instead of misbehaving later. The action server mirrors rasa_sdk's own start-up and calls
``require_rasa_sdk()`` the same way.

To try another Rasa: set ``ASSISTANT_ALLOW_UNTESTED_RASA=1`` (the version check then only warns; a
missing or changed member still stops), run tests/core (they compare the extensions with Rasa's own
classes), and update ``TESTED_RASA`` here when they pass.

This module imports no Rasa code at import time (the action server must not load Rasa's core).
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rasa.core.actions.action import RemoteAction
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.domain import Domain, State
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.importers.rasa import RasaFileImporter

logger = logging.getLogger(__name__)

# As pinned in pyproject.toml: rasa exactly, rasa-sdk with its later patch releases (tests/core checks both).
TESTED_RASA = "3.6.21"
TESTED_RASA_SDK = "3.6.2"
ALLOW_UNTESTED_ENV = "ASSISTANT_ALLOW_UNTESTED_RASA"


class RasaCompatibilityError(RuntimeError):
    """The installed Rasa (or rasa_sdk) is not the one the project's use of its internals was tested with."""


@dataclass(frozen=True)
class PrivateMember:
    """A private member of a Rasa class that the project uses.

    Members set in ``__init__`` are checked on an instance built from ``instance_args``; ``parameters``
    (for methods) are the parameter names the project relies on, ``self``/``cls`` excluded.
    """

    owner: str  # "module:Class", or "module" for a module-level function
    name: str
    instance_args: tuple[Any, ...] | None = None  # None: a class member
    parameters: tuple[str, ...] | None = None

    def __str__(self) -> str:
        return f"{self.owner.replace(':', '.')}.{self.name}"


# The private members read by the accessors below.
ACCESSED = (
    PrivateMember("rasa.shared.core.domain:Domain", "_clean_state", parameters=("state",)),
    PrivateMember("rasa.core.policies.rule_policy:RulePolicy", "_rule_key_to_state", parameters=("rule_key",)),
    PrivateMember("rasa.shared.core.events:Event", "_from_parameters", parameters=("parameters",)),
    PrivateMember("rasa.shared.core.trackers:DialogueStateTracker", "_max_event_history", ("compat", [])),
    PrivateMember("rasa.shared.importers.rasa:RasaFileImporter", "_story_files", ()),
    PrivateMember("rasa.shared.importers.rasa:RasaFileImporter", "_conversation_test_files", ()),
    PrivateMember(
        "rasa.core.agent", "_pull_model_and_fingerprint", parameters=("model_server", "fingerprint", "model_directory")
    ),
    PrivateMember("rasa.core.actions.action:RemoteAction", "_is_selective_domain_enabled", parameters=()),
)
# Private hooks that project classes override (and call through ``super()``): Rasa must still call them
# with these parameters.
OVERRIDDEN_HOOKS = (
    PrivateMember(
        "rasa.core.policies.rule_policy:RulePolicy",
        "_prediction_states",
        parameters=("tracker", "domain", "use_text_for_last_user_input", "rule_only_data"),
    ),
    PrivateMember(
        "rasa.core.tracker_store:TrackerStore",
        "_stream_new_events",
        parameters=("event_broker", "new_events", "sender_id"),
    ),
)
# Functions and methods of Rasa that the project puts its own in place of: in assistant_core/rasa_server.py, a
# model pulled from the model server is loaded off the worker's event loop; in assistant_core/remote_actions.py,
# the request to the action server carries the conversation's recent turns only, its answer is checked by a validator
# built once and its requests keep their connection until the worker stops.
UPDATE_MODEL_FROM_SERVER = PrivateMember(
    "rasa.core.agent", "_update_model_from_server", parameters=("model_server", "agent")
)
REPLACED_REMOTE_ACTION_CALLS = (
    PrivateMember("rasa.core.actions.action:RemoteAction", "_validate_action_result", parameters=("result",)),
    PrivateMember("rasa.core.actions.action:RemoteAction", "_action_call_format", parameters=("tracker", "domain")),
    PrivateMember(
        "rasa.utils.endpoints:EndpointConfig",
        "request",
        parameters=("method", "subpath", "content_type", "compress", "kwargs"),
    ),
    # Registered by rasa.core.run.serve_application for each worker's stop: the kept sessions are closed after it.
    PrivateMember("rasa.core.run", "close_resources", parameters=("app", "_")),
)
# In assistant_core/tracker_store.py, the error handlers of the wrapper Rasa puts around every tracker store: a
# conversation that cannot be read or stored fails the turn instead of going on in the worker's memory.
STORE_ERROR_HANDLERS = (
    PrivateMember("rasa.core.tracker_store:FailSafeTrackerStore", "on_tracker_store_error", parameters=("error",)),
    PrivateMember(
        "rasa.core.tracker_store:FailSafeTrackerStore", "on_tracker_store_retrieve_error", parameters=("error",)
    ),
)
REPLACED_FUNCTIONS = (UPDATE_MODEL_FROM_SERVER, *REPLACED_REMOTE_ACTION_CALLS, *STORE_ERROR_HANDLERS)


def resolve_owner(owner: str) -> Any:
    """The class named by ``module:Class``, or the module named by ``module``."""
    module, _, name = owner.partition(":")
    return getattr(importlib.import_module(module), name) if name else importlib.import_module(module)


def member_problem(member: PrivateMember) -> str | None:
    """Why ``member`` is not what the project expects of it, or None."""
    cls = resolve_owner(member.owner)
    holder: Any = cls if member.instance_args is None else cls(*member.instance_args)
    if not hasattr(holder, member.name):
        return f"{member} no longer exists"
    if member.parameters is not None:
        params = tuple(p for p in inspect.signature(getattr(holder, member.name)).parameters if p != "self")
        if params != member.parameters:
            return f"{member} now takes {params}, not {member.parameters}"
    return None


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("+")[0].split(".")[:3] if part.isdigit())


def check_version(package: str, installed: str, tested: str, *, later_patches: bool = False) -> None:
    """Raise (or, with ASSISTANT_ALLOW_UNTESTED_RASA=1, warn) when ``installed`` is not ``tested``; with
    ``later_patches``, a later patch release of the same minor version (pyproject's ``~=``) is accepted."""
    if installed == tested:
        return
    got, want = _release(installed), _release(tested)
    if later_patches and got[:2] == want[:2] and got >= want:
        return
    accepted = f"{tested} or a later {'.'.join(map(str, want[:2]))}.x" if later_patches else tested
    message = (
        f"{package} {installed} is installed, but the assistant's use of {package} internals "
        f"(assistant_core/rasa_compat.py) was tested with {package} {accepted} only. Install {package}=={tested} "
        f"(`make install`), or set {ALLOW_UNTESTED_ENV}=1 and run tests/core to check it against {installed}."
    )
    if os.environ.get(ALLOW_UNTESTED_ENV) == "1":
        logger.warning(message)
        return
    raise RasaCompatibilityError(message)


@lru_cache(maxsize=1)
def require_rasa() -> None:
    """Check the installed Rasa: the tested version, and every private member as expected (once per process)."""
    import rasa

    check_version("rasa", rasa.__version__, TESTED_RASA)
    problems = [p for p in map(member_problem, ACCESSED + OVERRIDDEN_HOOKS + REPLACED_FUNCTIONS) if p is not None]
    if problems:
        raise RasaCompatibilityError(
            f"rasa {rasa.__version__} does not have the internals the assistant uses: " + "; ".join(problems)
        )


@lru_cache(maxsize=1)
def require_rasa_sdk() -> None:
    """Check the installed rasa_sdk, whose start-up the action server repeats (once per process)."""
    from rasa_sdk import __version__

    check_version("rasa_sdk", __version__, TESTED_RASA_SDK, later_patches=True)


# --- accessors --------------------------------------------------------------------------------


def clean_state(domain: Domain, state: State) -> State:
    """``Domain._clean_state``: a state without its empty sub-states, as ``past_states`` returns it."""
    return domain._clean_state(state)


def rule_key_states(policy: RulePolicy, rule_key: str) -> list[State]:
    """``RulePolicy._rule_key_to_state``: the states a rule's lookup key stands for."""
    return policy._rule_key_to_state(rule_key)


def event_from_parameters(cls: type[Event], data: dict[str, Any]) -> Event | None:
    """``Event._from_parameters`` of a known event class (no walk over Rasa's class tree)."""
    return cls._from_parameters(data)


def max_event_history(tracker: DialogueStateTracker) -> int | None:
    """``DialogueStateTracker._max_event_history``: the cap on kept events, if any."""
    return tracker._max_event_history


def story_files(importer: RasaFileImporter) -> list[str]:
    """``RasaFileImporter._story_files``: the story and rule files among the training data paths."""
    return list(importer._story_files)


def conversation_test_files(importer: RasaFileImporter) -> list[str]:
    """``RasaFileImporter._conversation_test_files``: the test story files among the training data paths."""
    return list(importer._conversation_test_files)


async def pull_model_and_fingerprint(model_server: Any, fingerprint: str | None, directory: str) -> str | None:
    """``rasa.core.agent._pull_model_and_fingerprint``: downloads the model server's model into ``directory`` unless
    its ETag is ``fingerprint``; the new fingerprint, or None when there is nothing new."""
    from rasa.core import agent

    return await agent._pull_model_and_fingerprint(model_server, fingerprint, directory)


def selective_domain_enabled(action: RemoteAction) -> bool:
    """``RemoteAction._is_selective_domain_enabled``: whether the domain goes only to the actions that need it."""
    return action._is_selective_domain_enabled()


def replace_function(member: PrivateMember, function: Any) -> None:
    """Puts ``function`` in the place of one of REPLACED_FUNCTIONS (before Rasa's workers start)."""
    assert member in REPLACED_FUNCTIONS, member
    setattr(resolve_owner(member.owner), member.name, function)
