"""The `cardbot` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from bot.app import App, build_app
from services.brand import BrandError, brand_files
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
    except BrandError as exc:
        print(f"cardbot: {exc}", file=sys.stderr)
        return 2
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
    chat = command("chat", _chat, "talk to the bot in this terminal (no Telegram needed)")
    chat.add_argument("--brand", help="which brand's bot, when several are served (its id)")
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

    audit = sub.add_parser("audit", help="the tamper-evident audit log").add_subparsers(
        metavar="action"
    )
    verify = audit.add_parser(
        "verify", help="check every entry's hash, the chain's links and its head; exit 1 if broken"
    )
    verify.add_argument(
        "--anchor",
        metavar="SEQ:HASH",
        help="an entry noted earlier (a previous verify's head, or an audit.appended log line)"
        " that must still be in the log unchanged",
    )
    verify.set_defaults(func=_audit_verify)
    show = audit.add_parser("show", help="print the newest entries, oldest first")
    show.add_argument("--last", type=int, default=20, metavar="N", help="how many (default 20)")
    show.set_defaults(func=_audit_show)

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
    documents = sub.add_parser(
        "documents", help="a sandbox card's picture, statement (CSV or PDF) and spending chart"
    ).add_subparsers(metavar="document")
    image = documents.add_parser("card-image", help="the card's picture as a PNG")
    image.add_argument("card", help="the card's last four digits")
    image.add_argument("--out", help="the file to write (default: card-LAST4.png)")
    image.add_argument(
        "--photo", action="store_true", help="on a light backdrop, as the chat sends it"
    )
    image.set_defaults(func=_documents, document="card-image")
    statement = documents.add_parser("statement", help="every transaction of the card")
    statement.add_argument("card", help="the card's last four digits")
    statement.add_argument("--format", choices=("csv", "pdf"), default="pdf")
    statement.add_argument("--out", help="the file to write (default: the name the chat uses)")
    statement.set_defaults(func=_documents, document="statement")
    chart = documents.add_parser("chart", help="approved purchases per month, as a PNG")
    chart.add_argument("card", help="the card's last four digits")
    chart.add_argument("--out", help="the file to write (default: chart-LAST4.png)")
    chart.set_defaults(func=_documents, document="chart")
    for p in (image, statement, chart):
        p.add_argument("--language", help="the words' language (default: the cardholder's)")
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

    from bot.app import build_apps
    from bot.terminal import TerminalChat, stdin_lines

    if "CARDBOT_LOG_LEVEL" not in os.environ:  # keep the conversation readable
        settings.log_level = "WARNING"
    apps = await build_apps(settings)
    try:
        wanted = getattr(_args, "brand", None)
        chosen = [app for app in apps if wanted in (None, app.settings.tenant)]
        if not chosen:
            ids = ", ".join(app.settings.tenant for app in apps)
            print(f"cardbot: no brand {wanted!r}; this deployment serves {ids}", file=sys.stderr)
            return 2
        await TerminalChat(chosen[0]).run(stdin_lines())
    finally:
        for app in apps:
            await app.close()
    return 0


async def _run(settings: Settings, _args: argparse.Namespace) -> int:
    """Every brand of the deployment at once, each on its own bot token."""
    import signal

    from bot.app import build_apps
    from bot.telegram import serve, token_help

    if not brand_files(settings) and not settings.telegram_token:
        print(token_help(), file=sys.stderr)
        return 2
    apps = await build_apps(settings)
    try:
        missing = [app.settings.brand_name for app in apps if not app.settings.telegram_token]
        if missing:
            print(token_help(), file=sys.stderr)
            print(
                f"\nBrands without a token: {', '.join(missing)} (their bot_token_env).",
                file=sys.stderr,
            )
            return 2
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await asyncio.gather(*(serve(app, stop=stop) for app in apps))
    finally:
        for app in apps:
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


async def _audit_verify(settings: Settings, args: argparse.Namespace) -> int:
    anchor = None
    if args.anchor:
        seq, _, digest = args.anchor.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            print("cardbot: --anchor takes SEQ:HASH, e.g. 41:3fa2…(64 hex digits)", file=sys.stderr)
            return 2
        anchor = (int(seq), digest)
    app = await _with_app(settings)
    try:
        result = await app.services.audit.verify(anchor)
    finally:
        await app.close()
    if not result.ok:
        print(f"audit chain BROKEN at entry #{result.first_bad_seq}: {result.reason}")
        print(f"the {result.checked} entries before it check out")
        return 1
    print(f"audit chain OK: {result.checked} entries")
    if result.checked:
        print(f"head: {result.head_seq}:{result.head_hash}  (keep it; pass it as --anchor later)")
    return 0


async def _audit_show(settings: Settings, args: argparse.Namespace) -> int:
    app = await _with_app(settings)
    try:
        records = await app.services.audit.recent(max(args.last, 0))
    finally:
        await app.close()
    for record in reversed(records):
        details = json.dumps(record.details, ensure_ascii=False, sort_keys=True)
        mark = "" if record.intact else "  [hash mismatch]"
        print(
            f"#{record.seq}  {record.at:%Y-%m-%d %H:%M:%S}Z  {record.actor} ({record.role})"
            f"  {record.action}  {record.subject or '-'}  {details}{mark}"
        )
    if not records:
        print("the audit log is empty")
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


async def _documents(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from handlers import documents as words
    from services.documents import BrandingError, DocumentService
    from services.errors import ServiceError

    try:
        app = await _with_app(settings)
    except BrandingError as exc:
        print(f"cardbot: {exc}", file=sys.stderr)
        return 2
    try:
        service = DocumentService.of(app.services)
        account, card = await service.sandbox_card(args.card)
        language = args.language or account.language
        texts = app.conversation.texts
        if args.document == "card-image":
            _, content = await service.card_picture(
                account, card.id, words.card_labels(texts, language), photo=args.photo
            )
            out = Path(args.out or f"card-{card.last4}.png")
            described = _png_summary(content) + f", {card.brand.title()} •••• {card.last4}"
            described += f", {card.status}, brand {service.branding.name!r}"
        elif args.document == "statement":
            if args.format == "csv":
                document = await service.statement_csv(account, card.id)
                kind = "CSV (UTF-8, header row + one row per transaction)"
            else:
                labels = words.statement_labels(texts, language, settings.currency)
                document = await service.statement_pdf(account, card.id, labels, language)
                kind = f"PDF, {_pdf_pages(document.content)} page(s)"
            content = document.content
            out = Path(args.out or document.filename)
            described = f"{kind}, {document.transactions} transactions, card •••• {card.last4}"
        else:
            chart = await service.spending_chart(
                account, card.id, words.chart_labels(texts, language), language
            )
            content = chart.image
            out = Path(args.out or f"chart-{card.last4}.png")
            first, last = chart.months[0].month, chart.months[-1].month
            described = (
                f"{_png_summary(content)}, {first:%b %Y} to {last:%b %Y}: "
                f"{chart.total.format()} in {chart.purchases} approved purchases"
            )
    except BrandingError as exc:
        print(f"cardbot: {exc}", file=sys.stderr)
        return 2
    except ServiceError as exc:
        print(f"cardbot: {exc.code}", file=sys.stderr)
        return 1
    finally:
        await app.close()
    await asyncio.to_thread(out.write_bytes, content)
    print(f"wrote {out.resolve()}: {described}")
    return 0


def _png_summary(content: bytes) -> str:
    width = int.from_bytes(content[16:20], "big")  # the PNG header's IHDR chunk
    height = int.from_bytes(content[20:24], "big")
    return f"{width}×{height} PNG, {len(content) // 1024} KB"


def _pdf_pages(content: bytes) -> int:
    import re

    return len(re.findall(rb"/Type\s*/Page\b", content))


if __name__ == "__main__":
    raise SystemExit(main())
