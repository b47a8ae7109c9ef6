## cardbot — français (vouvoiement). Textes en HTML Telegram ; les libellés de boutons (btn-*) sont du texte brut.
## Chaque identifiant de en/cardbot.ftl existe ici avec les mêmes variables (vérifié par tests/test_languages.py).

## General
welcome = 👋 Bienvenue chez <b>{ $brand }</b> !
    Obtenez une carte virtuelle en dollars US en quelques minutes et payez en ligne partout où les cartes sont acceptées.
    Nous devons d'abord vérifier votre identité — cela prend environ deux minutes.
welcome-back = 👋 Bon retour parmi nous ! Reprenons là où vous vous étiez arrêté.
menu-kyc-none = 🏠 <b>{ $brand }</b>
    Pour obtenir une carte, vérifiez d'abord votre identité.
menu-kyc-draft = 🏠 <b>{ $brand }</b>
    Votre vérification n'est pas encore terminée. Reprenez là où vous vous étiez arrêté.
menu-kyc-pending = 🏠 <b>{ $brand }</b>
    ⏳ Vos documents sont en cours d'examen.
menu-kyc-rejected = 🏠 <b>{ $brand }</b>
    ❌ Votre vérification n'a pas été acceptée. Vous pouvez corriger vos réponses et les renvoyer.
menu-verified = 🏠 <b>{ $brand }</b>
    💰 Portefeuille : <b>{ $wallet }</b>
    Que souhaitez-vous faire ?
help = ❓ <b>Aide</b>
    /menu — menu principal
    /cards — vos cartes
    /cancel — arrêter l'opération en cours
    /help — cette aide

    🔒 Les données de votre carte ne s'affichent que lorsque vous appuyez sur « Voir les données de la carte », et le message s'efface de lui-même au bout de { $ttl } secondes.
    Besoin de parler à quelqu'un ? Écrivez à { $support }.
cancelled = Annulé. Rien n'a été modifié.
cancelled-toast = Annulé
unknown-command = Je ne connais pas cette commande. Essayez /menu ou /help.
not-understood = Je n'ai pas compris. Utilisez les boutons, ou tapez /menu pour voir ce que vous pouvez faire.
error-unexpected = 😕 Un problème est survenu de notre côté. Aucun montant n'a été débité. Veuillez réessayer, ou tapez /menu.
button-stale = Ce bouton appartient à un ancien message et ne fonctionne plus. Utilisez le dernier message, ou tapez /menu.
not-offered = Cette option n'est pas disponible pour votre carte.
sandbox-only = Cette fonction n'est disponible qu'avec l'émetteur de test intégré (bac à sable).

## Buttons
btn-menu = 🏠 Menu
btn-help = ❓ Aide
btn-back = ⬅️ Retour
btn-cancel = ✖️ Annuler
btn-confirm = ✅ Confirmer
btn-my-cards = 💳 Mes cartes
btn-new-card = ➕ Nouvelle carte
btn-first-card = 💳 Obtenir ma première carte
btn-kyc-start = 🪪 Vérifier mon identité
btn-kyc-continue = 🪪 Reprendre la vérification
btn-kyc-status = 🔄 Voir où en est ma demande
btn-kyc-fix = ✏️ Corriger et renvoyer
btn-kyc-submit = ✅ Envoyer
btn-kyc-edit = ✏️ Modifier une réponse
btn-share-phone = 📱 Partager mon numéro de téléphone
btn-card = { $line }
btn-refresh = 🔄 Actualiser
btn-reveal = 👁 Voir les données de la carte
btn-topup = ➕ Recharger
btn-withdraw = ➖ Retirer
btn-withdraw-all = Tout ({ $amount })
btn-freeze = ❄️ Geler
btn-unfreeze = 🔥 Dégeler
btn-statement = 📄 Relevé
btn-terminate = 🗑 Résilier la carte
btn-terminate-yes = Oui, la résilier
btn-terminate-final = 🗑 Résilier définitivement
btn-keep-card = ⬅️ Garder ma carte
btn-no-initial = Sans montant initial
btn-amount = { $amount }
btn-newer = ◀️ Plus récentes
btn-older = Plus anciennes ▶️
btn-back-card = ⬅️ Retour à la carte

## KYC questions
kyc-step = <i>Étape { $step } sur { $total }</i>
kyc-ask-first_name = Quel est votre <b>prénom</b>, tel qu'il figure sur votre pièce d'identité ?
kyc-ask-last_name = Quel est votre <b>nom de famille</b>, tel qu'il figure sur votre pièce d'identité ?
kyc-ask-birth_date = Quelle est votre <b>date de naissance</b> ? Tapez-la au format JJ/MM/AAAA, par exemple 31/12/1990.
kyc-ask-country = Dans quel <b>pays</b> résidez-vous ? Appuyez sur un pays, ou tapez son nom ou son code (ex. Sénégal ou SN).
kyc-ask-phone = Quel est votre <b>numéro de téléphone</b> ? Tapez-le avec l'indicatif du pays (ex. +225 07 01 23 45 67), ou un numéro local ({ $country }).
kyc-phone-share-hint = …ou appuyez sur le bouton ci-dessous pour partager le numéro de ce compte Telegram.
kyc-ask-address_line1 = Quelle est votre <b>adresse</b> ? (numéro et rue, ou quartier)
kyc-ask-city = Dans quelle <b>ville</b> ?
kyc-ask-region = Dans quelle <b>région ou quel État</b> ?
kyc-ask-postal_code = Quel est votre <b>code postal</b> ?
kyc-ask-id_type = Quelle <b>pièce d'identité</b> allez-vous utiliser ?
kyc-ask-id_number = Tapez le numéro de votre <b>{ $kind }</b>, par exemple <code>{ $example }</code>.
kyc-ask-id_photo = Envoyez une <b>photo nette de votre pièce d'identité</b>, avec les quatre coins visibles.
kyc-ask-selfie = Dernière étape : envoyez un <b>selfie</b> — votre visage, bien éclairé, sans lunettes de soleil.
kyc-field-first_name = Prénom
kyc-field-last_name = Nom
kyc-field-birth_date = Date de naissance
kyc-field-country = Pays
kyc-field-phone = Téléphone
kyc-field-address_line1 = Adresse
kyc-field-city = Ville
kyc-field-region = Région/État
kyc-field-postal_code = Code postal
kyc-field-id_type = Type de pièce
kyc-field-id_number = Numéro de pièce
kyc-field-id_photo = Photo de la pièce
kyc-field-selfie = Selfie
kyc-photo-received = ✅ reçue
kyc-summary-title = 📋 <b>Veuillez vérifier vos informations</b>
kyc-summary-footer = Tout est correct ? Envoyez, ou modifiez d'abord une réponse.
kyc-edit-which = Quelle réponse souhaitez-vous modifier ?
kyc-use-buttons = Veuillez utiliser les boutons ci-dessous : envoyer, ou modifier une réponse.
kyc-submitting = Envoyé pour examen
kyc-pending = ⏳ <b>Merci ! Vos documents sont en cours d'examen.</b>
    Cela prend généralement quelques minutes. Appuyez sur « Voir où en est ma demande » pour savoir si c'est terminé.
kyc-still-pending = Toujours en cours d'examen
kyc-approved = ✅ <b>Votre identité est vérifiée !</b>
    Vous pouvez maintenant obtenir votre carte virtuelle en dollars US.
kyc-rejected = ❌ <b>Votre vérification n'a pas été acceptée.</b>
    Motif : { $reason }
    Vous pouvez corriger vos réponses et les renvoyer.
kyc-reason-document_unverified = la pièce d'identité n'a pas pu être vérifiée. Envoyez une photo plus nette, et vérifiez que votre nom est écrit exactement comme sur la pièce.
kyc-reason-id_not_found = le numéro de pièce est introuvable. Vérifiez le numéro et le type de pièce.
kyc-reason-other = l'émetteur n'a pas pu vérifier vos informations. Vérifiez vos réponses et réessayez.
kyc-required = 🪪 Vous devez vérifier votre identité avant de pouvoir obtenir une carte.
kyc-locked = Vos informations ont déjà été envoyées pour examen et ne peuvent plus être modifiées.
kyc-incomplete = Certaines réponses manquent encore. Complétons-les d'abord.

## KYC answers that need another try
kyc-text-expected = ✍️ Veuillez taper votre réponse dans un message.
kyc-name-empty = ✍️ Veuillez taper un nom.
kyc-name-invalid = ✍️ Cela ne ressemble pas à un nom. Utilisez uniquement des lettres (les traits d'union et apostrophes sont acceptés), 50 caractères au maximum.
kyc-dob-format = 📅 Je n'ai pas pu lire cette date. Tapez-la au format JJ/MM/AAAA, par exemple 31/12/1990.
kyc-dob-future = 📅 Cette date est dans le futur. Tapez votre date de naissance au format JJ/MM/AAAA.
kyc-dob-under-age = 🔞 Vous devez avoir au moins { $age } ans pour obtenir une carte.
kyc-country-unknown = 🌍 Je ne connais pas le pays « { $given } ». Tapez son nom en anglais (ex. Cameroon) ou son code à deux lettres (ex. CM).
kyc-phone-invalid = 📱 Ce numéro de téléphone n'est pas valide. Tapez-le avec l'indicatif du pays, ex. +225 07 01 23 45 67.
kyc-phone-not-own = 📱 Veuillez partager votre propre numéro, pas le contact de quelqu'un d'autre.
kyc-address-line1-invalid = 🏠 Veuillez taper votre adresse, ex. 12 rue des Jardins (de 3 à 100 caractères).
kyc-city-invalid = 🏙 Veuillez taper le nom de votre ville.
kyc-region-invalid = 🗺 Veuillez taper votre région ou État, ex. Lagos.
kyc-postal-code-invalid = 📮 Veuillez taper votre code postal : lettres, chiffres, espaces ou traits d'union, 10 caractères au maximum.
kyc-id-type-invalid = 🪪 Veuillez choisir l'un des types de pièce ci-dessous.
kyc-id-number-invalid = 🪪 Ce numéro de pièce ne semble pas correct. Il devrait ressembler à <code>{ $example }</code>.
kyc-photo-expected = 📷 Veuillez envoyer une photo (bouton 📎, puis Appareil photo ou Galerie).
kyc-photo-too-large = 📷 Cette photo est trop lourde. Veuillez en envoyer une de moins de 10 Mo.
kyc-photo-not-image = 📷 Ce fichier n'est pas une photo. Veuillez envoyer une image JPEG ou PNG.

## ID types
id-type-bvn = BVN
id-type-nin = NIN
id-type-passport = Passeport
id-type-drivers_licence = Permis de conduire
id-type-national_id = Carte nationale d'identité
id-type-ghana_card = Ghana Card

## Cards
brand-visa = Visa
brand-mastercard = Mastercard
card-status-pending = En cours de création
card-status-active = Active
card-status-frozen = Gelée
card-status-terminated = Résiliée
card-line = { $icon } { $brand } •••• { $last4 } · { $status } · { $balance }
cards-title = 💳 <b>Vos cartes</b>
    Appuyez sur une carte pour l'afficher et la gérer.
cards-empty = 💳 Vous n'avez pas encore de carte.
card-view = 💳 <b>{ $brand }</b>
    <code>{ $masked }</code>
    Statut : { $icon } { $status }
    Solde : <b>{ $balance }</b>
card-not-found = Cette carte est introuvable. Ouvrez /cards pour voir vos cartes.
card-brand-unknown = Ce type de carte n'est pas proposé. Veuillez choisir l'une des options.
card-initial-not-offered = Un montant initial n'est pas proposé pour cette carte.
card-limit-reached = Vous avez déjà { $count } cartes, le maximum autorisé. Résiliez-en une pour en obtenir une nouvelle.
card-already-terminated = Cette carte est déjà résiliée.
card-ambiguous = Plusieurs cartes se terminent par ces chiffres.
card-not-active-pending = Cette carte est encore en cours de création. Appuyez sur Actualiser dans un instant.
card-not-active-frozen = Cette carte est gelée. Dégelez-la d'abord.
card-not-active-terminated = Cette carte est résiliée.
card-not-revealable-pending = La carte est encore en cours de création ; ses données ne sont pas encore disponibles.
card-not-revealable-terminated = Cette carte est résiliée ; ses données ne sont plus disponibles.
operation-not-found = Cette demande est introuvable. Veuillez recommencer depuis /cards.

## Issuing
issue-choose-option = ➕ <b>Nouvelle carte</b>
    Quelle carte souhaitez-vous ?
issue-choose-wallet = 📱 Dans quel portefeuille mobile allez-vous ajouter la carte ?
option-regular = { $brand }
option-wallet = { $brand } pour Apple Pay et Google Pay
option-single = { $brand } à usage unique
wallet-apple_pay = Apple Pay
wallet-google_pay = Google Pay
btn-option = { $label }
card-wallet-unknown = Veuillez choisir Apple Pay ou Google Pay.
card-none-offered = Aucune carte ne peut vous être émise pour le moment. Veuillez contacter le service client.
kyc-country-not-served = Désolé, nous ne pouvons pas encore émettre de cartes pour les personnes résidant dans ce pays.
provider-not-enabled = l'émetteur de cette carte n'est pas disponible pour le moment.
provider-kyc-pending = l'émetteur de la carte examine encore vos informations. Réessayez dans quelques minutes.
provider-kyc-rejected = l'émetteur de la carte n'a pas pu vérifier vos informations.
issue-ask-initial = ➕ <b>Nouvelle carte · { $brand }</b>
    Voulez-vous la charger maintenant ? Appuyez sur un montant, tapez-en un (ex. 25 ou 25.50), ou commencez sans montant.
issue-ask-initial-required = ➕ <b>Nouvelle carte · { $brand }</b>
    Cette carte ne pourra pas être rechargée plus tard : quel montant doit-elle contenir ? Appuyez sur un montant ou tapez-en un (ex. 25 ou 25.50).
quote-issue = 🧾 <b>Nouvelle carte · { $brand }</b>
    Frais de carte : { $fee }
    <b>Vous payez : { $total }</b>
quote-issue-initial = 🧾 <b>Nouvelle carte · { $brand }</b>
    Solde initial : { $amount }
    Frais de carte : { $fee }
    <b>Vous payez : { $total }</b>
done-issue = ✅ Votre nouvelle carte est en préparation. Elle sera active dans un instant — appuyez sur Actualiser.
done-issue-ready = ✅ Votre nouvelle carte est prête à l'emploi.
done-issue-toast = Carte demandée

## Top up and withdraw
topup-ask = ➕ <b>Recharger la carte •••• { $last4 }</b>
    Solde actuel : { $balance }
    Appuyez sur un montant ou tapez-en un, ex. 25 ou 25.50.
withdraw-ask = ➖ <b>Retirer de la carte •••• { $last4 }</b>
    Solde actuel : { $balance }
    Tapez le montant à retirer de la carte, ex. 10 ou 10.50.
quote-topup = 🧾 <b>Recharger la carte •••• { $last4 }</b>
    Montant : { $amount }
    Frais : { $fee }
    <b>Vous payez : { $total }</b> depuis votre portefeuille
    Nouveau solde de la carte : { $after }
quote-withdraw = 🧾 <b>Retirer de la carte •••• { $last4 }</b>
    Montant : { $amount }
    Frais : { $fee }
    <b>Vous recevez : { $total }</b> sur votre portefeuille
    Nouveau solde de la carte : { $after }
done-topup = ✅ { $amount } ajoutés à votre carte.
done-topup-toast = Recharge effectuée
done-withdraw = ✅ { $amount } retirés de votre carte.
done-withdraw-toast = Retrait effectué
already-done = C'était déjà fait — rien n'a été débité deux fois.
in-progress = ⏳ L'émetteur n'a pas encore confirmé. Nous vérifions, et vous ne serez pas débité deux fois.
quote-expired = ⌛ Cette confirmation a expiré. Veuillez recommencer.
failed = ❌ L'opération n'a pas abouti : { $reason }
provider-failed = l'émetteur de la carte n'a pas pu la traiter. Veuillez réessayer plus tard.
amount-type-it = ✍️ Veuillez taper le montant en chiffres, ex. 25 ou 25.50.
amount-not-a-number = ✍️ « { $given } » n'est pas un montant. Tapez un nombre, ex. 25 ou 25.50 (avec un point pour les centimes).
amount-not-positive = ✍️ Le montant doit être supérieur à zéro. Tapez par exemple 25.
amount-too-precise = ✍️ Deux décimales au maximum (les centimes), ex. 12.34.
amount-below-min = ✍️ Le montant minimum est de { $min }. Tapez un montant plus élevé.
amount-over-max = ✍️ Vous pouvez déplacer au maximum { $max } à la fois. Tapez un montant plus petit.
amount-over-balance = ✍️ Votre carte contient { $balance }. Tapez un montant inférieur ou égal.
amount-over-card-cap = ✍️ La carte dépasserait son plafond. Vous pouvez ajouter jusqu'à { $room }.
amount-below-fee = ✍️ Les frais sont de { $fee } ; retirez un montant supérieur.

## Wallet
btn-wallet = 💰 Portefeuille · ajouter de l'argent
btn-view-card = 💳 Voir la carte
wallet-title = 💰 <b>Votre portefeuille : { $balance }</b>
    Vos cartes sont rechargées depuis votre portefeuille, et l'argent retiré d'une carte y revient.
wallet-sandbox-deposit = 🧪 Bac à sable : appuyez sur un montant ou tapez-en un pour ajouter de l'argent de test.
wallet-how-to-deposit = Pour ajouter de l'argent, payez avec votre référence <code>{ $reference }</code> selon les instructions de { $support }. Le montant s'affiche ici dès son arrivée.
wallet-deposited = ✅ { $amount } ajoutés à votre portefeuille.
wallet-deposited-toast = Argent ajouté
wallet-insufficient = 💰 Votre portefeuille contient { $balance }, et cette opération nécessite { $need }. Ajoutez d'abord de l'argent.
wallet-insufficient-reason = votre portefeuille ne contenait pas assez d'argent
adjust-reason-required = Un motif est obligatoire.

## Alerts
alert-purchase = 🛒 <b>{ $amount }</b> chez { $merchant } avec la carte •••• { $last4 }.
    Solde restant : { $balance }
alert-low-balance = 🔋 Le solde de la carte •••• { $last4 } est bas : il reste { $balance }. Rechargez-la pour continuer à payer.
alert-refund = ↩️ { $merchant } a remboursé <b>{ $amount }</b> sur la carte •••• { $last4 }.
    Solde : { $balance }
alert-decline = 🚫 Un paiement de { $amount } chez { $merchant } avec la carte •••• { $last4 } a été refusé : { $why }.
alert-decline-strikes = ⚠️ L'émetteur ferme une carte après trois paiements refusés d'affilée faute de solde. { $strikes ->
    [one] Encore un refus et cette carte sera résiliée.
   *[other] Encore { $strikes } refus et cette carte sera résiliée.
} Rechargez-la dès maintenant pour la garder.
alert-card-frozen = ❄️ L'émetteur a gelé la carte •••• { $last4 }. Les paiements sont refusés jusqu'à ce qu'elle soit dégelée.
alert-card-terminated = 🗑 L'émetteur a fermé la carte •••• { $last4 }. { $returned } sont revenus sur votre portefeuille.
alert-kyc-approved = ✅ <b>Votre identité est vérifiée !</b> Vous pouvez maintenant obtenir votre carte virtuelle en dollars US.
alert-kyc-rejected = ❌ Votre vérification n'a pas été acceptée. Vous pouvez corriger vos réponses et les renvoyer.
op-kind-issue = création de carte
op-kind-topup = recharge
op-kind-withdraw = retrait
alert-operation-succeeded = ✅ Opération réussie : { $kind } de { $amount }.
alert-operation-failed = ❌ Opération non aboutie : { $kind } de { $amount }. L'argent est revenu sur votre portefeuille.

## Card controls
card-single-use = 1️⃣ Usage unique : elle cesse de fonctionner après son premier paiement.
card-wallet = 📱 Prête pour { $wallet }.
card-limits = 🎚 Plafonds : { $daily } par jour · { $per_purchase } par achat
limit-none = aucun
card-airline-on = ✈️ Paiements aux compagnies aériennes : autorisés
card-airline-off = ✈️ Paiements aux compagnies aériennes : bloqués
btn-limits = 🎚 Plafonds
btn-airline-on = ✈️ Autoriser les compagnies aériennes
btn-airline-off = ✈️ Bloquer les compagnies aériennes
limits-title = 🎚 <b>Plafonds de dépenses · carte •••• { $last4 }</b>
btn-limit-daily = Fixer un plafond journalier
btn-limit-purchase = Fixer un plafond par achat
btn-limits-clear = Supprimer tous les plafonds
limit-ask-daily = 🎚 Combien la carte •••• { $last4 } peut-elle dépenser <b>par jour</b> ? Appuyez sur un montant ou tapez-en un, ex. 150.
limit-ask-txn = 🎚 Quel montant maximum pour <b>un seul achat</b> avec la carte •••• { $last4 } ? Appuyez sur un montant ou tapez-en un, ex. 80.
limits-saved = ✅ Plafonds enregistrés.
limits-cleared = ✅ Plafonds supprimés : la carte peut dépenser tout son solde.
limits-saved-toast = Plafonds enregistrés
limit-per-purchase-over-daily = ✍️ Le plafond par achat ne peut pas dépasser le plafond journalier ({ $daily }).
airline-enabled = ✈️ Les paiements aux compagnies aériennes sont autorisés sur la carte •••• { $last4 }.
airline-enabled-toast = Compagnies aériennes autorisées
airline-disabled = ✈️ Les paiements aux compagnies aériennes sont bloqués sur la carte •••• { $last4 }.
airline-disabled-toast = Compagnies aériennes bloquées
btn-dispute = ⚖️ Contester un paiement
btn-dispute-item = { $merchant } · { $amount }
dispute-pick = ⚖️ <b>Contester un paiement · carte •••• { $last4 }</b>
    Quel paiement est erroné ?
dispute-ask-reason = ✍️ En quelques mots, quel est le problème ? Par exemple : « débité deux fois » ou « marchandise jamais reçue ».
dispute-type-reason = ✍️ Veuillez taper le problème rencontré avec ce paiement (de 10 à 500 caractères).
dispute-reason-length = ✍️ Veuillez expliquer le problème en 10 à 500 caractères.
dispute-opened = ⚖️ Contestation ouverte (référence { $reference }). L'émetteur va l'examiner et nous vous tiendrons informé.
provider-not-disputable = seuls les achats acceptés peuvent être contestés.
provider-dispute-exists = ce paiement est déjà contesté.
decline-airline_blocked = les paiements aux compagnies aériennes sont bloqués
decline-over_transaction_limit = plafond par achat dépassé
decline-over_daily_limit = plafond journalier dépassé

btn-issue-limits-set = 🎚 Fixer des plafonds
btn-issue-limits-none = Sans plafond
btn-skip = Passer
btn-count = { $count }
issue-limits-ask = 🎚 Les plafonds de dépenses de cette carte ne peuvent être fixés que maintenant, à sa création. Voulez-vous en fixer ?
issue-ilimit-daily-ask = 🎚 Combien la carte peut-elle dépenser <b>par jour</b> ? Appuyez sur un montant, tapez-en un (ex. 150), ou passez.
issue-ilimit-txn-ask = 🎚 Quel montant maximum pour <b>un seul achat</b> ? Appuyez sur un montant, tapez-en un (ex. 80), ou passez.
issue-ilimit-count-ask = 🔢 Combien d'<b>achats par jour</b> au maximum ? Appuyez sur un nombre, tapez-en un (ex. 4), ou passez.
limit-count-type-it = 🔢 Veuillez taper un nombre entier d'achats, ex. 4, ou appuyez sur Passer.
limit-count-range = 🔢 Choisissez entre 1 et 1000 achats par jour.
card-limit-count = 🔢 Au maximum { $count } achats par jour
card-initial-required = ✍️ Cette carte ne pourra pas être rechargée plus tard : elle doit recevoir un montant maintenant. Tapez-en un, ex. 25.

## Freeze, terminate
frozen = ❄️ La carte •••• { $last4 } est gelée. Les achats sont refusés jusqu'à ce que vous la dégeliez.
frozen-toast = Carte gelée
unfrozen = 🔥 La carte •••• { $last4 } est de nouveau active.
unfrozen-toast = Carte dégelée
terminate-ask = 🗑 <b>Résilier la carte •••• { $last4 } ?</b>
    La carte cessera définitivement de fonctionner. Son solde restant de { $balance } vous sera reversé.
terminate-ask-again = ⚠️ <b>En êtes-vous sûr ?</b> La carte •••• { $last4 } ne pourra pas être réactivée.
terminated = 🗑 La carte •••• { $last4 } est résiliée. { $balance } vous ont été reversés.
terminated-toast = Carte résiliée

## Statement
statement-title = 📄 <b>Relevé · carte •••• { $last4 }</b> · page { $page }
statement-empty = Aucune opération pour le moment.
txn-topup = { $when } · ➕ Recharge · +{ $amount }
txn-withdraw = { $when } · ➖ Retrait · −{ $amount }
txn-purchase = { $when } · 🛒 { $merchant } · −{ $amount }
txn-purchase-declined = { $when } · 🚫 { $merchant } · { $amount } refusé{ $reason }
txn-refund = { $when } · ↩️ Remboursement { $merchant } · +{ $amount }
txn-fee = { $when } · Frais · −{ $amount }
decline-insufficient_funds = solde insuffisant
decline-card_frozen = carte gelée
decline-card_terminated = carte résiliée
decline-card_pending = carte pas encore active

## Reveal
reveal-toast = Données de la carte envoyées
reveal = 🔒 <b>{ $brand } •••• { $last4 }</b>
    Numéro : { $pan }
    Expiration : { $expiry }
    CVV : { $cvv }

    Appuyez sur un champ masqué pour le voir ; appuyez sur le numéro pour le copier.
    ⏱ Ce message s'efface de lui-même dans { $ttl } secondes.

## Issuer errors
provider-not-found = l'émetteur n'a pas trouvé cet élément.
provider-bad-request = l'émetteur a refusé la demande.
provider-limit = cela dépasse la limite de l'émetteur.
provider-kyc-not-approved = votre vérification n'est pas encore acceptée.
provider-card-terminated = la carte est résiliée.
provider-card-pending = la carte n'est pas encore active.
provider-card-frozen = la carte est gelée.
provider-card-active = la carte est déjà active.
provider-insufficient-funds = le solde est insuffisant.
provider-unavailable = l'émetteur de la carte est momentanément indisponible. Veuillez réessayer dans quelques minutes.
provider-bad-response = l'émetteur de la carte a envoyé une réponse illisible. Veuillez réessayer plus tard.
provider-auth = l'émetteur de la carte a refusé nos identifiants. Veuillez contacter le service client.
provider-forbidden = l'émetteur de la carte n'a pas autorisé cette opération.
provider-conflict = l'émetteur de la carte indique que c'est déjà fait ou que cela entre en conflit avec une autre demande.
provider-rate-limited = l'émetteur de la carte est très sollicité. Veuillez réessayer dans une minute.
alert-deposit = 💰 <b>{ $amount }</b> reçus sur votre portefeuille. Solde : { $balance }

## Audit
btn-reveal-history = 🕓 Historique des affichages
audit-history-title = 🕓 <b>Historique des affichages · carte •••• { $last4 }</b>
    Quand les données de cette carte ont été affichées, et les actions du service client sur elle, des plus récentes aux plus anciennes.
audit-history-empty = Personne n'a encore affiché les données de cette carte.
audit-history-no-more = Aucune entrée plus ancienne.
audit-history-line = { $icon } { $when } · { $who }, via { $via }
audit-history-unverified = ⚠️ (cette entrée n'a pas passé le contrôle d'intégrité)
audit-who-you = Vous
audit-who-admin = Un administrateur
audit-who-agent = Un agent du service client
audit-who-system = cardbot
audit-who-other = Quelqu'un d'autre
audit-via-reveal = Voir les données de la carte
audit-via-card-freeze = Gel de la carte (service client)
audit-via-card-unfreeze = Dégel de la carte (service client)
audit-via-card-terminate = Résiliation de la carte (service client)
audit-via-card-transactions = une consultation des opérations de la carte (service client)
audit-via-other = une action du service client ({ $action })

## Settings
btn-settings = ⚙️ Paramètres
settings-title = ⚙️ <b>Paramètres</b>
    Langue : { $name }
    Appuyez sur la langue dans laquelle vous souhaitez que je vous écrive.
btn-language = { $name }
btn-language-current = ✅ { $name }
language-name-en = English
language-name-fr = Français
settings-language-changed = ✅ Langue : { $name }
settings-language-changed-toast = Langue modifiée

## Documents
btn-card-picture = 🖼 Image de la carte
btn-spending-chart = 📊 Graphique des dépenses
btn-statement-csv = ⬇️ CSV
btn-statement-pdf = ⬇️ PDF
doc-picture-caption = 🖼 { $brand } •••• { $last4 }
doc-chart-caption = 📊 Dépenses de la carte •••• { $last4 } : <b>{ $total }</b> en { $count ->
        [one] { $count } achat
       *[other] { $count } achats
    }.
doc-csv-caption = ⬇️ Relevé de la carte •••• { $last4 } au format CSV : { $count ->
        [one] { $count } opération
       *[other] { $count } opérations
    }.
doc-pdf-caption = ⬇️ Relevé de la carte •••• { $last4 } au format PDF : { $count ->
        [one] { $count } opération
       *[other] { $count } opérations
    }.
document-card-not-numbered = 🖼 Cette carte n'a pas encore de numéro. Réessayez une fois qu'elle sera prête.
doc-card-virtual = Virtuelle
doc-card-holder = Titulaire
doc-chart-title = Dépenses mensuelles
doc-chart-total = Total
doc-chart-empty = Aucun achat pour le moment
doc-chart-purchases = { $count ->
        [one] { $count } achat
       *[other] { $count } achats
    }
doc-pdf-title = Relevé de carte
doc-pdf-card = Carte
doc-pdf-period = Période
doc-pdf-generated = Établi le
doc-pdf-date = Date
doc-pdf-description = Libellé
doc-pdf-type = Type
doc-pdf-amount = Montant
doc-pdf-money-in = Entrées
doc-pdf-money-out = Sorties
doc-pdf-net = Variation nette
doc-pdf-declined = Paiements refusés (non débités)
doc-pdf-declined-status = refusé
doc-pdf-empty = Aucune opération pour le moment.
doc-pdf-note = Montants en { $currency }. Les entrées sont positives et les sorties négatives. Les paiements refusés n'ont pas été débités et ne figurent pas dans les totaux.
doc-pdf-page = Page
doc-kind-topup = Recharge
doc-kind-withdraw = Retrait
doc-kind-purchase = Achat
doc-kind-refund = Remboursement
doc-kind-fee = Frais
help-links = 📜 <a href="{ $terms }">Conditions</a> · <a href="{ $privacy }">Confidentialité</a>
