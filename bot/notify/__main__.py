"""``python -m bot.notify``: run the notifier with settings from the environment."""

from bot.notify.app import run

if __name__ == "__main__":
    run()
