"""The walking-skeleton journey entirely in French: a person whose Telegram app is set to French
(Côte d'Ivoire) onboards, gets a card, tops it up, sees its details, freezes it and reads the
statement — finding every button by its French label, reading French texts, amounts formatted
the French way (25,00 $US, 5 000,00 $US) and French dates (21 nov. 12:00), and receiving the card
alerts in French too.

Every text the catalogue served during the journey was asked for in French and exists in the
French catalogue (the English fallback was never used), and nothing the person saw reads as
English.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlmodel import col, select

from bot.app import App
from handlers.events import AnswerButton, Edit, Incoming, Send
from services.money import Money
from services.providers.sandbox import SandboxProvider
from storage.models import Card, OutboundMessage
from tests.chat import ChatUser
from tests.conftest import FakeClock
from tests.journey import ANSWERS, JPEG

NBSP = "\xa0"  # Babel puts a no-break space before the currency in French…
NNBSP = "\u202f"  # …and a narrow one between thousands


def usd(amount: str) -> str:
    """A dollar amount as French readers see it: usd("25,00") == "25,00 $US"."""
    return f"{amount}{NBSP}$US"


# Words of English prose that French text never contains ("Menu", "Date" or "Total" are French
# too; brand names such as "Mastercard" or "cardbot" do not match: the words are whole).
ENGLISH = re.compile(
    r"\b(the|your|you|please|tap|card|cards|wallet|balance|statement|frozen|top-up|"
    r"verify|verified|cancel|confirm|refresh|details|help|shop|purchase|payment)\b",
    re.IGNORECASE,
)


@dataclass
class Francophone(ChatUser):
    """A ChatUser that keeps everything the bot showed: texts, button labels and toasts."""

    shown: list[str] = field(default_factory=list)

    async def _deliver(self, incoming: Incoming) -> list[object]:
        actions = await super()._deliver(incoming)
        for action in actions:
            if isinstance(action, Send | Edit):
                self.shown.append(action.text)
                self.shown += [b.label for row in action.buttons or [] for b in row]
                if isinstance(action, Send) and action.contact_button:
                    self.shown.append(action.contact_button.label)
            elif isinstance(action, AnswerButton) and action.text:
                self.shown.append(action.text)
        return actions


def record_texts(app: App, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every (language, message id) the catalogue is asked for, by the chat and by alerts."""
    texts = app.conversation.texts
    served: list[tuple[str, str]] = []
    original = texts.get

    def get(language: str, key: str, *, html_args: bool = True, **args: Any) -> str:
        served.append((language, key))
        return original(language, key, html_args=html_args, **args)

    monkeypatch.setattr(texts, "get", get)
    return served


async def the_card(app: App, user: ChatUser) -> Card:
    account = await app.services.users.load(user.user_id)
    async with app.db.session() as session:
        [card] = (await session.exec(select(Card).where(Card.user_id == account.id))).all()
    return card


async def queued_alerts(app: App) -> list[OutboundMessage]:
    async with app.db.session() as session:
        query = select(OutboundMessage).order_by(col(OutboundMessage.created_at))
        return list((await session.exec(query)).all())


async def test_the_whole_journey_in_french(
    app: App, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = record_texts(app, monkeypatch)
    user = Francophone(app, language="fr-CI")

    # -- welcome, in the language of the Telegram app --
    await user.type("/start")
    assert "👋 Bienvenue chez cardbot !" in user.log[0].plain
    assert "Pour obtenir une carte, vérifiez d'abord votre identité." in user.screen_text()
    assert user.labels() == ["🪪 Vérifier mon identité", "❓ Aide", "⚙️ Paramètres"]

    # -- onboarding --
    await user.press("Vérifier mon identité")
    assert "Étape 1 sur 13" in user.screen_text()
    assert "Quel est votre prénom" in user.screen_text()
    assert user.labels() == ["⬅️ Retour", "✖️ Annuler"]
    await user.type(ANSWERS["first_name"])
    await user.type(ANSWERS["last_name"])
    await user.type("31/02/1990")  # no such day: asked again, in French
    assert "Je n'ai pas pu lire cette date" in user.last.plain
    await user.type(ANSWERS["birth_date"])
    assert "Dans quel pays résidez-vous ?" in user.screen_text()
    await user.press("Nigeria")
    question, _ = user.find("Retour")  # the question, then the share-my-number keyboard
    assert "Quel est votre numéro de téléphone ?" in user.messages[question].plain
    assert "ou appuyez sur le bouton ci-dessous" in user.last.plain
    assert user.last.contact_button is not None
    assert user.last.contact_button.label == "📱 Partager mon numéro de téléphone"
    await user.type(ANSWERS["phone"])
    for answer in ("address_line1", "city", "region", "postal_code"):
        await user.type(ANSWERS[answer])
    assert "Quelle pièce d'identité allez-vous utiliser ?" in user.screen_text()
    assert {"BVN", "Passeport", "Permis de conduire"} <= set(user.labels())
    await user.press("BVN")
    assert "Tapez le numéro de votre BVN" in user.screen_text()
    await user.type(ANSWERS["id_number"])
    assert "photo nette de votre pièce d'identité" in user.screen_text()
    await user.send_photo(JPEG)
    assert "envoyez un selfie" in user.screen_text()
    await user.send_photo(JPEG)
    summary = user.screen_text()
    assert "Veuillez vérifier vos informations" in summary
    assert "14 mars 1992" in summary  # the date of birth, written the French way
    assert "Numéro de pièce" in summary and "•••••••6789" in summary
    assert user.labels() == ["✅ Envoyer", "✏️ Modifier une réponse", "✖️ Annuler"]
    await user.press("Envoyer")
    assert user.last_toast.text == "Envoyé pour examen"
    assert "Vos documents sont en cours d'examen" in user.screen_text()
    clock.advance(10)
    await user.press("Voir où en est ma demande")
    assert "Votre identité est vérifiée !" in user.screen_text()

    # -- money in the wallet (the sandbox's test deposit) --
    await user.press("Menu")
    assert f"Portefeuille : {usd('0,00')}" in user.screen_text()
    await user.press("Portefeuille")
    assert "Bac à sable" in user.screen_text()
    assert [usd("50,00"), usd("100,00"), usd("500,00")] == user.labels()[:3]
    await user.press(usd("500,00"))
    assert user.last_toast.text == "Argent ajouté"
    assert f"{usd('500,00')} ajoutés à votre portefeuille." in user.screen_text()

    # -- a new card, with its fee shown before confirming --
    await user.type("/menu")
    assert f"Portefeuille : {usd('500,00')}" in user.screen_text()
    await user.press("Nouvelle carte")
    assert "Quelle carte souhaitez-vous ?" in user.screen_text()
    assert {"Visa", "Mastercard", "Visa à usage unique"} <= set(user.labels())
    await user.press("Visa")
    assert "Voulez-vous la charger maintenant ?" in user.screen_text()
    assert {"Sans montant initial", usd("25,00")} <= set(user.labels())
    await user.press(usd("25,00"))
    quote = user.screen_text()
    assert "Nouvelle carte · Visa" in quote
    assert f"Solde initial : {usd('25,00')}" in quote
    assert f"Frais de carte : {usd('2,00')}" in quote
    assert f"Vous payez : {usd('27,00')}" in quote
    await user.press("Confirmer")
    assert user.last_toast.text == "Carte demandée"
    assert "Votre nouvelle carte est en préparation" in user.screen_text()
    assert "Statut : ⏳ En cours de création" in user.screen_text()
    clock.advance(10)
    await user.press("Actualiser")
    card = await the_card(app, user)
    view = user.screen_text()
    assert "Statut : 🟢 Active" in view and f"Solde : {usd('25,00')}" in view
    assert card.masked_pan in view
    assert {"👁 Voir les données de la carte", "➕ Recharger", "❄️ Geler", "📄 Relevé"} <= set(
        user.labels()
    )

    # -- top up: refused amounts explained in French, with French amounts --
    await user.press("Recharger")
    assert f"Recharger la carte •••• {card.last4}" in user.screen_text()
    assert f"Solde actuel : {usd('25,00')}" in user.screen_text()
    await user.type("abc")
    assert "« abc » n'est pas un montant" in user.last.plain
    await user.type("6000")
    assert f"au maximum 5{NNBSP}000,00{NBSP}$US à la fois" in user.last.plain
    await user.type("10")
    quote = user.screen_text()
    assert f"Montant : {usd('10,00')}" in quote
    assert f"Frais : {usd('0,15')}" in quote
    assert f"Vous payez : {usd('10,15')} depuis votre portefeuille" in quote
    assert f"Nouveau solde de la carte : {usd('35,00')}" in quote
    await user.press("Confirmer")
    assert user.last_toast.text == "Recharge effectuée"
    assert f"{usd('10,00')} ajoutés à votre carte." in user.screen_text()
    assert f"Solde : {usd('35,00')}" in user.screen_text()

    # -- a purchase, alerted in French --
    sandbox = app.services.provider
    assert isinstance(sandbox, SandboxProvider)
    await sandbox.simulate_purchase(card.provider_card_id, Money(1250), "Boutique Plateau")
    purchase = next(m for m in await queued_alerts(app) if "Boutique Plateau" in m.text)
    assert f"🛒 <b>{usd('12,50')}</b> chez Boutique Plateau avec la carte •••• {card.last4}." in (
        purchase.text
    )
    assert f"Solde restant : {usd('22,50')}" in purchase.text

    # -- the card details, in one protected message that deletes itself --
    await user.press("Voir les données de la carte")
    assert user.last_toast.text == "Données de la carte envoyées"
    reveal = user.last
    assert reveal.protect_content
    assert "Numéro :" in reveal.plain and "Expiration :" in reveal.plain
    assert "CVV :" in reveal.plain
    ttl = app.settings.reveal_ttl_seconds
    assert f"Ce message s'efface de lui-même dans {ttl} secondes." in reveal.plain

    # -- freeze; a purchase on the frozen card is declined, and said so in French --
    await user.press("Geler")
    assert user.last_toast.text == "Carte gelée"
    view = user.screen_text()
    assert f"La carte •••• {card.last4} est gelée." in view
    assert "Statut : ❄️ Gelée" in view and f"Solde : {usd('22,50')}" in view
    assert "🔥 Dégeler" in user.labels() and "❄️ Geler" not in user.labels()
    declined = await sandbox.simulate_purchase(card.provider_card_id, Money(500), "Jumia")
    assert declined.status == "declined"
    alert = next(m for m in await queued_alerts(app) if "Jumia" in m.text)
    assert f"Un paiement de {usd('5,00')} chez Jumia" in alert.text
    assert "a été refusé : carte gelée." in alert.text
    labels = [b["label"] for row in json.loads(alert.buttons_json or "[]") for b in row]
    assert "🔥 Dégeler" in labels

    # -- the statement: French dates, French amounts, newest first --
    await user.press("Relevé")
    statement = user.screen_text()
    lines = [line for line in statement.splitlines() if line.strip()]
    assert lines[0] == f"📄 Relevé · carte •••• {card.last4} · page 1"
    entries = lines[1:]
    assert len(entries) == 4, entries
    for line in entries:
        assert re.match(r"21 nov\. 12:0\d · ", line), line
    assert "🚫 Jumia" in entries[0] and f"{usd('5,00')} refusé" in entries[0]
    assert "carte gelée" in entries[0]
    assert f"🛒 Boutique Plateau · −{usd('12,50')}" in entries[1]
    assert f"➕ Recharge · +{usd('10,00')}" in entries[2]
    assert f"➕ Recharge · +{usd('25,00')}" in entries[3]
    assert {"⚖️ Contester un paiement", "⬅️ Retour à la carte"} <= set(user.labels())
    await user.press("Retour à la carte")
    await user.press("Dégeler")
    assert user.last_toast.text == "Carte dégelée"
    assert f"La carte •••• {card.last4} est de nouveau active." in user.screen_text()
    await user.type("/menu")
    assert f"Portefeuille : {usd('462,85')}" in user.screen_text()  # 500 − 27 − 10,15

    # -- every text was French, from the French catalogue --
    languages = {language for language, _ in served}
    assert languages == {"fr"}, languages
    french = app.conversation.texts.bundles["fr"]
    untranslated = sorted({key for _, key in served if not french.has_message(key)})
    assert not untranslated, f"served through the English fallback: {untranslated}"
    assert len({key for _, key in served}) > 80  # the recorder saw the journey

    everything = user.shown + [m.text for m in await queued_alerts(app)]
    english = [(text, ENGLISH.findall(text)) for text in everything if ENGLISH.search(text)]
    assert not english, english
