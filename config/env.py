"""The single place that reads the process environment (and `.env`, if present)."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# OS variables always win over the file; the file is for local convenience only.
_dot_env = BASE_DIR / ".env"
if _dot_env.is_file():
    env.read_env(str(_dot_env), overwrite=False)
