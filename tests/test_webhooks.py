"""Webhook signatures over real HTTP: each sender's documented scheme (or ours) lets a correctly
signed delivery in, and refuses, with the right status and nothing stored or processed, a bad
or missing signature, a stale or future timestamp, a malformed body, a body without an event id,
an unknown sender, and a sender whose secret is not configured."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.webhooks import (
    BitnobScheme,
    CartevoScheme,
    GenericScheme,
    NumeroScheme,
    WebhookRejected,
    WebhookSettings,
)
from storage.db import Database
from tests.conftest import FakeClock
from tests.events_support import (
    SAMPLES,
    SECRETS,
    TOLERANCE,
    WITHOUT_ID,
    Recorder,
    Running,
    dumps,
    inbox_rows,
    migrated_db,
    running,
    signed,
    webhook_settings,
)

SENDERS = list(SAMPLES)
TIMED = [s for s in SENDERS if s != "bitnob"]  # Bitnob signs no timestamp


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await migrated_db(f"sqlite+aiosqlite:///{tmp_path / 'events.db'}")
    yield database
    await database.dispose()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def server(db: Database, clock: FakeClock, recorder: Recorder) -> AsyncIterator[Running]:
    async with running(db, clock, recorder) as r:
        yield r


async def assert_nothing_kept(server: Running, db: Database, recorder: Recorder) -> None:
    await server.service.worker.drain()
    assert await inbox_rows(db) == []
    assert recorder.calls == []


# -- accepted ----------------------------------------------------------------------------------


@pytest.mark.parametrize("sender", SENDERS)
async def test_a_correctly_signed_delivery_is_stored_and_processed(
    sender: str, server: Running, db: Database, recorder: Recorder
) -> None:
    doc, event_id = SAMPLES[sender]
    response = await server.post_signed(sender, doc)
    assert response.status_code == 200, response.text
    assert response.json()["duplicate"] is False
    await server.service.worker.drain()
    rows = await inbox_rows(db)
    assert [(r.provider, r.event_id, r.status) for r in rows] == [(sender, event_id, "processed")]
    assert rows[0].body == dumps(doc).decode()  # as received
    assert [row.event_id for row in recorder.calls] == [event_id]


@pytest.mark.parametrize("sender", TIMED)
async def test_a_timestamp_just_inside_the_window_is_accepted(
    sender: str, server: Running, db: Database
) -> None:
    doc, _ = SAMPLES[sender]
    body = dumps(doc)
    headers = signed(sender, body, server.clock.now.timestamp() - (TOLERANCE - 2))
    assert (await server.post(sender, body, headers)).status_code == 200


async def test_header_names_are_case_insensitive(server: Running, recorder: Recorder) -> None:
    doc, _ = SAMPLES["numero"]
    body = dumps(doc)
    headers = {
        k.lower(): v for k, v in signed("numero", body, server.clock.now.timestamp()).items()
    }
    assert (await server.post("numero", body, headers)).status_code == 200
    await server.service.worker.drain()


async def test_numero_accepts_any_of_several_v1_signatures(server: Running) -> None:
    """During a secret rollover the header carries one v1 per secret."""
    doc, _ = SAMPLES["numero"]
    body = dumps(doc)
    t = int(server.clock.now.timestamp() * 1000)
    good = signed("numero", body, server.clock.now.timestamp())["X-Numero-Signature"]
    old = base64.b64encode(b"\x00" * 32).decode()
    header = f"t={t},v1={old},{good.split(',', 1)[1]}"
    response = await server.post("numero", body, {"X-Numero-Signature": header})
    assert response.status_code == 200


# -- refused: authenticity (401) -----------------------------------------------------------------


@pytest.mark.parametrize("sender", SENDERS)
async def test_a_signature_made_with_another_secret_is_refused(
    sender: str, server: Running, db: Database, recorder: Recorder
) -> None:
    doc, _ = SAMPLES[sender]
    body = dumps(doc)
    headers = signed(sender, body, server.clock.now.timestamp(), secret="not-the-secret")
    response = await server.post(sender, body, headers)
    assert response.status_code == 401
    assert response.json()["ok"] is False
    await assert_nothing_kept(server, db, recorder)


@pytest.mark.parametrize("sender", SENDERS)
async def test_a_changed_body_is_refused(
    sender: str, server: Running, db: Database, recorder: Recorder
) -> None:
    doc, _ = SAMPLES[sender]
    headers = signed(sender, dumps(doc), server.clock.now.timestamp())
    tampered = dumps(doc).replace(b"}", b', "x": 1}', 1)
    assert (await server.post(sender, tampered, headers)).status_code == 401
    await assert_nothing_kept(server, db, recorder)


@pytest.mark.parametrize("sender", SENDERS)
async def test_a_missing_signature_header_is_refused(
    sender: str, server: Running, db: Database, recorder: Recorder
) -> None:
    doc, _ = SAMPLES[sender]
    body = dumps(doc)
    headers = signed(sender, body, server.clock.now.timestamp())
    headers.pop(next(k for k in headers if "signature" in k.lower()))
    assert (await server.post(sender, body, headers)).status_code == 401
    await assert_nothing_kept(server, db, recorder)


@pytest.mark.parametrize("sender", [s for s in TIMED if s not in ("numero", "cartevo")])
async def test_a_missing_timestamp_header_is_refused(
    sender: str, server: Running, db: Database, recorder: Recorder
) -> None:
    doc, _ = SAMPLES[sender]
    body = dumps(doc)
    headers = signed(sender, body, server.clock.now.timestamp())
    del headers["X-Cardbot-Timestamp"]
    assert (await server.post(sender, body, headers)).status_code == 401
    await assert_nothing_kept(server, db, recorder)


@pytest.mark.parametrize(
    ("sender", "header"),
    [
        ("numero", "v1=abc"),  # no t
        ("numero", "t=1700000000000"),  # no v1
        ("numero", "t=soon,v1=abc"),  # t not a number
        ("numero", "t=1700000000000,v1=***not-base64***"),
        ("cartevo", "t=1700000000,v1=zz-not-hex"),
        ("cartevo", "garbage"),
    ],
)
async def test_a_malformed_signature_header_is_refused(
    sender: str, header: str, server: Running, db: Database, recorder: Recorder
) -> None:
    doc, _ = SAMPLES[sender]
    name = "X-Numero-Signature" if sender == "numero" else "X-Cartevo-Signature"
    assert (await server.post(sender, dumps(doc), {name: header})).status_code == 401
    await assert_nothing_kept(server, db, recorder)


# -- refused: freshness (400) --------------------------------------------------------------------


@pytest.mark.parametrize("sender", TIMED)
async def test_a_stale_timestamp_is_refused(
    sender: str, server: Running, db: Database, recorder: Recorder
) -> None:
    doc, _ = SAMPLES[sender]
    body = dumps(doc)
    headers = signed(sender, body, server.clock.now.timestamp() - TOLERANCE - 5)
    response = await server.post(sender, body, headers)
    assert response.status_code == 400
    assert "stale" in response.json()["error"]
    await assert_nothing_kept(server, db, recorder)


@pytest.mark.parametrize("sender", TIMED)
async def test_a_timestamp_too_far_in_the_future_is_refused(
    sender: str, server: Running, db: Database, recorder: Recorder
) -> None:
    doc, _ = SAMPLES[sender]
    body = dumps(doc)
    headers = signed(sender, body, server.clock.now.timestamp() + TOLERANCE + 5)
    response = await server.post(sender, body, headers)
    assert response.status_code == 400
    assert "future" in response.json()["error"]
    await assert_nothing_kept(server, db, recorder)


async def test_numero_timestamps_are_milliseconds(
    server: Running, db: Database, recorder: Recorder
) -> None:
    """A seconds value signed correctly reads as 1970: stale."""
    doc, _ = SAMPLES["numero"]
    body = dumps(doc)
    t = int(server.clock.now.timestamp())
    digest = hmac.new(SECRETS["numero"].encode(), f"{t}.".encode() + body, hashlib.sha256)
    header = f"t={t},v1={base64.b64encode(digest.digest()).decode()}"
    assert (await server.post("numero", body, {"X-Numero-Signature": header})).status_code == 400
    await assert_nothing_kept(server, db, recorder)


async def test_bitnob_has_no_timestamp_so_a_replay_is_stopped_by_the_event_id(
    server: Running, db: Database, recorder: Recorder
) -> None:
    doc, event_id = SAMPLES["bitnob"]
    body = dumps(doc)
    headers = signed("bitnob", body, 0)
    first = await server.post("bitnob", body, headers)
    await server.service.worker.drain()
    server.clock.advance(7 * 24 * 3600)  # a week later, the captured delivery again
    replay = await server.post("bitnob", body, headers)
    await server.service.worker.drain()
    assert (first.status_code, replay.status_code) == (200, 200)
    assert replay.json()["duplicate"] is True
    assert [row.event_id for row in recorder.calls] == [event_id]
    assert len(await inbox_rows(db)) == 1


# -- refused: the body (400) -------------------------------------------------------------------


@pytest.mark.parametrize("sender", SENDERS)
@pytest.mark.parametrize(
    "body",
    [b'{"id": "x", "data": ', b"not json at all", b"[1, 2, 3]", b'"a string"', b"\xff\xfe{}"],
    ids=["truncated", "text", "array", "string", "not-utf8"],
)
async def test_a_correctly_signed_malformed_body_is_refused(
    sender: str, body: bytes, server: Running, db: Database, recorder: Recorder
) -> None:
    response = await server.post(sender, body, signed(sender, body, server.clock.now.timestamp()))
    assert response.status_code == 400
    await assert_nothing_kept(server, db, recorder)


@pytest.mark.parametrize("sender", SENDERS)
async def test_a_delivery_without_an_event_id_is_refused(
    sender: str, server: Running, db: Database, recorder: Recorder
) -> None:
    response = await server.post_signed(sender, WITHOUT_ID[sender])
    assert response.status_code == 400
    await assert_nothing_kept(server, db, recorder)


async def test_a_deposit_with_a_bad_amount_is_refused(
    server: Running, db: Database, recorder: Recorder
) -> None:
    doc, _ = SAMPLES["deposit"]
    for amount in (12.5, "5000", -1, 0, True):
        response = await server.post_signed("deposit", doc | {"amount": amount})
        assert response.status_code == 400, amount
    await assert_nothing_kept(server, db, recorder)


async def test_an_oversized_body_is_refused(
    db: Database, clock: FakeClock, recorder: Recorder
) -> None:
    async with running(db, clock, recorder, webhook_settings(events_max_body_bytes=1024)) as r:
        doc, _ = SAMPLES["numero"]
        big = doc | {"padding": "x" * 4096}
        assert (await r.post_signed("numero", big)).status_code == 413
        await assert_nothing_kept(r, db, recorder)


# -- refused: the route ------------------------------------------------------------------------


async def test_an_unknown_provider_is_404(
    server: Running, db: Database, recorder: Recorder
) -> None:
    doc, _ = SAMPLES["numero"]
    body = dumps(doc)
    headers = signed("numero", body, server.clock.now.timestamp())
    for path in ("/events/acme", "/events/deposit", "/events/"):
        response = await server.client.post(path, content=body, headers=headers)
        assert response.status_code == 404, path
    await assert_nothing_kept(server, db, recorder)


async def test_a_sender_without_a_secret_is_refused_503(
    db: Database, clock: FakeClock, recorder: Recorder
) -> None:
    """Unverifiable events are never taken; 503 makes the provider retry once a secret is set."""
    async with running(db, clock, recorder, webhook_settings(nuvion_webhook_secret=None)) as r:
        response = await r.post_signed("nuvion", SAMPLES["nuvion"][0])
        assert response.status_code == 503
        await assert_nothing_kept(r, db, recorder)


async def test_health(server: Running) -> None:
    response = await server.client.get("/health")
    assert (response.status_code, response.json()) == (200, {"ok": True})


# -- the schemes and settings, directly --------------------------------------------------------


def test_secrets_and_headers_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARDBOT_NUMERO_WEBHOOK_SECRET", "n")
    monkeypatch.setenv("CARDBOT_BITNOB_WEBHOOK_SECRET", "b")
    monkeypatch.setenv("CARDBOT_CARTEVO_WEBHOOK_SECRET", "c")
    monkeypatch.setenv("CARDBOT_NUVION_WEBHOOK_SECRET", "v")
    monkeypatch.setenv("CARDBOT_NUVION_WEBHOOK_SIGNATURE_HEADER", "X-Nuvion-Signature")
    monkeypatch.setenv("CARDBOT_NUVION_WEBHOOK_TIMESTAMP_UNIT", "ms")
    monkeypatch.setenv("CARDBOT_DEPOSIT_WEBHOOK_SECRET", "d")
    monkeypatch.setenv("CARDBOT_WEBHOOK_TOLERANCE_SECONDS", "120")
    monkeypatch.delenv("CARDBOT_CARDPROGRAM_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("CARDBOT_SANDBOX_WEBHOOK_SECRET", raising=False)
    verifiers = WebhookSettings(_env_file=None).verifiers()  # type: ignore[call-arg]
    assert verifiers["numero"] == NumeroScheme(b"n", 120.0)
    assert verifiers["bitnob"] == BitnobScheme(b"b")
    assert verifiers["cartevo"] == CartevoScheme(b"c", 120.0)
    assert verifiers["nuvion"] == GenericScheme(
        b"v", 120.0, signature_header="X-Nuvion-Signature", unit="ms"
    )
    assert verifiers["deposit"] == GenericScheme(b"d", 120.0)
    assert verifiers["cardprogram"] is None
    assert verifiers["sandbox"] is None


def test_generic_scheme_with_configured_headers_and_milliseconds(clock: FakeClock) -> None:
    scheme = GenericScheme(b"k", 300.0, "X-Sig", "X-Time", "ms")
    body = b'{"id":"1"}'
    t = int(clock.now.timestamp() * 1000)
    sig = hmac.new(b"k", f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    scheme.verify({"X-Sig": sig, "X-Time": str(t)}, body, clock.now)
    scheme.verify({"x-sig": f"sha256={sig.upper()}", "x-time": str(t)}, body, clock.now)
    with pytest.raises(WebhookRejected) as refused:
        scheme.verify({"X-Cardbot-Signature": sig, "X-Time": str(t)}, body, clock.now)
    assert refused.value.status == 401
    with pytest.raises(WebhookRejected) as stale:
        scheme.verify({"X-Sig": sig, "X-Time": str(t)}, body, clock.now.replace(year=2027))
    assert stale.value.status == 400
