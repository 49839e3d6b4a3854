"""``python -m bot.sandbox``: serve the sandbox city with settings from the environment."""

from bot.sandbox.app import run

if __name__ == "__main__":
    run()
