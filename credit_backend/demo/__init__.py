"""Synthetic demo data for a realistic 吉林市: generator, bulk loader and CLI.

``python -m credit_backend.demo.cli --entities 2000 --seed 42 --reset`` fills the configured database.
Every code, name, ID number and phone number is synthetic.
"""

from credit_backend.demo.generator import NAMED_CASES, CityGenerator, EntityBundle, NamedCase
from credit_backend.demo.load import LoadStats, database_is_empty, load_city, reset_database

__all__ = [
    "NAMED_CASES",
    "CityGenerator",
    "EntityBundle",
    "LoadStats",
    "NamedCase",
    "database_is_empty",
    "load_city",
    "reset_database",
]
