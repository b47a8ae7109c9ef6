## Nuvion (CARDBOT_PROVIDER=nuvion) : motifs affichés après « L'opération n'a pas abouti : »
provider-nuvion-account-not-found = l'émetteur de la carte ne trouve pas le compte qui finance nos cartes. Veuillez prévenir le service client.
provider-nuvion-kyc-incomplete = notre vérification auprès de l'émetteur de la carte n'est pas encore terminée. Veuillez réessayer plus tard.
provider-nuvion-amount-required = cette carte doit être chargée à sa création. Choisissez un montant.
provider-nuvion-cardholder-required = l'émetteur de la carte a besoin de votre nom et de votre numéro de téléphone sur la carte. Terminez d'abord la vérification de votre identité.
provider-nuvion-disposable-no-limits = les cartes à usage unique ne peuvent pas avoir de plafonds de dépenses. Choisissez une carte classique pour fixer des plafonds.
