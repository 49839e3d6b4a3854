"""``python -m bot.console``: serve the staff console with settings from the environment."""

from bot.console.app import run

if __name__ == "__main__":
    run()
