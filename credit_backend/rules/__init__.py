"""Pure rule functions: no database, no HTTP, no global state beyond read-only tables.

``vocabulary`` (record categories and polarity, severities, record statuses, application kinds and
their number prefixes: the one place these words are written), ``uscc`` and ``appno`` are
standard-library only and Python 3.10-compatible because the Rasa actions, the NLU helpers and the
Telegram bridge import them too; ``workdays`` and ``periods`` are backend-only.
"""
