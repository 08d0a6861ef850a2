"""Structured JSON logs with a correlation id, shared by every function (README "Operating it")."""
