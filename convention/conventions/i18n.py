"""French strings that ``pybabel extract`` would not find by itself, marked here.

- labels defined in models and in ``convention.core.errors`` (templates translate
  them at run time with ``_(value)``; the French text stays the msgid);
- the strings of ``templates/_macros/``: Babel skips directories whose name starts
  with an underscore, so ``pybabel extract -F babel.cfg -o translations/messages.pot .``
  never reads that folder.

Tests check that these lists stay in step with what they mirror.
"""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 (the gettext convention for "mark only")
    return message


ERROR_STRINGS = (
    N_("Requête invalide"),
    N_("La requête n'a pas pu être comprise. Vérifiez le formulaire et réessayez."),
    N_("Connexion requise"),
    N_("Connectez-vous pour accéder à cette page."),
    N_("Accès refusé"),
    N_("Vous n'avez pas les droits nécessaires pour cette action."),
    N_("Page introuvable"),
    N_("La page demandée n'existe pas ou a été déplacée."),
    N_("Méthode non autorisée"),
    N_("Cette action n'est pas possible sur cette page."),
    N_("Action impossible"),
    N_("Cette action n'est pas possible dans l'état actuel."),
    N_("Fichier trop volumineux"),
    N_("Le fichier envoyé dépasse la taille autorisée."),
    N_("Données invalides"),
    N_("Les données envoyées ne sont pas valides."),
    N_("Trop de tentatives"),
    N_(
        "Trop de tentatives en peu de temps. Patientez quelques minutes avant de réessayer."
    ),
    N_("Erreur interne"),
    N_("Une erreur inattendue s'est produite. L'équipe technique a été prévenue."),
    N_(
        "Le formulaire a expiré ou n'est pas valide (jeton de sécurité). Rechargez la page "
        "et envoyez-le de nouveau : rien n'a été enregistré."
    ),
)

LABEL_STRINGS = (
    # conventions.models.PHASE_LABELS
    N_("Groupes de travail"),
    N_("Contributions"),
    N_("Amendements"),
    N_("Bureau national"),
    N_("Vote militant"),
    N_("Journée de la convention"),
    N_("Texte adopté"),
    # calendar.models.EVENT_KIND_LABELS
    N_("Audition"),
    N_("Groupe de travail"),
    N_("Rencontre fédérale"),
    N_("Débat"),
    N_("Atelier"),
    N_("Autre"),
    # contributions.models.CHANNEL_LABELS and STATUS_LABELS
    N_("Plateforme"),
    N_("Courriel"),
    N_("Déposée"),
    N_("En examen"),
    N_("Intégrée"),
    N_("Partiellement intégrée"),
    N_("Non retenue"),
    N_("Retirée"),
    # texts.models.VERSION_STATUS_LABELS and BLOCK_KIND_LABELS
    N_("Projet de texte"),
    N_("Texte amendé"),
    N_("Adopté par le Bureau national"),
    N_("Soumis au vote des militants"),
    N_("Paragraphe"),
    N_("Intertitre"),
    N_("Proposition"),
    N_("Recommandation"),
    N_("Élément de liste"),
    N_("Citation"),
    # groups.views.STEERING_LABELS
    N_("Pilotes de la convention"),
    N_("Co-pilotes"),
    N_("Comité de pilotage"),
    # calendar.models.REGISTRATION_STATUS_LABELS
    N_("Inscrit·e"),
    N_("En liste d'attente"),
    N_("Inscription annulée"),
    # domain.polls.QUESTION_METHOD_LABELS, MAJORITY_BASE_LABELS, REPORT_STATE_LABELS, VOTE_CHANNEL_LABELS
    N_("Pour, Contre ou Abstention"),
    N_("Un choix parmi plusieurs"),
    N_("Vote par approbation"),
    N_("Jugement majoritaire"),
    N_("Classement (méthode de Schulze)"),
    N_("Suffrages exprimés (Pour + Contre)"),
    N_("Pour + Contre + Abstention"),
    N_("Bulletins déposés (blancs et nuls compris)"),
    N_("Inscrits sur la liste électorale"),
    N_("Émargement en cours"),
    N_("Procès-verbal transmis"),
    N_("Renvoyé à la section"),
    N_("Validé par la fédération"),
    N_("En ligne"),
    N_("Sur papier, en section"),
    # votes.operations.YES_NO_OPTIONS and domain.ballots.GRADES (shown with _(label))
    N_("Pour"),
    N_("Contre"),
    N_("Abstention"),
    N_("Très bien"),
    N_("Bien"),
    N_("Assez bien"),
    N_("Passable"),
    N_("Insuffisant"),
    N_("À rejeter"),
    # domain.polls.POLL_STATE_LABELS
    N_("En préparation"),
    N_("Programmé"),
    N_("Ouvert"),
    N_("Clos — dépouillement"),
    N_("Dépouillé"),
    N_("Résultats proclamés"),
    # jobs.models.JOB_KIND_LABELS and JOB_STATE_LABELS
    N_("Import du fichier des adhérents"),
    N_("Export du texte en PDF"),
    N_("Dépouillement du scrutin"),
    N_("Consolidation du texte"),
    N_("Cahier des amendements (PDF)"),
    N_("Texte consolidé avec suivi des modifications (DOCX)"),
    N_("Texte consolidé avec suivi des modifications (ODT)"),
    N_("Export des amendements (CSV ou XLSX)"),
    N_("Import d'un tableau d'amendements"),
    N_("Import d'un texte"),
    N_("En attente"),
    N_("En cours"),
    N_("Terminé"),
    N_("Échec"),
    # search.models.SEARCH_KIND_LABELS
    N_("Texte"),
    N_("Contribution"),
    N_("Rendez-vous"),
    # notifications.models.NOTIFICATION_KIND_LABELS
    N_("Décision sur une contribution"),
    N_("Décision sur un amendement"),
    N_("Demande de cosignature"),
    N_("Nouveau rendez-vous d'un groupe suivi"),
    N_("Rappel d'un rendez-vous"),
    N_("Nouvelle version du texte"),
    N_("Scrutin"),
    N_("Compte"),
    N_("Nouvelle étape de la convention"),
    # domain.amendments STATUS_LABELS, OPINION_LABELS, KIND_LABELS, RELATION_LABELS
    N_("Déposé"),
    N_("Recevable"),
    N_("Irrecevable"),
    N_("Adopté"),
    N_("Adopté avec modification"),
    N_("Intégré dans une synthèse"),
    N_("Rejeté"),
    N_("Retiré"),
    N_("Maintenu"),
    N_("Avis favorable"),
    N_("Avis défavorable"),
    N_("Avis favorable sous réserve de rectification"),
    N_("Modification"),
    N_("Suppression"),
    N_("Insertion"),
    N_("Identique"),
    N_("Semblable"),
    N_("Porte sur le même passage"),
    # amendments.models STEP_LABELS and RECTIFICATION_LABELS
    N_("Déclaré recevable"),
    N_("Déclaré irrecevable"),
    N_("Avis du comité"),
    N_("Rectification acceptée par l'auteur"),
    N_("Rectification refusée par l'auteur"),
    N_("Intégré dans un amendement de synthèse"),
    N_("Maintenu pour la journée de la convention"),
    N_("Retour sur la décision : de nouveau en examen"),
    N_("Rectification proposée, en attente de l'auteur"),
    # amendments.operations.BULK_LABELS (the bulk actions of the review table)
    N_("Déclarer recevables"),
    N_("Déclarer irrecevables"),
    N_("Adopter"),
    N_("Rejeter"),
    # search.models.SEARCH_KIND_LABELS (amendments)
    N_("Amendement"),
    # domain.textimport.FORMAT_LABELS and REPAIR_LABELS (the import previews show them with _(label))
    N_("Markdown"),
    N_("texte brut"),
    N_("Word (DOCX)"),
    N_("LibreOffice (ODT)"),
    N_("PDF"),
    N_("pied ou en-tête de page répété retiré"),
    N_("numéro de page retiré"),
    N_("mot coupé en fin de ligne recollé"),
    N_("espace avant un point ou une virgule retirée"),
    N_("note de bas de page gardée"),
)

# templates/_macros/*.html
MACRO_STRINGS = (
    N_("(obligatoire)"),
    N_("Annuler"),
    N_("Envoyer"),
    N_("Le formulaire contient des erreurs\u00a0:"),
    N_("Page"),
    N_("Pagination"),
    N_("Précédente"),
    N_("Suivante"),
    N_("Fil d’Ariane"),
    N_("Total"),
)
