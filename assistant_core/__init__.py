"""Extensions of Rasa's dialogue engine (Rasa Core) for the assistant: how training data is imported and how
conversations are stored. The NLU components are in assistant_nlu; the custom actions in actions."""
