"""Pure rule functions: no database, no HTTP, no global state beyond read-only tables.

``uscc`` and ``appno`` are standard-library only and Python 3.10-compatible because the Rasa
actions environment imports them too; ``workdays`` and ``periods`` are backend-only.
"""
