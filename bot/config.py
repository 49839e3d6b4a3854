"""Settings read once from the environment, with documented defaults.

Every variable is optional; the defaults are the embedded default (everything on
127.0.0.1, SQLite under ``var/``, the sandbox city on port 8081).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _model_cache() -> Path | None:
    home = Path(_env("XDG_CACHE_HOME", str(Path.home() / ".cache")))
    value = _env("CITYBOT_MODEL_CACHE", str(home / "citybot" / "models"))
    return None if value.lower() == "off" else Path(value)


def _float(name: str, default: float) -> float:
    try:
        return float(_env(name, str(default)))
    except ValueError:
        return default


def _flag(name: str, default: bool) -> bool:
    return _env(name, "1" if default else "0").lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    """Everything configurable, read once at start (see docs/configuration.md)."""

    var_dir: Path = field(default_factory=lambda: Path(_env("CITYBOT_VAR_DIR", str(ROOT / "var"))))
    # The city: Open311 GeoReport v2 endpoint and the city's JSON API.
    open311_url: str = field(
        default_factory=lambda: _env("CITYBOT_OPEN311_URL", "http://127.0.0.1:8081/open311/v2")
    )
    open311_api_key: str = field(
        default_factory=lambda: _env("CITYBOT_OPEN311_API_KEY", "citybot-sandbox")
    )
    open311_jurisdiction: str = field(
        default_factory=lambda: _env("CITYBOT_OPEN311_JURISDICTION", "")
    )
    city_api_url: str = field(
        default_factory=lambda: _env("CITYBOT_CITY_API_URL", "http://127.0.0.1:8081/api/v1")
    )
    portal_url: str = field(
        default_factory=lambda: _env("CITYBOT_PORTAL_URL", "http://127.0.0.1:8081/portal")
    )
    # When operators answer handoffs, in the city's time zone ("08:00-20:00"): told to citizens.
    operator_hours: str = field(
        default_factory=lambda: _env("CITYBOT_OPERATOR_HOURS", "08:00-20:00")
    )
    # The city's time zone: dates and times shown to citizens are in it.
    city_timezone: str = field(
        default_factory=lambda: _env("CITYBOT_CITY_TIMEZONE", "Europe/Moscow")
    )
    # Seconds: a citizen waits for the city at most about this long per call.
    city_timeout: float = field(default_factory=lambda: _float("CITYBOT_CITY_TIMEOUT", 4.0))
    city_connect_timeout: float = field(
        default_factory=lambda: _float("CITYBOT_CITY_CONNECT_TIMEOUT", 1.5)
    )
    # The app database (handoffs, filed reports, outbox) shared by actions, console, notifier.
    database_url: str = field(default_factory=lambda: _env("CITYBOT_DATABASE_URL", ""))
    # The scaled setup (``citybot up --servers N``, bot/scaleout.py): Redis for Rasa's lock store,
    # the web chat's relay between servers and the one-at-a-time jobs (bot/leader.py); RabbitMQ
    # for Rasa's event broker. Unset (the embedded default): none of them is used.
    redis_url: str = field(default_factory=lambda: _env("CITYBOT_REDIS_URL", ""))
    rabbitmq_url: str = field(default_factory=lambda: _env("CITYBOT_RABBITMQ_URL", ""))
    # Rasa's SQL tracker store, read (never altered) by the staff console.
    tracker_database_url: str = field(
        default_factory=lambda: _env("CITYBOT_TRACKER_DATABASE_URL", "")
    )
    # Sandbox city.
    sandbox_host: str = field(default_factory=lambda: _env("CITYBOT_SANDBOX_HOST", "127.0.0.1"))
    sandbox_port: int = field(
        default_factory=lambda: int(_env("CITYBOT_SANDBOX_PORT", "8081"))
    )
    sandbox_database_url: str = field(
        default_factory=lambda: _env("CITYBOT_SANDBOX_DATABASE_URL", "")
    )
    sandbox_api_key: str = field(
        default_factory=lambda: _env("CITYBOT_SANDBOX_API_KEY", "citybot-sandbox")
    )
    # Seconds between ticks of the sandbox's background clock that moves requests along.
    sandbox_clock_seconds: float = field(
        default_factory=lambda: _float("CITYBOT_SANDBOX_CLOCK_SECONDS", 30.0)
    )
    # Seconds between attempts to file reports the city could not take.
    outbox_seconds: float = field(default_factory=lambda: _float("CITYBOT_OUTBOX_SECONDS", 30.0))
    rasa_url: str = field(default_factory=lambda: _env("CITYBOT_RASA_URL", "http://127.0.0.1:5005"))
    rasa_port: int = field(default_factory=lambda: int(_env("CITYBOT_RASA_PORT", "5005")))
    actions_port: int = field(default_factory=lambda: int(_env("CITYBOT_ACTIONS_PORT", "5055")))
    # Token for Rasa's HTTP API (handoff release, notifications); made once under var/ if unset.
    rasa_token: str = field(default_factory=lambda: _env("CITYBOT_RASA_TOKEN", ""))
    # Telegram channel (connectors/telegram.py): off without a token; long polling unless a
    # webhook URL is set. The API base is Telegram's own unless pointed at a local Bot API server.
    telegram_token: str = field(default_factory=lambda: _env("TELEGRAM_BOT_TOKEN", ""))
    telegram_api_base_url: str = field(
        default_factory=lambda: _env("TELEGRAM_API_BASE_URL", "https://api.telegram.org")
    )
    telegram_webhook_url: str = field(default_factory=lambda: _env("TELEGRAM_WEBHOOK_URL", ""))
    telegram_secret_token: str = field(
        default_factory=lambda: _env("TELEGRAM_SECRET_TOKEN", "")
    )
    # Where the channel stores a citizen's photo so the city can fetch it (media_url): the
    # sandbox's media store by default; POST the bytes, get back {"url": ...}.
    media_upload_url: str = field(
        default_factory=lambda: _env("CITYBOT_MEDIA_UPLOAD_URL", "http://127.0.0.1:8081/media")
    )
    # Web chat channel (connectors/webchat.py): page origins allowed to open the WebSocket
    # (comma-separated; "*" allows any, for development only), the key that signs session tokens
    # (made once under var/ if unset), how long a session token lasts, and how long a widget may
    # stay connected without the citizen writing.
    webchat_origins: str = field(
        default_factory=lambda: _env(
            "CITYBOT_WEBCHAT_ORIGINS", "http://127.0.0.1:8080,http://localhost:8080"
        )
    )
    webchat_secret: str = field(default_factory=lambda: _env("CITYBOT_WEBCHAT_SECRET", ""))
    webchat_session_days: float = field(
        default_factory=lambda: _float("CITYBOT_WEBCHAT_SESSION_DAYS", 30.0)
    )
    webchat_idle_seconds: float = field(
        default_factory=lambda: _float("CITYBOT_WEBCHAT_IDLE_SECONDS", 900.0)
    )
    # The demo city portal that embeds the widget, and where its page finds the widget.
    portal_port: int = field(default_factory=lambda: int(_env("CITYBOT_PORTAL_PORT", "8080")))
    webchat_public_url: str = field(
        default_factory=lambda: _env("CITYBOT_WEBCHAT_PUBLIC_URL", "")
    )
    # Staff console (bot/console): its port, and cookies marked Secure (turn on whenever the
    # console is reached over https; the loopback default is plain http). The secret signs the
    # login form's CSRF cookie (made once under var/ if unset; share it between replicas).
    console_port: int = field(default_factory=lambda: int(_env("CITYBOT_CONSOLE_PORT", "8082")))
    console_secure_cookies: bool = field(
        default_factory=lambda: _flag("CITYBOT_CONSOLE_SECURE_COOKIES", False)
    )
    console_secret: str = field(default_factory=lambda: _env("CITYBOT_CONSOLE_SECRET", ""))
    model_path: Path = field(
        default_factory=lambda: Path(_env("CITYBOT_MODEL", str(ROOT / "models" / "citybot.tar.gz")))
    )
    # Models by the fingerprint of their inputs, shared by every checkout of this machine's user
    # ("off": none): a fresh clone or a branch switched back reuses a model instead of training.
    model_cache: Path | None = field(default_factory=lambda: _model_cache())

    @property
    def app_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.var_dir / 'citybot.db'}"

    @property
    def tracker_db_url(self) -> str:
        """Async URL of Rasa's tracker store (the SQLite file supervisor's endpoints.yml names)."""
        return self.tracker_database_url or f"sqlite+aiosqlite:///{self.var_dir / 'tracker.db'}"

    @property
    def webchat_url(self) -> str:
        """Where browsers reach the web chat channel (http base of the widget and the socket)."""
        return (self.webchat_public_url or f"{self.rasa_url}/webhooks/webchat").rstrip("/")

    def city_today(self) -> date:
        """Today's date on the city's calendar."""
        return datetime.now(ZoneInfo(self.city_timezone)).date()

    @property
    def sandbox_db_url(self) -> str:
        return self.sandbox_database_url or f"sqlite+aiosqlite:///{self.var_dir / 'sandbox.db'}"


def load_settings() -> Settings:
    """Read the environment now (tests call this after setting variables)."""
    return Settings()


def kept_secret(path: Path) -> str:
    """A random secret made once at ``path`` (readable by the owner only) and read ever after.

    Several processes may ask at once (the Rasa servers of ``citybot up --servers N`` start
    together and must share the web chat's signing secret): the secret is written whole to a file
    of its own and linked into place, which only the first can do; everyone then reads that one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        if kept := path.read_text().strip():
            return kept
    # mkstemp makes the file readable by the owner only, from the first byte
    fd, made = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(32))
        try:
            os.link(made, path)
        except FileExistsError:
            if not path.read_text().strip():  # left empty by an interrupted older version
                os.replace(made, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(made)
    return path.read_text().strip()
