## Card-program API / EgaCard (seed 003): issuer errors shown as "❌ That didn't go through: <text>"
provider-cardprogram-wallet-insufficient = the service's card wallet is short of funds right now. Nothing was added; please try again later.
provider-cardprogram-issue-failed = the card issuer could not create the card. Please try again.
provider-cardprogram-program-unavailable = this kind of card is not offered right now. Please choose another.
provider-cardprogram-under-review = the card issuer is still reviewing this card. Please try again later.
provider-cardprogram-blocked = the card issuer has blocked this card. Please contact support.
provider-cardprogram-expired = the card has expired.
provider-cardprogram-unverified = card issuing is not approved for this service yet. Please tell support.
provider-cardprogram-country = the card issuer does not offer cards in this country yet.
provider-cardprogram-duplicate = the card issuer already has this request. Please check the card before trying again.
