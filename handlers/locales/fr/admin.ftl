## Commandes du support (administrateurs et agents)
admin-help = 🛠 <b>Commandes du support</b> (vous êtes { $role })
    /find <i>id telegram | @pseudo | +téléphone | 4 derniers chiffres nom</i>
    /who <i>titulaire</i> — statut KYC, cartes, soldes
    /txns <i>carte</i> [page] — les opérations d'une carte
    /freeze <i>carte</i> <i>motif</i> · /unfreeze <i>carte</i> <i>motif</i>
    /kyc — la file de vérification · /kycdocs <i>titulaire</i> — pièce et selfie · /kycok <i>titulaire</i> · /kycno <i>titulaire</i> <i>motif</i>
    /today — les chiffres du jour · /health — base de données, émetteurs, file d'envoi
    Administrateurs seulement : /audit [n] · /credit ou /debit <i>titulaire</i> <i>montant</i> <i>motif</i> · /approve ou /refuse <i>id</i> · /agent add|remove <i>id telegram</i> · /broadcast <i>texte</i>
    Une carte : ses 4 derniers chiffres ou le début de son id ; un titulaire : id Telegram, @pseudo, +téléphone ou id.
admin-usage = Utilisation : { $usage }
admin-usage-find = /find 123456789 · /find @ada · /find +2348031234567 · /find 4242 Okafor
admin-usage-who = /who 123456789
admin-usage-txns = /txns 4242 [page]
admin-usage-freeze = /freeze 4242 fraude suspectée
admin-usage-unfreeze = /unfreeze 4242 confirmé par le titulaire
admin-usage-kycok = /kycok 123456789
admin-usage-kycno = /kycno 123456789 photo illisible
admin-usage-credit = /credit 123456789 25.00 geste commercial pour un remboursement tardif
admin-usage-debit = /debit 123456789 25.00 dépôt en double annulé
admin-usage-approve = /approve <id de l'approbation>
admin-usage-refuse = /refuse <id de l'approbation>
admin-usage-agent = /agent add 123456789 · /agent remove 123456789
admin-usage-broadcast = /broadcast Maintenance prévue ce soir de 22 h à 23 h UTC.
admin-cardholder = 👤 <b>{ $name }</b> · id <code>{ $id }</code> · tg <code>{ $telegram }</code>
    Téléphone : { $phone } · né(e) { $birth } · { $country }
    Pièce : { $document }
    KYC : <b>{ $kyc }</b> · portefeuille <b>{ $wallet }</b>
    { $cards }
admin-card-line = 💳 <code>{ $id }</code> { $brand } •••• { $last4 } · { $status } · { $balance } · { $provider }
admin-no-cards = aucune carte
admin-txns-title = 📄 Carte •••• { $last4 } · page { $page }
admin-txn-line = { $when } · { $kind } · { $status } · { $amount } { $merchant }
admin-frozen = ❄️ Carte •••• { $last4 } bloquée ; le titulaire a été prévenu.
admin-unfrozen = 🔥 Carte •••• { $last4 } débloquée ; le titulaire a été prévenu.
admin-kyc-empty = ✅ Aucune vérification d'identité en attente.
admin-kyc-title = 🪪 { $count ->
    [one] Une vérification en attente
   *[other] { $count } vérifications en attente
}
admin-kyc-decided = KYC { $status } ; le titulaire a été prévenu.
admin-adjust-done = ✅ { $direction } de { $amount } effectué, avec son motif dans le grand livre et le journal d'audit.
admin-adjust-waiting = ⏳ { $amount } dépasse le seuil d'approbation : un autre administrateur doit faire /approve { $id }.
admin-approval-decided = Approbation { $id } : { $status }.
admin-agent-add = ✅ { $id } est maintenant agent du support.
admin-agent-add-unchanged = { $id } a déjà un rôle au support.
admin-agent-remove = ✅ { $id } n'est plus agent du support.
admin-agent-remove-unchanged = { $id } n'était pas un agent ajouté depuis la conversation.
admin-today = 📊 <b>Aujourd'hui</b>
    Inscriptions : { $signups } · Décisions KYC : { $kyc }
    Cartes émises : { $cards } · Volume : { $volume }
admin-broadcast-queued = 📣 En file pour { $count } titulaires ; l'envoi respecte les limites de Telegram.
admin-health-title = 🩺 <b>État du service</b>
admin-not-allowed = Cette commande est réservée aux administrateurs.
admin-not-found = Personne (ni aucune carte) ne correspond.
admin-ambiguous = Plusieurs résultats : précisez.
admin-find-usage = Indiquez un id Telegram, un @pseudo, un +téléphone, un id, ou 4 derniers chiffres et un nom.
admin-card-usage = Indiquez les 4 derniers chiffres de la carte ou le début de son id.
admin-reason-required = Un motif est obligatoire.
admin-kyc-not-pending = Ce titulaire n'a pas de vérification en attente.
admin-approval-not-found = Approbation introuvable.
admin-approval-closed = Cette approbation a déjà été décidée.
admin-approval-same-admin = Un second administrateur doit l'approuver, pas celui qui l'a demandée.
admin-broadcast-usage = Écrivez le message après /broadcast.
admin-broadcast-too-soon = Une diffusion toutes les { $minutes } minutes au plus : réessayez plus tard.
alert-support-frozen = ❄️ Le support a bloqué la carte •••• { $last4 } : { $reason }. Écrivez au support si c'est inattendu.
alert-support-unfrozen = 🔥 Le support a débloqué la carte •••• { $last4 } : { $reason }.
admin-usage-kycdocs = /kycdocs 123456789
admin-usage-audit = /audit [combien, jusqu'à 50]
admin-kyc-id-photo = 🪪 Pièce d'identité (protégée)
admin-kyc-selfie = 🤳 Selfie (protégé)
admin-audit-title = 🧾 <b>Journal d'audit</b>, du plus récent au plus ancien
admin-audit-line = #{ $seq } { $when } · { $actor } ({ $role }) · { $action } { $subject }{ $mark }
