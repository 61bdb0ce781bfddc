"""Retraining with a gate, the model registry and promotion without downtime (issue 14)."""
