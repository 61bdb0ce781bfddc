"""Training-data importer that reads stories and rules against the domain *with* its retrieval intents.

Rasa 3.6 adds a retrieval intent (``faq``, from ``faq/<topic>`` in data/nlu/faq.yml) to the domain on
its own, but its default importer reads stories and rules against the domain (domain/) alone. A domain that
lists ``faq`` therefore gets a "duplicated intents" warning when Rasa adds it again, and one that does
not gets a "not part of the domain" warning for every rule that uses it. This importer (config.yml,
``importers``) keeps ``faq`` out of the domain files and lets the story reader see the intents the NLU data
declares, so ``rasa data validate`` has nothing to warn about.
"""

from __future__ import annotations

from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.structures import StoryGraph
from rasa.shared.importers import utils
from rasa.shared.importers.rasa import RasaFileImporter
from rasa.shared.utils.common import cached_method

from assistant_core import rasa_compat

rasa_compat.require_rasa()


class RetrievalIntentsImporter(RasaFileImporter):
    """The default file importer, except that stories see the NLU data's retrieval intents."""

    @cached_method
    def _story_domain(self) -> Domain:
        retrieval_intents = sorted(self.get_nlu_data().retrieval_intents)
        return self.get_domain().merge(Domain.from_dict({"intents": retrieval_intents}))

    def get_stories(self, exclusion_percentage: int | None = None) -> StoryGraph:
        return utils.story_graph_from_paths(rasa_compat.story_files(self), self._story_domain(), exclusion_percentage)

    def get_conversation_tests(self) -> StoryGraph:
        return utils.story_graph_from_paths(rasa_compat.conversation_test_files(self), self._story_domain())
