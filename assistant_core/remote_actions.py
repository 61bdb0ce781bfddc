"""How the Rasa server calls the action server: Rasa 3.6.21's calls, with three costs per call taken out.

For every custom action ``rasa.core.actions.action.RemoteAction.run``

* sends the whole conversation (``_action_call_format``: every event of every session), so a call costs more the
  longer the conversation: each user message carries its whole NLU result. ``action_call_format`` sends the events
  of the last ``recent_turns`` user messages (endpoints.yml), after the events that give the slots and the form
  their values at that point; Rasa's current slots, latest message and active form go as before. The actions read
  no further back (the latest message as typed, the previous value of a slot, the last two turns' answers), except
  those listed in ``whole_conversation_actions`` (the hand-off's transcript), which get every event. Without
  ``recent_turns`` every action gets every event, as in Rasa;
* checks the action server's answer with ``jsonschema.validate``, which builds a validator and checks the schema
  itself first, every time: 2.1 ms of a ~2.6 ms call on these machines. ``validate_action_result`` checks the
  same answer against the same schema with one validator built once (0.5 ms);
* sends it through ``EndpointConfig.request``, which opens a new aiohttp session, and so a new TCP connection, per
  call. ``request`` here is Rasa's, except that the requests of one worker share one session per endpoint, so the
  connection is kept. Kept connections are dropped after ``KEEP_ALIVE_SECONDS``, sooner than the action server
  (Sanic, 5 s) or the cluster's proxy (10 s) closes them: a request never goes out on a connection the other side
  is closing. ``close_resources`` closes them when the worker stops, after what Rasa closes then.

The domain is not sent with each call either, but that is Rasa's own option: endpoints.yml enables the selective
domain and the generated domain marks the actions that read it (the form validations) with ``send_domain``.
"""

from __future__ import annotations

import asyncio
import os
import ssl
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

import aiohttp
from aiohttp.client_exceptions import ContentTypeError

from assistant_core.rasa_compat import (
    REPLACED_REMOTE_ACTION_CALLS,
    replace_function,
    resolve_owner,
    selective_domain_enabled,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import Event
    from rasa.shared.core.trackers import DialogueStateTracker

KEEP_ALIVE_SECONDS = 2.0
# Options of action_endpoint in endpoints.yml (see the module docstring).
RECENT_TURNS = "recent_turns"
WHOLE_CONVERSATION_ACTIONS = "whole_conversation_actions"

# Per event loop (each Sanic worker has one; tests may run several), the open sessions by endpoint.
_SESSIONS: WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[Any, ...], aiohttp.ClientSession]] = (
    WeakKeyDictionary()
)


@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with a validator built once: the same check, the same error."""
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(_validator().iter_errors(result))  # the error jsonschema.validate raises
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the Action endpoint "
            f"is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def recent_events(events: Sequence[Event], turns: int) -> list[Event]:
    """The events from the ``turns``-th last user message on, after the events before it that give the slots and the
    active form their values there (each slot's last ``slot`` event, the last ``active_loop`` event, and the restart or
    session start they follow). Every event when there are no more turns, or when a reverted turn before the cut
    would make those values uncertain."""
    from rasa.shared.core.events import (
        ActionReverted,
        ActiveLoop,
        AllSlotsReset,
        Restarted,
        SessionStarted,
        SlotSet,
        UserUtteranceReverted,
        UserUttered,
    )

    users, cut = 0, None
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], UserUttered):
            users += 1
            if users == turns:
                cut = index
                break
    if not cut:
        return list(events)
    kept: list[int] = []
    slots: set[str] = set()
    slots_reset = loop_known = False
    for index in range(cut - 1, -1, -1):
        event = events[index]
        if isinstance(event, (UserUtteranceReverted, ActionReverted)):
            return list(events)
        if isinstance(event, (Restarted, SessionStarted)):  # both reset every slot and the form
            kept.append(index)
            break
        if isinstance(event, AllSlotsReset) and not slots_reset:
            kept.append(index)
            slots_reset = True
        elif isinstance(event, SlotSet) and not slots_reset and event.key not in slots:
            kept.append(index)
            slots.add(event.key)
        elif isinstance(event, ActiveLoop) and not loop_known:
            kept.append(index)
            loop_known = True
    return [events[index] for index in reversed(kept)] + list(events[cut:])


def action_call_format(self: Any, tracker: DialogueStateTracker, domain: Domain) -> dict[str, Any]:
    """``RemoteAction._action_call_format``, with the events of the recent turns only (see the module docstring)."""
    import rasa
    from rasa.shared.core.trackers import EventVerbosity

    options = self.action_endpoint.kwargs if self.action_endpoint else {}
    turns = options.get(RECENT_TURNS)
    if turns is None or self.name() in (options.get(WHOLE_CONVERSATION_ACTIONS) or ()):
        state = tracker.current_state(EventVerbosity.ALL)
    else:
        state = tracker.current_state(EventVerbosity.NONE)
        state["events"] = [event.as_dict() for event in recent_events(list(tracker.events), int(turns))]
    result = {"next_action": self.name(), "sender_id": tracker.sender_id, "tracker": state, "version": rasa.__version__}
    if not selective_domain_enabled(self) or domain.does_custom_action_explicitly_need_domain(self.name()):
        result["domain"] = domain.as_dict()
    return result


def _session(endpoint: Any) -> aiohttp.ClientSession:
    """The worker's session for ``endpoint`` (its headers and credentials), opened on first use."""
    from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT

    auth = endpoint.basic_auth
    key = (tuple(sorted((endpoint.headers or {}).items())), (auth["username"], auth["password"]) if auth else None)
    sessions = _SESSIONS.setdefault(asyncio.get_running_loop(), {})
    session = sessions.get(key)
    if session is None or session.closed:
        session = aiohttp.ClientSession(
            headers=endpoint.headers,
            auth=aiohttp.BasicAuth(auth["username"], auth["password"]) if auth else None,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEP_ALIVE_SECONDS),
        )
        sessions[key] = session
    return session


async def close_sessions() -> None:
    """Closes the running loop's sessions (their kept connections with them)."""
    for session in _SESSIONS.pop(asyncio.get_running_loop(), {}).values():
        await session.close()


async def request(
    self: Any,
    method: str = "post",
    subpath: str | None = None,
    content_type: str | None = "application/json",
    compress: bool = False,
    **kwargs: Any,
) -> Any:
    """``EndpointConfig.request`` on the worker's kept session: the JSON answer, None for another content type,
    ``ClientResponseError`` for a status of 400 or more (as Rasa's)."""
    from rasa.shared.exceptions import FileNotFoundException
    from rasa.utils.endpoints import ClientResponseError, concat_url

    headers = {"Content-Type": content_type} if content_type else {}
    headers.update(kwargs.pop("headers", None) or {})
    headers.update(self.headers or {})
    sslcontext = None
    if self.cafile:
        try:
            sslcontext = ssl.create_default_context(cafile=self.cafile)
        except FileNotFoundError as e:
            raise FileNotFoundException(
                f"Failed to find certificate file, '{os.path.abspath(self.cafile)}' does not exist."
            ) from e
    async with _session(self).request(
        method,
        concat_url(self.url, subpath),
        headers=headers,
        params=self.combine_parameters(kwargs),
        compress=compress,
        ssl=sslcontext,
        **kwargs,
    ) as response:
        if response.status >= 400:
            raise ClientResponseError(response.status, response.reason, await response.content.read())
        try:
            return await response.json()
        except ContentTypeError:
            return None


async def close_resources(app: Any, loop: asyncio.AbstractEventLoop) -> None:
    """At a worker's stop: what Rasa closes then (the event broker), and the worker's kept sessions."""
    try:
        await _RASA_CLOSE_RESOURCES[0](app, loop)
    finally:
        await close_sessions()


# Rasa's own ``close_resources``, kept by ``install`` when it puts ``close_resources`` in its place.
_RASA_CLOSE_RESOURCES: list[Any] = []


def install() -> None:
    """Puts these four in Rasa's place in this process (before its Sanic workers are forked)."""
    validate, call_format, send, close = REPLACED_REMOTE_ACTION_CALLS
    replace_function(validate, validate_action_result)
    replace_function(call_format, action_call_format)
    replace_function(send, request)
    rasa_close = getattr(resolve_owner(close.owner), close.name)
    if rasa_close is not close_resources:
        _RASA_CLOSE_RESOURCES[:] = [rasa_close]
    replace_function(close, close_resources)
