"""What the console keeps on its application and on each request (typed keys, no globals)."""

from __future__ import annotations

from aiohttp import web

from bot.config import Settings
from bot.rasa_api import RasaApi
from bot.store import Store
from bot.tracker import Tracker

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", Store)
# Rasa's HTTP API (the operators' steps), on the console's own session.
RASA = web.AppKey("rasa", RasaApi)
# Rasa's tracker store (read, and written only to delete a conversation).
TRACKER = web.AppKey("tracker", Tracker)
# Signs the login form's CSRF cookie.
SECRET = web.AppKey("secret", bytes)

# Set on a request by the session middleware when its cookie names a live session.
STAFF = "console.staff"
SESSION = "console.session"
