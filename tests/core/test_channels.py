"""The REST channel serves a worker's messages one at a time, in order of arrival.

.venv-rasa/bin/python -m pytest tests/core
"""

from __future__ import annotations

import asyncio

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from assistant_core.channels import in_arrival_order


def test_a_turn_waiting_for_the_action_server_keeps_its_place() -> None:
    log: list[str] = []

    async def turn(message: UserMessage) -> None:
        log.append(f"start {message.text}")
        await asyncio.sleep(0.02)  # the action-server call: without the channel's order, others start here
        log.append(f"end {message.text}")

    async def three_messages() -> None:
        handle = in_arrival_order(turn)
        messages = [
            UserMessage(text, CollectingOutputChannel(), sender) for text, sender in zip("abc", "xyz", strict=True)
        ]
        await asyncio.gather(*(handle(message) for message in messages))

    asyncio.run(three_messages())
    assert log == ["start a", "end a", "start b", "end b", "start c", "end c"]


def test_a_failed_turn_does_not_block_the_next() -> None:
    log: list[str] = []

    async def turn(message: UserMessage) -> None:
        if message.text == "boom":
            raise RuntimeError("turn failed")
        log.append(message.text)

    async def two_messages() -> list[object]:
        handle = in_arrival_order(turn)
        out = CollectingOutputChannel()
        return await asyncio.gather(
            handle(UserMessage("boom", out)), handle(UserMessage("ok", out)), return_exceptions=True
        )

    results = asyncio.run(two_messages())
    assert isinstance(results[0], RuntimeError) and log == ["ok"]
