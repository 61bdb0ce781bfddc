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

Each worker also loads its TensorFlow models (DIET, the ResponseSelector) without the training step that Rasa's
``RasaModel.load`` runs to create their variables: ``model.fit`` on one example traces the whole training graph
(gradients, the Adam optimizer's two slots per weight) and leaves ~1 GB per worker that serving never uses
(docs/memory.md, ``make bench-memory``). Here one eager forward pass of the training loss creates the same
variables, the checkpoint's weights are read into them, and the prediction graph is traced as Rasa traces it:
the same weights and the same prediction graph, so the same answers.
"""

from __future__ import annotations

import asyncio
import copy
import gc
import logging
import os
import sys
from typing import Any

import aiohttp
from rasa.core import agent as rasa_agent
from rasa.utils.common import TempDirectoryPath, get_temp_dir_name
from rasa.utils.endpoints import EndpointConfig

from assistant_core import remote_actions, tracker_store
from assistant_core.rasa_compat import (
    UPDATE_MODEL_FROM_SERVER,
    PrivateMember,
    RasaCompatibilityError,
    member_problem,
    pull_model_and_fingerprint,
    replace_function,
    require_rasa,
)

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


# Rasa's public model loader, replaced by ``load_for_inference`` (checked with the members it relies on).
RASA_MODEL = "rasa.utils.tensorflow.models:RasaModel"
MODEL_LOADER = PrivateMember(
    RASA_MODEL,
    "load",
    parameters=("model_file_name", "model_data_example", "predict_data_example", "finetune_mode", "args", "kwargs"),
)
LOADER_USES = (
    PrivateMember(RASA_MODEL, "batch_loss", parameters=("batch_in",)),
    PrivateMember(RASA_MODEL, "run_inference", parameters=("model_data", "batch_size", "output_keys_expected")),
)
RASA_LOAD: Any = None  # Rasa's own RasaModel.load (the classmethod object), kept by install_model_loader()


def load_for_inference(
    cls: type[Any],
    model_file_name: str,
    model_data_example: Any,
    predict_data_example: Any = None,
    finetune_mode: bool = False,
    *args: Any,
    **kwargs: Any,
) -> Any:
    """``RasaModel.load`` for serving: the variables are created by the training loss of one example, run eagerly,
    instead of by ``fit`` (no training graph, no optimizer slots); then, as in Rasa, the weights are read and the
    prediction graph is traced on one example. Fine-tuning (which needs the optimizer) keeps Rasa's loader."""
    import tensorflow as tf
    from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
    from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator

    if finetune_mode:
        return RASA_LOAD.__get__(None, cls)(
            model_file_name, model_data_example, predict_data_example, True, *args, **kwargs
        )
    model = cls(*args, **kwargs)
    config = kwargs.get("config", {})
    # Compiled as Rasa compiles it (the optimizer's variables are never created: nothing is trained).
    model.compile(
        optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)), run_eagerly=config.get(RUN_EAGERLY)
    )
    batch_in, _ = RasaBatchDataGenerator(model_data_example, batch_size=1, shuffle=False)[0]
    model.batch_loss(batch_in)
    # Every variable just created must get its trained value; the optimizer's saved slots are left unread on purpose
    # (expect_partial: no warning per slot in the log).
    status = model.load_weights(model_file_name)
    status.assert_existing_objects_matched()
    status.expect_partial()
    if predict_data_example:
        model.run_inference(predict_data_example)
    logger.debug(f"Loaded {cls.__name__} from {model_file_name} for inference.")
    return model


def install_model_loader() -> None:
    """Puts ``load_for_inference`` in the place of ``RasaModel.load`` in this process (and its forked workers)."""
    global RASA_LOAD
    problems = [p for p in map(member_problem, (MODEL_LOADER, *LOADER_USES)) if p is not None]
    if problems:
        raise RasaCompatibilityError("; ".join(problems))
    from rasa.utils.tensorflow.models import RasaModel

    if RASA_LOAD is None:
        RASA_LOAD = RasaModel.__dict__["load"]
    RasaModel.load = classmethod(load_for_inference)  # type: ignore[method-assign,assignment]


def install() -> None:
    """Puts ``update_model_from_server`` in Rasa's place, the serving loader in ``RasaModel.load``'s, the cheaper
    action server calls (assistant_core/remote_actions.py) in theirs and the tracker store's failing turn in the
    place of Rasa's in-memory fallback (every Sanic worker is forked after this)."""
    require_rasa()  # checks the replaced functions and the ones used, with their parameters
    replace_function(UPDATE_MODEL_FROM_SERVER, update_model_from_server)
    install_model_loader()
    remote_actions.install()
    tracker_store.install()


def share_with_workers() -> None:
    """Loads jieba's dictionary and its word tags in the main process and freezes the garbage collector's view of the main process's
    objects each time it forks a Sanic worker: the workers then share those pages with it instead of copying them
    (a collection in a worker would write to every object it scans)."""
    import jieba

    from assistant_nlu import common_words

    jieba.initialize()
    common_words.load()
    main_pid = os.getpid()

    def freeze_before_fork() -> None:
        if os.getpid() == main_pid:  # not in a worker: its own objects would never be collected
            gc.freeze()

    os.register_at_fork(before=freeze_before_fork)


def main() -> None:
    install()
    share_with_workers()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
