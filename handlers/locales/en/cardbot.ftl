## cardbot — English. Texts are Telegram HTML; button labels (btn-*) are plain text.

## General
welcome = 👋 Welcome to <b>{ $brand }</b>!
    Get a USD virtual card in minutes and pay online anywhere cards are accepted.
    First we need to verify who you are — it takes about two minutes.
welcome-back = 👋 Welcome back! Let's continue where you left off.
menu-kyc-none = 🏠 <b>{ $brand }</b>
    To get a card, verify your identity first.
menu-kyc-draft = 🏠 <b>{ $brand }</b>
    Your verification is not finished yet. Continue where you left off.
menu-kyc-pending = 🏠 <b>{ $brand }</b>
    ⏳ Your documents are being reviewed.
menu-kyc-rejected = 🏠 <b>{ $brand }</b>
    ❌ Your verification was not approved. You can fix your answers and send them again.
menu-verified = 🏠 <b>{ $brand }</b>
    💰 Wallet: <b>{ $wallet }</b>
    What would you like to do?
help = ❓ <b>Help</b>
    /menu — main menu
    /cards — your cards
    /cancel — stop what you are doing
    /help — this help

    🔒 Card details are shown only when you tap “Show card details”, and the message deletes itself after { $ttl } seconds.
    Need a person? Write to { $support }.
cancelled = Cancelled. Nothing was changed.
cancelled-toast = Cancelled
unknown-command = I don't know that command. Try /menu or /help.
not-understood = I didn't get that. Use the buttons, or type /menu to see what you can do.
error-unexpected = 😕 Something went wrong on our side. Nothing was charged. Please try again, or type /menu.
button-stale = This button is from an older message and no longer works. Use the latest message, or type /menu.
not-offered = This is not available for your card.
sandbox-only = This works only with the built-in sandbox issuer.

## Buttons
btn-menu = 🏠 Menu
btn-help = ❓ Help
btn-back = ⬅️ Back
btn-cancel = ✖️ Cancel
btn-confirm = ✅ Confirm
btn-my-cards = 💳 My cards
btn-new-card = ➕ New card
btn-first-card = 💳 Get my first card
btn-kyc-start = 🪪 Verify my identity
btn-kyc-continue = 🪪 Continue verification
btn-kyc-status = 🔄 Check status
btn-kyc-fix = ✏️ Fix and resend
btn-kyc-submit = ✅ Submit
btn-kyc-edit = ✏️ Change an answer
btn-share-phone = 📱 Share my phone number
btn-card = { $line }
btn-refresh = 🔄 Refresh
btn-reveal = 👁 Show card details
btn-topup = ➕ Top up
btn-withdraw = ➖ Withdraw
btn-withdraw-all = All ({ $amount })
btn-freeze = ❄️ Freeze
btn-unfreeze = 🔥 Unfreeze
btn-statement = 📄 Statement
btn-terminate = 🗑 Terminate card
btn-terminate-yes = Yes, terminate it
btn-terminate-final = 🗑 Terminate for good
btn-keep-card = ⬅️ Keep my card
btn-no-initial = No initial amount
btn-amount = { $amount }
btn-newer = ◀️ Newer
btn-older = Older ▶️
btn-back-card = ⬅️ Back to card

## KYC questions
kyc-step = <i>Step { $step } of { $total }</i>
kyc-ask-first_name = What is your <b>first name</b>, as on your ID?
kyc-ask-last_name = What is your <b>last name</b>, as on your ID?
kyc-ask-birth_date = What is your <b>date of birth</b>? Type it as DD/MM/YYYY, for example 31/12/1990.
kyc-ask-country = Which <b>country</b> do you live in? Tap one, or type its name or code (e.g. Nigeria or NG).
kyc-ask-phone = What is your <b>phone number</b>? Type it with the country code (e.g. +234 803 123 4567), or a local number in { $country }.
kyc-phone-share-hint = …or tap the button below to share the number of this Telegram account.
kyc-ask-address_line1 = What is your <b>street address</b>? (house number and street)
kyc-ask-city = Which <b>city or town</b>?
kyc-ask-region = Which <b>state or region</b>?
kyc-ask-postal_code = What is your <b>postal code</b>?
kyc-ask-id_type = Which <b>ID document</b> will you use?
kyc-ask-id_number = Type your <b>{ $kind }</b> number, for example <code>{ $example }</code>.
kyc-ask-id_photo = Send a clear <b>photo of your ID document</b>, all four corners visible.
kyc-ask-selfie = Last step: send a <b>selfie</b> — your face, well lit, no sunglasses.
kyc-field-first_name = First name
kyc-field-last_name = Last name
kyc-field-birth_date = Date of birth
kyc-field-country = Country
kyc-field-phone = Phone
kyc-field-address_line1 = Address
kyc-field-city = City
kyc-field-region = State/region
kyc-field-postal_code = Postal code
kyc-field-id_type = ID type
kyc-field-id_number = ID number
kyc-field-id_photo = ID photo
kyc-field-selfie = Selfie
kyc-photo-received = ✅ received
kyc-summary-title = 📋 <b>Please check your details</b>
kyc-summary-footer = Is everything right? Submit, or change an answer first.
kyc-edit-which = Which answer would you like to change?
kyc-use-buttons = Please use the buttons below: submit, or change an answer.
kyc-submitting = Sent for review
kyc-pending = ⏳ <b>Thanks! Your documents are being reviewed.</b>
    This usually takes a few minutes. Tap “Check status” to see if it is done.
kyc-still-pending = Still being reviewed
kyc-approved = ✅ <b>You're verified!</b>
    You can now get your USD virtual card.
kyc-rejected = ❌ <b>Your verification was not approved.</b>
    Reason: { $reason }
    You can correct your answers and send them again.
kyc-reason-document_unverified = the ID document could not be verified. Send a sharper photo, and check your name is exactly as on the document.
kyc-reason-id_not_found = the ID number was not found. Check the number and the ID type.
kyc-reason-other = the issuer could not verify your details. Check your answers and try again.
kyc-required = 🪪 You need to verify your identity before you can get a card.
kyc-locked = Your details have already been sent for review and can't be changed now.
kyc-incomplete = Some answers are still missing. Let's finish them first.

## KYC answers that need another try
kyc-text-expected = ✍️ Please type your answer as a message.
kyc-name-empty = ✍️ Please type a name.
kyc-name-invalid = ✍️ That doesn't look like a name. Use letters only (hyphens and apostrophes are fine), up to 50 characters.
kyc-dob-format = 📅 I couldn't read that date. Type it as DD/MM/YYYY, for example 31/12/1990.
kyc-dob-future = 📅 That date is in the future. Type your date of birth as DD/MM/YYYY.
kyc-dob-under-age = 🔞 You must be at least { $age } years old to get a card.
kyc-country-unknown = 🌍 I don't know the country “{ $given }”. Type its English name (e.g. Ghana) or its two-letter code (e.g. GH).
kyc-phone-invalid = 📱 That isn't a valid phone number. Type it with the country code, e.g. +234 803 123 4567.
kyc-phone-not-own = 📱 Please share your own phone number, not someone else's contact.
kyc-address-line1-invalid = 🏠 Please type your street address, e.g. 12 Marina Road (3 to 100 characters).
kyc-city-invalid = 🏙 Please type the name of your city or town.
kyc-region-invalid = 🗺 Please type your state or region, e.g. Lagos.
kyc-postal-code-invalid = 📮 Please type your postal code: letters, digits, spaces or hyphens, up to 10 characters.
kyc-id-type-invalid = 🪪 Please choose one of the ID types below.
kyc-id-number-invalid = 🪪 That ID number doesn't look right. It should look like <code>{ $example }</code>.
kyc-photo-expected = 📷 Please send a photo (use the 📎 button, then Camera or Gallery).
kyc-photo-too-large = 📷 That photo is too large. Please send one under 10 MB.
kyc-photo-not-image = 📷 That file isn't a photo. Please send a JPEG or PNG picture.

## ID types
id-type-bvn = BVN
id-type-nin = NIN
id-type-passport = Passport
id-type-drivers_licence = Driver's licence
id-type-national_id = National ID card
id-type-ghana_card = Ghana Card

## Cards
brand-visa = Visa
brand-mastercard = Mastercard
card-status-pending = Being created
card-status-active = Active
card-status-frozen = Frozen
card-status-terminated = Terminated
card-line = { $icon } { $brand } •••• { $last4 } · { $status } · { $balance }
cards-title = 💳 <b>Your cards</b>
    Tap a card to see it and manage it.
cards-empty = 💳 You don't have a card yet.
card-view = 💳 <b>{ $brand }</b>
    <code>{ $masked }</code>
    Status: { $icon } { $status }
    Balance: <b>{ $balance }</b>
card-not-found = That card was not found. Open /cards to see your cards.
card-brand-unknown = That card type is not offered. Please choose one of the options.
card-initial-not-offered = An initial amount is not offered for this card.
card-limit-reached = You already have { $count } cards, the most allowed. Terminate one to get a new one.
card-already-terminated = This card is already terminated.
card-ambiguous = More than one card ends in those digits.
card-not-active-pending = This card is still being created. Tap Refresh in a moment.
card-not-active-frozen = This card is frozen. Unfreeze it first.
card-not-active-terminated = This card is terminated.
card-not-revealable-pending = The card is still being created; its details are not ready yet.
card-not-revealable-terminated = This card is terminated; its details are no longer available.
operation-not-found = That request was not found. Please start again from /cards.

## Issuing
issue-choose-option = ➕ <b>New card</b>
    Which card would you like?
issue-choose-wallet = 📱 Which phone wallet will you add the card to?
option-regular = { $brand }
option-wallet = { $brand } for Apple Pay & Google Pay
option-single = Single-use { $brand }
wallet-apple_pay = Apple Pay
wallet-google_pay = Google Pay
btn-option = { $label }
card-wallet-unknown = Please choose Apple Pay or Google Pay.
card-none-offered = No card can be issued to you right now. Please contact support.
kyc-country-not-served = Sorry, we can't issue cards to people living in that country yet.
provider-not-enabled = the issuer of this card is not available right now.
provider-kyc-pending = the card issuer is still reviewing your details. Try again in a few minutes.
provider-kyc-rejected = the card issuer could not verify your details.
issue-ask-initial = ➕ <b>New card · { $brand }</b>
    Load money onto it now? Tap an amount, type one (e.g. 25 or 25.50), or start with none.
issue-ask-initial-required = ➕ <b>New card · { $brand }</b>
    This card can't be topped up later: how much should it hold? Tap an amount or type one (e.g. 25 or 25.50).
quote-issue = 🧾 <b>New card · { $brand }</b>
    Card fee: { $fee }
    <b>You pay: { $total }</b>
quote-issue-initial = 🧾 <b>New card · { $brand }</b>
    Initial balance: { $amount }
    Card fee: { $fee }
    <b>You pay: { $total }</b>
done-issue = ✅ Your new card is on its way. It becomes active in a moment — tap Refresh.
done-issue-ready = ✅ Your new card is ready to use.
done-issue-toast = Card requested

## Top up and withdraw
topup-ask = ➕ <b>Top up card •••• { $last4 }</b>
    Balance now: { $balance }
    Tap an amount or type one, e.g. 25 or 25.50.
withdraw-ask = ➖ <b>Withdraw from card •••• { $last4 }</b>
    Balance now: { $balance }
    Type the amount to take off the card, e.g. 10 or 10.50.
quote-topup = 🧾 <b>Top up card •••• { $last4 }</b>
    Amount: { $amount }
    Fee: { $fee }
    <b>You pay: { $total }</b> from your wallet
    New card balance: { $after }
quote-withdraw = 🧾 <b>Withdraw from card •••• { $last4 }</b>
    Amount: { $amount }
    Fee: { $fee }
    <b>You receive: { $total }</b> in your wallet
    New card balance: { $after }
done-topup = ✅ { $amount } added to your card.
done-topup-toast = Top-up done
done-withdraw = ✅ { $amount } withdrawn from your card.
done-withdraw-toast = Withdrawal done
already-done = This was already done — nothing was charged twice.
in-progress = ⏳ The issuer has not confirmed yet. We'll check and won't charge you twice.
quote-expired = ⌛ That confirmation expired. Please start again.
failed = ❌ That didn't go through: { $reason }
provider-failed = the card issuer could not complete it. Please try again later.
amount-type-it = ✍️ Please type the amount as a number, e.g. 25 or 25.50.
amount-not-a-number = ✍️ “{ $given }” isn't an amount. Type a number, e.g. 25 or 25.50.
amount-not-positive = ✍️ The amount must be more than zero. Type e.g. 25.
amount-too-precise = ✍️ Use at most two decimals (cents), e.g. 12.34.
amount-below-min = ✍️ The smallest amount is { $min }. Type a larger amount.
amount-over-max = ✍️ The most you can move at once is { $max }. Type a smaller amount.
amount-over-balance = ✍️ Your card holds { $balance }. Type an amount up to that.
amount-over-card-cap = ✍️ That would put the card over its limit. You can add up to { $room }.
amount-below-fee = ✍️ The fee is { $fee }; withdraw more than that.

## Wallet
btn-wallet = 💰 Wallet · add money
btn-view-card = 💳 View card
wallet-title = 💰 <b>Your wallet: { $balance }</b>
    Cards are loaded from your wallet, and money taken off a card comes back here.
wallet-sandbox-deposit = 🧪 Sandbox: tap an amount or type one to add test money.
wallet-how-to-deposit = To add money, pay with your reference <code>{ $reference }</code> as described by { $support }. It shows here as soon as it arrives.
wallet-deposited = ✅ { $amount } added to your wallet.
wallet-deposited-toast = Money added
wallet-insufficient = 💰 Your wallet holds { $balance }, and this needs { $need }. Add money first.
wallet-insufficient-reason = your wallet did not hold enough
adjust-reason-required = A reason is required.

## Alerts
alert-purchase = 🛒 <b>{ $amount }</b> at { $merchant } with card •••• { $last4 }.
    Balance left: { $balance }
alert-low-balance = 🔋 Card •••• { $last4 } is running low: { $balance } left. Top up to keep paying.
alert-refund = ↩️ { $merchant } refunded <b>{ $amount }</b> to card •••• { $last4 }.
    Balance: { $balance }
alert-decline = 🚫 A payment of { $amount } at { $merchant } with card •••• { $last4 } was declined: { $why }.
alert-decline-strikes = ⚠️ The issuer closes a card after three payments in a row declined for lack of money. { $strikes ->
    [one] One more and this card will be terminated.
   *[other] { $strikes } more and this card will be terminated.
} Top up now to keep it.
alert-card-frozen = ❄️ The issuer froze card •••• { $last4 }. Payments are declined until it is unfrozen.
alert-card-terminated = 🗑 The issuer closed card •••• { $last4 }. { $returned } went back to your wallet.
alert-kyc-approved = ✅ <b>You're verified!</b> You can now get your USD virtual card.
alert-kyc-rejected = ❌ Your verification was not approved. You can correct your answers and send them again.
op-kind-issue = new card
op-kind-topup = top-up
op-kind-withdraw = withdrawal
alert-operation-succeeded = ✅ Your { $kind } of { $amount } went through.
alert-operation-failed = ❌ Your { $kind } of { $amount } did not go through, and the money is back in your wallet.

## Card controls
card-single-use = 1️⃣ Single-use: it stops working after its first payment.
card-wallet = 📱 Ready for { $wallet }.
card-limits = 🎚 Limits: { $daily } a day · { $per_purchase } per purchase
limit-none = none
card-airline-on = ✈️ Airline payments: on
card-airline-off = ✈️ Airline payments: off
btn-limits = 🎚 Limits
btn-airline-on = ✈️ Allow airline payments
btn-airline-off = ✈️ Block airline payments
limits-title = 🎚 <b>Spending limits · card •••• { $last4 }</b>
btn-limit-daily = Set a daily limit
btn-limit-purchase = Set a per-purchase limit
btn-limits-clear = Remove all limits
limit-ask-daily = 🎚 How much may card •••• { $last4 } spend <b>per day</b>? Tap an amount or type one, e.g. 150.
limit-ask-txn = 🎚 How much may a <b>single purchase</b> on card •••• { $last4 } be? Tap an amount or type one, e.g. 80.
limits-saved = ✅ Limits saved.
limits-cleared = ✅ Limits removed: the card can spend its whole balance.
limits-saved-toast = Limits saved
limit-per-purchase-over-daily = ✍️ A per-purchase limit can't be above the daily limit ({ $daily }).
airline-enabled = ✈️ Airline payments are allowed on card •••• { $last4 }.
airline-enabled-toast = Airline payments on
airline-disabled = ✈️ Airline payments are blocked on card •••• { $last4 }.
airline-disabled-toast = Airline payments off
btn-dispute = ⚖️ Dispute a payment
btn-dispute-item = { $merchant } · { $amount }
dispute-pick = ⚖️ <b>Dispute a payment · card •••• { $last4 }</b>
    Which payment is wrong?
dispute-ask-reason = ✍️ In a few words, what went wrong? For example: “charged twice” or “never received the goods”.
dispute-type-reason = ✍️ Please type what went wrong with the payment (10 to 500 characters).
dispute-reason-length = ✍️ Please explain in 10 to 500 characters what went wrong.
dispute-opened = ⚖️ Dispute opened (reference { $reference }). The issuer will look into it and we'll let you know.
provider-not-disputable = only approved purchases can be disputed.
provider-dispute-exists = this payment is already disputed.
decline-airline_blocked = airline payments are blocked
decline-over_transaction_limit = over the per-purchase limit
decline-over_daily_limit = over the daily limit

btn-issue-limits-set = 🎚 Set limits
btn-issue-limits-none = No limits
btn-skip = Skip
btn-count = { $count }
issue-limits-ask = 🎚 This card's spending limits can only be set now, while it is created. Set some?
issue-ilimit-daily-ask = 🎚 How much may the card spend <b>per day</b>? Tap an amount, type one (e.g. 150), or skip.
issue-ilimit-txn-ask = 🎚 How much may a <b>single purchase</b> be? Tap an amount, type one (e.g. 80), or skip.
issue-ilimit-count-ask = 🔢 How many <b>purchases per day</b> at most? Tap a number, type one (e.g. 4), or skip.
limit-count-type-it = 🔢 Please type a whole number of purchases, e.g. 4, or tap Skip.
limit-count-range = 🔢 Choose between 1 and 1000 purchases a day.
card-limit-count = 🔢 At most { $count } purchases a day
card-initial-required = ✍️ This card can't be topped up later, so it needs an amount now. Type one, e.g. 25.

## Freeze, terminate
frozen = ❄️ Card •••• { $last4 } is frozen. Purchases are declined until you unfreeze it.
frozen-toast = Card frozen
unfrozen = 🔥 Card •••• { $last4 } is active again.
unfrozen-toast = Card unfrozen
terminate-ask = 🗑 <b>Terminate card •••• { $last4 }?</b>
    The card stops working for good. Its remaining balance of { $balance } returns to you.
terminate-ask-again = ⚠️ <b>Are you sure?</b> Card •••• { $last4 } can't be brought back.
terminated = 🗑 Card •••• { $last4 } is terminated. { $balance } returned to you.
terminated-toast = Card terminated

## Statement
statement-title = 📄 <b>Statement · card •••• { $last4 }</b> · page { $page }
statement-empty = No transactions yet.
txn-topup = { $when } · ➕ Top-up · +{ $amount }
txn-withdraw = { $when } · ➖ Withdrawal · −{ $amount }
txn-purchase = { $when } · 🛒 { $merchant } · −{ $amount }
txn-purchase-declined = { $when } · 🚫 { $merchant } · { $amount } declined{ $reason }
txn-refund = { $when } · ↩️ Refund { $merchant } · +{ $amount }
txn-fee = { $when } · Fee · −{ $amount }
decline-insufficient_funds = not enough balance
decline-card_frozen = card frozen
decline-card_terminated = card terminated
decline-card_pending = card not active yet

## Reveal
reveal-toast = Card details sent
reveal = 🔒 <b>{ $brand } •••• { $last4 }</b>
    Number: { $pan }
    Expiry: { $expiry }
    CVV: { $cvv }

    Tap a hidden field to see it; tap the number to copy it.
    ⏱ This message deletes itself in { $ttl } seconds.

## Issuer errors
provider-not-found = the issuer could not find that.
provider-bad-request = the issuer rejected the request.
provider-limit = it is over the issuer's limit.
provider-kyc-not-approved = your verification is not approved yet.
provider-card-terminated = the card is terminated.
provider-card-pending = the card is not active yet.
provider-card-frozen = the card is frozen.
provider-card-active = the card is already active.
provider-insufficient-funds = there is not enough balance.
provider-unavailable = the card issuer is temporarily unavailable. Please try again in a few minutes.
provider-bad-response = the card issuer sent an answer we could not read. Please try again later.
provider-auth = the card issuer refused our credentials. Please contact support.
provider-forbidden = the card issuer did not allow this.
provider-conflict = the card issuer says this was already done or clashes with another request.
provider-rate-limited = the card issuer is busy. Please try again in a minute.
alert-deposit = 💰 <b>{ $amount }</b> arrived in your wallet. Balance: { $balance }

## Audit
btn-reveal-history = 🕓 Reveal history
audit-history-title = 🕓 <b>Reveal history · card •••• { $last4 }</b>
    When this card's details were shown, and support actions on it, newest first.
audit-history-empty = Nobody has shown this card's details yet.
audit-history-no-more = No older entries.
audit-history-line = { $icon } { $when } · { $who }, via { $via }
audit-history-unverified = ⚠️ (this entry failed its integrity check)
audit-who-you = You
audit-who-admin = An administrator
audit-who-agent = A support agent
audit-who-system = cardbot
audit-who-other = Someone else
audit-via-reveal = Show card details
audit-via-card-freeze = Freeze card (support)
audit-via-card-unfreeze = Unfreeze card (support)
audit-via-card-terminate = Terminate card (support)
audit-via-card-transactions = a look at the card's transactions (support)
audit-via-other = a support action ({ $action })

## Settings
btn-settings = ⚙️ Settings
settings-title = ⚙️ <b>Settings</b>
    Language: { $name }
    Tap the language you would like me to use.
btn-language = { $name }
btn-language-current = ✅ { $name }
language-name-en = English
language-name-fr = Français
settings-language-changed = ✅ Language: { $name }
settings-language-changed-toast = Language changed

## Documents
btn-card-picture = 🖼 Card picture
btn-spending-chart = 📊 Spending chart
btn-statement-csv = ⬇️ CSV
btn-statement-pdf = ⬇️ PDF
doc-picture-caption = 🖼 { $brand } •••• { $last4 }
doc-chart-caption = 📊 Spending on card •••• { $last4 }: <b>{ $total }</b> in { $count ->
        [one] one purchase
       *[other] { $count } purchases
    }.
doc-csv-caption = ⬇️ Statement of card •••• { $last4 } as CSV: { $count ->
        [one] one transaction
       *[other] { $count } transactions
    }.
doc-pdf-caption = ⬇️ Statement of card •••• { $last4 } as PDF: { $count ->
        [one] one transaction
       *[other] { $count } transactions
    }.
document-card-not-numbered = 🖼 This card has no number yet. Try again once it is ready.
doc-card-virtual = Virtual
doc-card-holder = Cardholder
doc-chart-title = Monthly spending
doc-chart-total = Total
doc-chart-empty = No purchases yet
doc-chart-purchases = { $count ->
        [one] 1 purchase
       *[other] { $count } purchases
    }
doc-pdf-title = Card statement
doc-pdf-card = Card
doc-pdf-period = Period
doc-pdf-generated = Generated
doc-pdf-date = Date
doc-pdf-description = Description
doc-pdf-type = Type
doc-pdf-amount = Amount
doc-pdf-money-in = Money in
doc-pdf-money-out = Money out
doc-pdf-net = Net change
doc-pdf-declined = Declined payments (not charged)
doc-pdf-declined-status = declined
doc-pdf-empty = No transactions yet.
doc-pdf-note = Amounts in { $currency }. Money in is positive and money out negative. Declined payments were not charged and are not in the totals.
doc-pdf-page = Page
doc-kind-topup = Top-up
doc-kind-withdraw = Withdrawal
doc-kind-purchase = Purchase
doc-kind-refund = Refund
doc-kind-fee = Fee
help-links = 📜 <a href="{ $terms }">Terms</a> · <a href="{ $privacy }">Privacy</a>
