"""The one command: ``citybot up``, ``sandbox``, ``train``, ``handoff``, ``staff``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import logging
import os
import signal
import sys
import time
from pathlib import Path

from bot.config import Settings, load_settings
from bot.language import LANGUAGES

log = logging.getLogger("citybot")


def _logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )


def cmd_train(settings: Settings, args: argparse.Namespace) -> int:
    from bot.training import train_if_needed

    train_if_needed(settings.model_path, force=args.force, cache=settings.model_cache)
    return 0


def cmd_up(settings: Settings, args: argparse.Namespace) -> int:
    """Train if needed, start sandbox, action server and Rasa; Ctrl-C stops them all."""
    from bot.supervisor import StartFailed, Supervisor, stack, telegram_mode
    from bot.training import train_if_needed

    began = time.monotonic()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    servers = getattr(args, "servers", None)
    if servers is not None:
        from bot import scaleout

        services = scaleout.Services.of(settings)
        try:
            asyncio.run(scaleout.preflight(services))
            procs = scaleout.scaled_stack(settings, services, model=settings.model_path,
                                          servers=servers)
        except (scaleout.ServiceMissing, ValueError) as exc:
            log.error("citybot up --servers %s: %s", servers, exc)
            return 2
    # citybot's own tables at their newest revision before any process uses them
    asyncio.run(_migrate(settings.app_database_url if servers is None
                         else services.database_url))
    if not args.no_train:
        train_if_needed(settings.model_path, cache=settings.model_cache)
    if servers is None:
        procs = stack(settings, model=settings.model_path)
    sup = Supervisor(procs, log_dir=settings.var_dir / "log")

    async def main() -> int:
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
        try:
            starting = asyncio.create_task(sup.start_all())
            stop_wait = asyncio.create_task(stopping.wait())
            done, _ = await asyncio.wait({starting, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
            if stop_wait in done:
                starting.cancel()
                with contextlib.suppress(asyncio.CancelledError, StartFailed):
                    await starting
                return 130
            starting.result()
            if servers is not None:
                log.info("%d Rasa servers behind HAProxy on http://127.0.0.1:%s; PostgreSQL, "
                         "Redis and RabbitMQ: %s", servers, settings.rasa_port,
                         ", ".join(dict.fromkeys(scaleout.where(u) for u in services.env().values())))
            log.info(
                "citybot is up in %.1f s: open http://127.0.0.1:%s to talk to it on the demo "
                "portal, staff console http://127.0.0.1:%s. "
                "REST channel (with the API token) http://127.0.0.1:%s/webhooks/rest/webhook, "
                "sandbox city %s, actions %s, Telegram %s. "
                "Ctrl-C stops everything.",
                time.monotonic() - began, settings.portal_port, settings.console_port,
                settings.rasa_port,
                f"http://{settings.sandbox_host}:{settings.sandbox_port}",
                ", ".join(p.ready_url.rsplit("/", 1)[0] for p in procs
                          if p.name.startswith("actions")),
                telegram_mode(settings),
            )
            while True:
                exited = asyncio.create_task(sup.wait_any_exit())
                done, _ = await asyncio.wait({exited, stop_wait},
                                             return_when=asyncio.FIRST_COMPLETED)
                if exited not in done:
                    return 0
                proc = exited.result()
                if servers is None:
                    log.error(
                        "%s exited unexpectedly (code %s); stopping the rest. Last lines:\n  %s",
                        proc.name, proc.process.returncode, "\n  ".join(proc.tail[-15:]),
                    )
                    return 1
                # Several servers: the others carry on while this one comes back.
                log.error("%s exited unexpectedly (code %s); starting it again",
                          proc.name, proc.process.returncode)
                restarting = asyncio.create_task(sup.restart(proc))
                await asyncio.wait({restarting, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
                if not restarting.done():
                    restarting.cancel()
                    return 0
        except StartFailed as exc:
            log.error("start failed: %s", exc)
            return 1
        finally:
            log.info("stopping...")
            await sup.stop_all()
            log.info("all stopped")

    return asyncio.run(main())


async def _migrate(url: str) -> None:
    from bot.store import Store

    store = Store(url)
    try:
        await store.ready()
    finally:
        await store.close()


def cmd_db(settings: Settings, args: argparse.Namespace) -> int:
    """The app database's migrations: bring it to the newest revision, or write a new one."""
    from bot.scaleout import where
    from bot.store import migrate

    if args.action == "revision":
        for path in migrate.new_revision(args.message):
            print(path)
        return 0
    asyncio.run(_migrate(settings.app_database_url))
    print(f"{where(settings.app_database_url)} is at revision {migrate.head()}")
    return 0


def cmd_sandbox(settings: Settings, args: argparse.Namespace) -> int:
    from bot.sandbox.app import run

    run(settings)
    return 0


def cmd_actions(settings: Settings, args: argparse.Namespace) -> int:
    from bot.actionserver import run

    run(settings)
    return 0


def cmd_handoff(settings: Settings, args: argparse.Namespace) -> int:
    """List open handoffs, or give a conversation back to the assistant."""
    from bot.handoff import open_handoffs, release_handoff
    from bot.rasa_api import RasaApi, RasaApiError
    from bot.store import Store

    async def main() -> int:
        store = await Store(settings.app_database_url).ready()
        try:
            if args.action == "list":
                for h in await open_handoffs(store):
                    print(f"{h.sender_id}\t{h.created_at:%Y-%m-%d %H:%M}\t{h.last_message or ''}")
                return 0
            # as the console does (bot.console.handoffs): Rasa first, and the handoff is
            # recorded as released only once the assistant answers this citizen again
            async with RasaApi.of(settings) as rasa:
                try:
                    await rasa.resume(args.sender_id)
                except RasaApiError as exc:
                    log.error("Rasa did not resume %s: %s", args.sender_id, exc)
                    return 1
            released = await release_handoff(store, args.sender_id)
            print("released" if released else "no open handoff; conversation resumed anyway")
            return 0
        finally:
            await store.close()

    return asyncio.run(main())


# Read by ``citybot staff add`` instead of prompting (scripts and tests); never a setting.
STAFF_PASSWORD_ENV = "CITYBOT_STAFF_PASSWORD"


def _new_password() -> str | None:
    """The new account's password: from the environment, else typed twice; None if they differ."""
    if password := os.environ.get(STAFF_PASSWORD_ENV):
        return password
    first = getpass.getpass("Password (at least 10 characters): ")
    if getpass.getpass("The same password again: ") != first:
        return None
    return first


def cmd_staff(settings: Settings, args: argparse.Namespace) -> int:
    """Add, list or disable console accounts."""
    from bot.console.audit import audit
    from bot.console.staff import StaffError, add_staff, disable_staff, list_staff
    from bot.store import Store

    password = None
    if args.action == "add":
        password = _new_password()
        if password is None:
            print("the passwords differ; nothing was changed", file=sys.stderr)
            return 1

    async def main() -> int:
        store = await Store(settings.app_database_url).ready()
        try:
            if args.action == "list":
                for staff in await list_staff(store):
                    state = "disabled" if staff.disabled else "active"
                    print(f"{staff.name}\t{staff.role}\t{state}\t{staff.created_at:%Y-%m-%d %H:%M}")
                return 0
            if args.action == "add":
                try:
                    staff = await add_staff(store, args.name, args.role, password or "")
                except StaffError as exc:
                    print(f"not added: {exc}", file=sys.stderr)
                    return 1
                await audit(store, None, "staff_added", staff.name, {"role": staff.role})
                print(f"added {staff.name} ({staff.role})")
                return 0
            staff = await disable_staff(store, args.name)
            if staff is None:
                print(f"no staff member named {args.name!r}", file=sys.stderr)
                return 1
            await audit(store, None, "staff_disabled", staff.name)
            print(f"disabled {staff.name}; their sessions are ended")
            return 0
        finally:
            await store.close()

    return asyncio.run(main())


def cmd_export_corrections(settings: Settings, args: argparse.Namespace) -> int:
    """Write one language's pending corrections as NLU training data (to merge into that
    language's files: data/nlu/ for English, data/nlu/ru/ for Russian)."""
    from bot.console import corrections
    from bot.console.audit import audit
    from bot.store import Store

    async def main() -> int:
        store = await Store(settings.app_database_url).ready()
        try:
            text, count = await corrections.export(store, args.language, mark=not args.dry_run)
            if not args.dry_run:
                await audit(store, None, "exported", "corrections",
                            {"count": count, "language": args.language})
        finally:
            await store.close()
        if args.out == "-":
            sys.stdout.write(text)
        else:
            Path(args.out).write_text(text, encoding="utf-8")
        print(f"{count} correction(s) in {args.language} {'would be ' if args.dry_run else ''}"
              f"exported to {args.out} (for {corrections.nlu_dir(args.language)})",
              file=sys.stderr)
        return 0

    return asyncio.run(main())


def cmd_reindex(settings: Settings, args: argparse.Namespace) -> int:
    """Fold every tracker event into the console's index and analytics again."""
    from bot.console import index
    from bot.store import Store
    from bot.tracker import Tracker

    async def main() -> int:
        store = await Store(settings.app_database_url).ready()
        tracker = Tracker(settings.tracker_db_url)
        try:
            events = await index.rebuild_index(tracker, store, tz=settings.city_timezone)
        finally:
            await tracker.close()
            await store.close()
        print(f"indexed {events} events (days in {settings.city_timezone})", file=sys.stderr)
        return 0

    return asyncio.run(main())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="citybot", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="train if needed and start the whole stack")
    up.add_argument("--no-train", action="store_true", help="use the model as it is")
    up.add_argument(
        "--servers", type=int, metavar="N",
        help="the scaled setup: N Rasa and action servers behind HAProxy on PostgreSQL, Redis "
             "and RabbitMQ (CITYBOT_DATABASE_URL, CITYBOT_REDIS_URL, CITYBOT_RABBITMQ_URL; "
             "default the machine's own); docs/operations.md",
    )
    up.set_defaults(func=cmd_up)
    train = sub.add_parser("train", help="train the model if config, domain or data changed")
    train.add_argument("--force", action="store_true")
    train.set_defaults(func=cmd_train)
    db = sub.add_parser("db", help="the app database's migrations (docs/operations.md)")
    db_sub = db.add_subparsers(dest="action", required=True)
    db_sub.add_parser("upgrade", help="bring CITYBOT_DATABASE_URL to the newest revision")
    revision = db_sub.add_parser("revision",
                                 help="write a revision for what changed in bot/store/models.py")
    revision.add_argument("message")
    db.set_defaults(func=cmd_db)
    sub.add_parser("sandbox", help="run the sandbox city alone").set_defaults(func=cmd_sandbox)
    sub.add_parser("actions", help="run the action server alone").set_defaults(func=cmd_actions)
    handoff = sub.add_parser("handoff", help="conversations waiting for a person")
    handoff_sub = handoff.add_subparsers(dest="action", required=True)
    handoff_sub.add_parser("list")
    release = handoff_sub.add_parser("release", help="give the conversation back to the bot")
    release.add_argument("sender_id")
    handoff.set_defaults(func=cmd_handoff)
    staff = sub.add_parser("staff", help="staff accounts of the console")
    staff_sub = staff.add_subparsers(dest="action", required=True)
    add = staff_sub.add_parser(
        "add", help=f"add an account (password prompted, or from {STAFF_PASSWORD_ENV})"
    )
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("operator", "reviewer", "admin"))
    staff_sub.add_parser("list")
    disable = staff_sub.add_parser("disable", help="disable an account and end its sessions")
    disable.add_argument("name")
    staff.set_defaults(func=cmd_staff)
    export = sub.add_parser(
        "export-corrections", help="the console's pending corrections as NLU training data"
    )
    export.add_argument("--language", required=True, choices=LANGUAGES,
                        help="whose corrections: each language has its own training data")
    export.add_argument("--out", default="-", help="a file (default: standard output)")
    export.add_argument("--dry-run", action="store_true", help="do not mark them exported")
    export.set_defaults(func=cmd_export_corrections)
    sub.add_parser(
        "reindex", help="rebuild the console's conversation index and analytics from the tracker"
    ).set_defaults(func=cmd_reindex)
    return parser


def keep_private(var_dir: Path) -> None:
    """What the stack writes (its databases of citizens' messages, logs, secrets) is readable by
    its own user only: an owner-only umask, inherited by every process it starts, and ``var/``
    itself closed to others, also when an older run left it open."""
    os.umask(0o077)
    var_dir.mkdir(parents=True, exist_ok=True)
    var_dir.chmod(0o700)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _logging(args.verbose)
    settings = load_settings()
    keep_private(settings.var_dir)
    return args.func(settings, args)


if __name__ == "__main__":
    sys.exit(main())
