"""The `cardbot` command."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from bot.app import App, build_app
from services.settings import Settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"cardbot: a CARDBOT_ setting is not valid:\n{exc}", file=sys.stderr)
        return 2
    try:
        return int(asyncio.run(args.func(settings, args)) or 0)
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cardbot", description="USD virtual cards in Telegram")
    sub = parser.add_subparsers(metavar="command")

    def command(name: str, func: object, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    command("start", _start, "run on Telegram when a token is set, else chat in the terminal")
    command("chat", _chat, "talk to the bot in this terminal (no Telegram needed)")
    command("run", _run, "run the bot on Telegram (long polling)")
    command(
        "events",
        _events,
        "serve provider webhooks and the deposit webhook (CARDBOT_EVENTS_HOST/_PORT)",
    )
    command(
        "reconcile",
        _reconcile,
        "carry interrupted operations forward and compare every "
        "card's books with its issuer, booking and logging each correction",
    )
    db = sub.add_parser("db", help="database schema").add_subparsers(metavar="action")
    db.add_parser("upgrade", help="apply migrations").set_defaults(func=_db_upgrade)
    keys = sub.add_parser("keys", help="field-encryption keys").add_subparsers(metavar="action")
    rotate = keys.add_parser("rotate", help="add a new key and re-encrypt every field under it")
    rotate.add_argument("--out", help="write the rotated key ring here (default: the key file)")
    rotate.set_defaults(func=_keys_rotate)

    sandbox = sub.add_parser("sandbox", help="simulate card activity on the built-in issuer")
    actions = sandbox.add_subparsers(metavar="action")
    actions.add_parser("cards", help="list sandbox cards").set_defaults(func=_sandbox_cards)
    for name, help_text in (
        ("purchase", "a purchase (declined if the card is frozen or short of funds)"),
        ("refund", "a merchant refund"),
    ):
        p = actions.add_parser(name, help=help_text)
        p.add_argument("card", help="the card's last four digits")
        p.add_argument("amount", help="amount in USD, e.g. 12.50")
        p.add_argument("--merchant", default="Sandbox Store")
        if name == "purchase":
            p.add_argument("--airline", action="store_true", help="an airline ticket purchase")
        p.set_defaults(func=_sandbox_simulate, action=name)
    return parser


async def _with_app(settings: Settings, migrate: bool | None = None) -> App:
    return await build_app(settings, migrate=migrate)


async def _start(settings: Settings, args: argparse.Namespace) -> int:
    if settings.telegram_token:
        return await _run(settings, args)
    print("No CARDBOT_TELEGRAM_TOKEN set: starting the terminal chat instead.\n", file=sys.stderr)
    return await _chat(settings, args)


async def _chat(settings: Settings, _args: argparse.Namespace) -> int:
    import os

    from bot.terminal import TerminalChat, stdin_lines

    if "CARDBOT_LOG_LEVEL" not in os.environ:  # keep the conversation readable
        settings.log_level = "WARNING"
    app = await _with_app(settings)
    try:
        await TerminalChat(app).run(stdin_lines())
    finally:
        await app.close()
    return 0


async def _run(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.telegram import serve, token_help

    if not settings.telegram_token:
        print(token_help(), file=sys.stderr)
        return 2
    app = await _with_app(settings)
    try:
        await serve(app)
    finally:
        await app.close()
    return 0


async def _events(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.events_server import run_events

    app = await _with_app(settings)
    try:
        await run_events(app)
    finally:
        await app.close()
    return 0


async def _reconcile(settings: Settings, _args: argparse.Namespace) -> int:
    app = await _with_app(settings)
    try:
        resumed = await app.services.cards.resume()
        fixes = await app.services.cards.reconcile()
        for fix in fixes:
            print(f"card {fix.card_id}: books {fix.before.format()} -> issuer {fix.after.format()}")
        print(f"{len(resumed)} operations carried forward, {len(fixes)} corrections")
    finally:
        await app.close()
    return 0


async def _db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    app = await _with_app(settings, migrate=True)
    await app.close()
    print("database is up to date")
    return 0


async def _keys_rotate(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from storage.rotation import reencrypt_all
    from storage.vault import Vault

    app = await _with_app(settings)
    try:
        target = Path(args.out) if args.out else settings.key_file
        if settings.master_key and not args.out:
            print(
                "CARDBOT_MASTER_KEY holds the ring: pass --out FILE, then put the file's content"
                " in CARDBOT_MASTER_KEY.",
                file=sys.stderr,
            )
            return 2
        ring = app.ring.rotated()
        ring.save(target)  # saved first: it still holds every old key, so nothing is lost
        changed = await reencrypt_all(app.db, Vault(ring))
        print(
            f"new active key {ring.active}; {changed} fields re-encrypted; ring saved to {target}"
        )
    finally:
        await app.close()
    return 0


async def _sandbox_cards(settings: Settings, _args: argparse.Namespace) -> int:
    from services.sandbox_tools import list_cards

    app = await _with_app(settings)
    try:
        for line in await list_cards(app.db, settings.tenant):
            print(line)
    finally:
        await app.close()
    return 0


async def _sandbox_simulate(settings: Settings, args: argparse.Namespace) -> int:
    from services.errors import ServiceError
    from services.money import AmountError, parse_amount
    from services.sandbox_tools import simulate

    try:
        amount = parse_amount(args.amount)
    except AmountError as exc:
        print(f"cardbot: amount {args.amount!r} is not valid ({exc.code})", file=sys.stderr)
        return 2
    app = await _with_app(settings)
    try:
        print(
            await simulate(
                app.db,
                app.services.router.providers.get("sandbox"),
                settings.tenant,
                args.card,
                args.action,
                amount,
                args.merchant,
                airline=getattr(args, "airline", False),
            )
        )
    except ServiceError as exc:
        print(f"cardbot: {exc.code}", file=sys.stderr)
        return 1
    finally:
        await app.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
