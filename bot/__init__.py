"""Channels and runners: how people and processes reach the assistant."""
