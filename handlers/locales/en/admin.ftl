## Support commands (admins and agents)
admin-help = 🛠 <b>Support commands</b> (you are { $role })
    /find <i>telegram id | @username | +phone | last4 name</i>
    /who <i>cardholder</i> — KYC status, cards, balances
    /txns <i>card</i> [page] — a card's transactions
    /freeze <i>card</i> <i>reason</i> · /unfreeze <i>card</i> <i>reason</i>
    /kyc — the review queue · /kycdocs <i>cardholder</i> — ID photo and selfie · /kycok <i>cardholder</i> · /kycno <i>cardholder</i> <i>reason</i>
    /today — today's figures · /health — database, issuers, queue
    Admins only: /audit [n] · /credit or /debit <i>cardholder</i> <i>amount</i> <i>reason</i> · /approve or /refuse <i>id</i> · /agent add|remove <i>telegram id</i> · /broadcast <i>text</i>
    A card is its last four digits or the first characters of its id; a cardholder is a Telegram id, @username, +phone or id.
admin-usage = Usage: { $usage }
admin-usage-find = /find 123456789 · /find @ada · /find +2348031234567 · /find 4242 Okafor
admin-usage-who = /who 123456789
admin-usage-txns = /txns 4242 [page]
admin-usage-freeze = /freeze 4242 suspected fraud
admin-usage-unfreeze = /unfreeze 4242 cardholder confirmed
admin-usage-kycok = /kycok 123456789
admin-usage-kycno = /kycno 123456789 photo unreadable
admin-usage-credit = /credit 123456789 25.00 goodwill for delayed refund
admin-usage-debit = /debit 123456789 25.00 duplicate deposit reversed
admin-usage-approve = /approve <approval id>
admin-usage-refuse = /refuse <approval id>
admin-usage-agent = /agent add 123456789 · /agent remove 123456789
admin-usage-broadcast = /broadcast Planned maintenance tonight 22:00–23:00 UTC.
admin-cardholder = 👤 <b>{ $name }</b> · id <code>{ $id }</code> · tg <code>{ $telegram }</code>
    Phone: { $phone } · born { $birth } · { $country }
    ID: { $document }
    KYC: <b>{ $kyc }</b> · wallet <b>{ $wallet }</b>
    { $cards }
admin-card-line = 💳 <code>{ $id }</code> { $brand } •••• { $last4 } · { $status } · { $balance } · { $provider }
admin-no-cards = no cards
admin-txns-title = 📄 Card •••• { $last4 } · page { $page }
admin-txn-line = { $when } · { $kind } · { $status } · { $amount } { $merchant }
admin-frozen = ❄️ Card •••• { $last4 } frozen; the cardholder has been told.
admin-unfrozen = 🔥 Card •••• { $last4 } unfrozen; the cardholder has been told.
admin-kyc-empty = ✅ No identity reviews waiting.
admin-kyc-title = 🪪 { $count ->
    [one] One review waiting
   *[other] { $count } reviews waiting
}
admin-kyc-decided = KYC { $status }; the cardholder has been told.
admin-adjust-done = ✅ { $direction } of { $amount } done, with its reason in the ledger and the audit log.
admin-adjust-waiting = ⏳ { $amount } is over the approval threshold: another admin must /approve { $id }.
admin-approval-decided = Approval { $id }: { $status }.
admin-agent-add = ✅ { $id } is now a support agent.
admin-agent-add-unchanged = { $id } already has a support role.
admin-agent-remove = ✅ { $id } is no longer a support agent.
admin-agent-remove-unchanged = { $id } was not an agent added in the chat.
admin-today = 📊 <b>Today</b>
    Signups: { $signups } · KYC decisions: { $kyc }
    Cards issued: { $cards } · Volume: { $volume }
admin-broadcast-queued = 📣 Queued for { $count } cardholders; it goes out within Telegram's limits.
admin-health-title = 🩺 <b>Health</b>
admin-not-allowed = This command is for admins.
admin-not-found = No one (or no card) matches that.
admin-ambiguous = More than one match: be more precise.
admin-find-usage = Give a Telegram id, @username, +phone, an id, or last four digits and a name.
admin-card-usage = Give the card's last four digits or the start of its id.
admin-reason-required = A reason is required.
admin-kyc-not-pending = That cardholder has no review waiting.
admin-approval-not-found = No such approval.
admin-approval-closed = That approval was already decided.
admin-approval-same-admin = A second admin must approve it, not the one who asked.
admin-broadcast-usage = Write the message after /broadcast.
admin-broadcast-too-soon = One broadcast per { $minutes } minutes: try again later.
alert-support-frozen = ❄️ Support froze card •••• { $last4 }: { $reason }. Write to support if this is unexpected.
alert-support-unfrozen = 🔥 Support unfroze card •••• { $last4 }: { $reason }.
admin-usage-kycdocs = /kycdocs 123456789
admin-usage-audit = /audit [how many, up to 50]
admin-kyc-id-photo = 🪪 ID document (protected)
admin-kyc-selfie = 🤳 Selfie (protected)
admin-audit-title = 🧾 <b>Audit log</b>, newest first
admin-audit-line = #{ $seq } { $when } · { $actor } ({ $role }) · { $action } { $subject }{ $mark }
