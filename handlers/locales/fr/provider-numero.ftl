## Numero (seed 000) : erreurs de l'émetteur affichées comme « ❌ L'opération n'a pas abouti : <texte> »
provider-numero-approval-required = l'émission de cartes n'est pas encore autorisée pour ce service. Veuillez prévenir le service client.
provider-numero-wallet-underfunded = le portefeuille de cartes du service manque de fonds pour le moment. Rien n'a été débité ; veuillez réessayer plus tard.
provider-numero-capability-unavailable = ce type de carte n'est pas proposé pour le moment. Veuillez en choisir un autre.
provider-numero-ip-not-allowed = l'émetteur de la carte a refusé l'adresse de notre serveur. Veuillez prévenir le service client.
provider-numero-unconfirmed = l'émetteur de la carte ne l'a pas encore confirmé, et le solde de la carte a changé entre-temps. Veuillez vérifier la carte avant de réessayer.
