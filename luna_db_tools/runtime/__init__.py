"""Alembic glue: the Config and env.py inputs, history and plans, offline scripts, per-step running, Oracle reruns, progress."""
