## Nuvion (CARDBOT_PROVIDER=nuvion): reasons shown after "That didn't go through:"
provider-nuvion-account-not-found = the card issuer could not find the account that funds our cards. Please tell support.
provider-nuvion-kyc-incomplete = our verification with the card issuer is not complete yet. Please try again later.
provider-nuvion-amount-required = this card must be loaded when it is created. Choose an amount.
provider-nuvion-cardholder-required = the card issuer needs your name and phone number on the card. Finish verifying your identity first.
provider-nuvion-disposable-no-limits = single-use cards cannot have spending limits. Choose a regular card for limits.
