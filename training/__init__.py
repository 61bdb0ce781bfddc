"""The admin loop's offline side (issue 14): what admins teach the assistant from real conversations.

``annotate`` writes corrected examples into ``data/`` (personal data replaced first by ``pii``), ``stories``
turns a reviewed conversation into a Rasa test story; the registry, the gate, the retraining and the model
server (``registry``, ``gate``, ``retrain``, ``model_server``) train, compare, promote and roll back models.

Standard library and PyYAML only: the staff console imports it from ``.venv`` and the retraining runs it in
``.venv-rasa``.
"""
