"""Rasa's own command line, with its HTTP API token taken from the environment.

A process's command line is visible to every user of the machine (``ps``), its environment only
to its own user: the supervisor passes the token in ``CITYBOT_RASA_TOKEN`` and this module hands
it to Rasa as ``--auth-token`` inside the process. Rasa's behaviour on a failed tracker store or
action server is changed first (:mod:`bot.rasa_fixes`), and where it spends time per turn
(:mod:`bot.rasa_speedups`). Run as
``python -m bot.rasa_server run …``.
"""

from __future__ import annotations

import os
import sys

TOKEN_ENV = "CITYBOT_RASA_TOKEN"


def rasa_argv(argv: list[str], token: str) -> list[str]:
    """Rasa's arguments with the token added ("=" keeps a token that starts with "-" a value)."""
    return [*argv, f"--auth-token={token}"] if token else list(argv)


def main() -> None:
    from rasa.__main__ import main as rasa_main

    from bot import rasa_fixes, rasa_speedups

    rasa_fixes.install()
    rasa_speedups.install()
    sys.argv[1:] = rasa_argv(sys.argv[1:], os.environ.get(TOKEN_ENV, ""))
    rasa_main()


if __name__ == "__main__":
    main()
