"""The conversation archive (issue 14): every event the Rasa server stores, in the backend's database.

The Rasa server's event broker (assistant_core/event_broker.py) appends each stored event to a Redis stream;
``python -m credit_backend.archive consume`` (consumer.py) writes it to the archive's tables (ingest.py), and
derives each conversation's messages, form runs and review flags (flags.py). queries.py holds the review
filters and the analytics figures, retention.py the deletion of conversations older than the limit from the
archive and the live store. The commands are in __main__.py; docs/archive.md describes it all.
"""
