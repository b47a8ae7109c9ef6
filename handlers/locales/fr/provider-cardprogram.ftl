## API de programme de cartes / EgaCard (seed 003) : erreurs de l'émetteur affichées comme « ❌ L'opération n'a pas abouti : <texte> »
provider-cardprogram-wallet-insufficient = le portefeuille de cartes du service manque de fonds pour le moment. Rien n'a été ajouté ; veuillez réessayer plus tard.
provider-cardprogram-issue-failed = l'émetteur n'a pas pu créer la carte. Veuillez réessayer.
provider-cardprogram-program-unavailable = ce type de carte n'est pas proposé pour le moment. Veuillez en choisir un autre.
provider-cardprogram-under-review = l'émetteur examine encore cette carte. Veuillez réessayer plus tard.
provider-cardprogram-blocked = l'émetteur a bloqué cette carte. Veuillez contacter le service client.
provider-cardprogram-expired = la carte a expiré.
provider-cardprogram-unverified = l'émission de cartes n'est pas encore autorisée pour ce service. Veuillez prévenir le service client.
provider-cardprogram-country = l'émetteur ne propose pas encore de cartes dans ce pays.
provider-cardprogram-duplicate = l'émetteur a déjà reçu cette demande. Veuillez vérifier la carte avant de réessayer.
