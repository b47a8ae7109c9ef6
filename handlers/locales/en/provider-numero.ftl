## Numero (seed 000): issuer errors shown as "❌ That didn't go through: <text>"
provider-numero-approval-required = card issuing is not approved for this service yet. Please tell support.
provider-numero-wallet-underfunded = the service's card wallet is short of funds right now. Nothing was charged; please try again later.
provider-numero-capability-unavailable = this kind of card is not offered right now. Please choose another.
provider-numero-ip-not-allowed = the card issuer refused our server's address. Please tell support.
provider-numero-unconfirmed = the card issuer has not confirmed this yet, and the card balance changed meanwhile. Please check the card before trying again.
