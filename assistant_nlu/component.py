"""What every project NLU component shares: its configuration over the defaults, and where it stores what it learns."""

from __future__ import annotations

from typing import Any, TypeVar

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

C = TypeVar("C", bound="ProjectComponent")


class ProjectComponent(GraphComponent):
    """A Rasa graph component built from its configuration (over ``get_default_config``); trainable ones write to and
    read from ``model_storage`` under ``resource`` (None for components that learn nothing)."""

    def __init__(
        self, config: dict[str, Any], model_storage: ModelStorage | None = None, resource: Resource | None = None
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self.model_storage = model_storage
        self.resource = resource

    @classmethod
    def create(
        cls: type[C],
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> C:
        """A new component (untrained, for trainable ones)."""
        return cls(config, model_storage, resource)
