"""``rasa`` (``python -m assistant_core.rasa_server run …``) with one change: a model pulled from the model
server (endpoints.yml ``models:``, training/model_server.py) is loaded off the worker's event loop.

Rasa 3.6.21 downloads the new model in ``rasa.core.agent._update_model_from_server`` and then loads it
synchronously, on the event loop: the worker answers nothing for as long as loading takes (seconds, minutes on
two busy cores), and a turn that was waiting for the action server meanwhile fails when that connection was
dropped during the wait (seen in tests/retrain/test_switch_during_traffic.py). Here the download is Rasa's own and
``Agent.load_model`` (build the new processor, then set it) runs in a thread: the worker keeps answering with
its current model until the new one is ready. Rasa's scheduler runs one pull at a time per worker, so two loads
never overlap. Each pull names its worker (``?worker=<pid>``), so the model server can switch the workers one
after the other.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import os
import sys

import aiohttp
from rasa.core import agent as rasa_agent
from rasa.utils.common import TempDirectoryPath, get_temp_dir_name
from rasa.utils.endpoints import EndpointConfig

from assistant_core.rasa_compat import REPLACED_FUNCTIONS, pull_model_and_fingerprint, replace_function, require_rasa

logger = logging.getLogger(__name__)


def named(model_server: EndpointConfig) -> EndpointConfig:
    """The endpoint with ``?worker=<pid>``: training.model_server rolls a switch out one worker at a time."""
    endpoint = copy.copy(model_server)
    endpoint.params = {**(model_server.params or {}), "worker": str(os.getpid())}
    return endpoint


async def update_model_from_server(model_server: EndpointConfig, agent: rasa_agent.Agent) -> None:
    """Rasa's ``_update_model_from_server``, with the load in a thread."""
    if not rasa_agent.is_url(model_server.url):
        raise aiohttp.InvalidURL(model_server.url)
    with TempDirectoryPath(get_temp_dir_name()) as directory:
        try:
            fingerprint = await pull_model_and_fingerprint(named(model_server), agent.fingerprint, directory)
            if not fingerprint:
                logger.debug(f"No new model found at URL {model_server.url}")
                return
            logger.info(f"Loading the model {fingerprint} in the background...")
            await asyncio.get_running_loop().run_in_executor(None, agent.load_model, directory, fingerprint)
            logger.info(f"Now serving the model {fingerprint}.")
        except Exception:
            logger.exception("Failed to update model. The previous model will stay loaded instead.")


def install() -> None:
    """Puts ``update_model_from_server`` in Rasa's place (every Sanic worker is forked after this)."""
    require_rasa()  # checks the replaced function and the one used, with their parameters
    [replaced] = REPLACED_FUNCTIONS
    replace_function(replaced, update_model_from_server)


def main() -> None:
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
