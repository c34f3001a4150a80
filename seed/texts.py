"""French free texts of the synthetic data set (never about a real person)."""

from __future__ import annotations

from models.finance import BudgetCategory
from models.partners import OutcomeType, PartnerKind
from models.pathway import GoalAxis

GOALS: dict[GoalAxis, list[tuple[str, str]]] = {
    GoalAxis.EMPLOYMENT: [
        (
            "Trouver un emploi dans la propreté ou l'hôtellerie",
            "CV, inscription à France Travail, candidatures accompagnées",
        ),
        (
            "Décrocher un contrat en structure d'insertion (SIAE)",
            "Rencontre avec la chargée de recrutement, visite du chantier",
        ),
        ("Valider un projet d'aide à domicile", "Enquête métier, immersion (PMSMP) de deux semaines"),
        ("Préparer les entretiens d'embauche", "Simulations d'entretien en atelier savoir-être"),
    ],
    GoalAxis.TRAINING: [
        ("Entrer en formation qualifiante", "Information collective GRETA, dossier de financement Région"),
        ("Obtenir le titre professionnel d'agent·e de propreté", "Inscription, suivi des absences, point mensuel"),
        ("Suivre une préqualification aux métiers du soin", "Tests de positionnement, recherche de stage"),
    ],
    GoalAxis.FRENCH: [
        ("Atteindre le niveau A1 à l'oral", "Cours de français adapté deux fois par semaine"),
        ("Passer le DELF A2", "Inscription à la session, entraînement aux épreuves"),
        ("Rejoindre un cours de français de droit commun", "Orientation vers les cours municipaux d'adultes"),
    ],
    GoalAxis.HOUSING: [
        ("Accéder à un hébergement stable", "Demande SIAO, relances mensuelles"),
        ("Déposer une demande de logement social", "Constitution du dossier, numéro unique"),
        ("Sécuriser la mise à l'abri", "Orientation vers un hébergement sécurisé"),
    ],
    GoalAxis.HEALTH: [
        ("Ouvrir des droits à la complémentaire santé solidaire", "Dossier CSS, accompagnement à la CPAM"),
        ("Mettre en place un suivi médical régulier", "Rendez-vous PASS, bilan de santé"),
        ("Accéder à un soutien psychologique", "Orientation vers une consultation spécialisée en psychotraumatisme"),
    ],
    GoalAxis.ADMINISTRATIVE: [
        ("Obtenir une autorisation provisoire de séjour", "Dossier parcours de sortie, préparation de la commission"),
        ("Ouvrir un compte bancaire", "Droit au compte, accompagnement en agence"),
        ("Faire valoir ses droits (AFIS, CAF)", "Dossiers CAF et AFIS, suivi des versements"),
        ("Porter plainte et être accompagnée", "Orientation avocat·e, France Victimes"),
    ],
    GoalAxis.SOCIAL: [
        ("Rompre l'isolement", "Participation aux ateliers collectifs et sorties culturelles"),
        ("Gérer son budget", "Atelier rapport à l'argent, plan d'apurement des dettes"),
        ("Se déplacer seule en ville", "Atelier mobilité, carte de transport solidaire"),
    ],
}

NOTE_BODIES = [
    "Entretien individuel : point sur les démarches de logement, relance du SIAO prévue.",
    "Accompagnement physique à la préfecture pour le dépôt du dossier.",
    "Bilan d'étape du parcours : motivation forte pour une formation dans le soin.",
    "Rendez-vous annulé, recontactée par téléphone, nouveau rendez-vous fixé.",
    "Point sur l'assiduité aux ateliers et au cours de français : en progrès.",
    "Orientation vers une consultation médicale, accompagnement prévu.",
    "Échange avec la conseillère France Travail : inscription finalisée.",
    "Situation de mise en danger évoquée : mise à l'abri organisée en lien avec le 115.",
    "Préparation de l'entretien d'embauche en SIAE.",
    "Ouverture des droits CAF en cours, pièces transmises.",
]

REFERRAL_REASONS: dict[PartnerKind, list[str]] = {
    PartnerKind.FRANCE_TRAVAIL: [
        "Inscription comme demandeuse d'emploi",
        "Accès aux offres et aux PMSMP",
        "Entrée en parcours d'accompagnement intensif",
    ],
    PartnerKind.CIDFF: [
        "Permanence juridique",
        "Accompagnement vers l'emploi (BAIE)",
        "Droits des femmes victimes de violences",
    ],
    PartnerKind.MISSION_LOCALE: ["Contrat d'engagement jeune", "Accompagnement des moins de 26 ans"],
    PartnerKind.DREETS: ["Agrément IAE", "Dossier d'aide à l'embauche"],
    PartnerKind.SIAE: ["Candidature en atelier chantier d'insertion", "Candidature en entreprise d'insertion"],
    PartnerKind.CONSEIL_REGIONAL: ["Financement de formation qualifiante", "Aide à la mobilité"],
    PartnerKind.HEALTH: ["Dépistage et santé sexuelle", "Accès aux soins sans couverture", "Suivi psychologique"],
    PartnerKind.HOUSING: ["Demande d'hébergement", "Admission en CHRS"],
    PartnerKind.TRAINING: ["Formation qualifiante", "FLE à visée professionnelle"],
    PartnerKind.OTHER: ["Accompagnement juridique des victimes", "Aide alimentaire"],
}

SECTORS: dict[OutcomeType, list[str]] = {
    OutcomeType.CDI: ["Propreté", "Hôtellerie-restauration", "Aide à la personne", "Commerce"],
    OutcomeType.FIXED_TERM_OVER_6_MONTHS: ["Propreté", "Logistique", "Restauration collective", "Aide à la personne"],
    OutcomeType.CIVIL_SERVICE: ["Fonction publique hospitalière", "Fonction publique territoriale"],
    OutcomeType.BUSINESS_CREATION: ["Coiffure / esthétique", "Couture / retouches", "Restauration"],
    OutcomeType.FIXED_TERM_UNDER_6_MONTHS: ["Hôtellerie-restauration", "Logistique", "Propreté", "Agriculture"],
    OutcomeType.SUBSIDISED_CONTRACT: ["Associatif", "Collectivité", "Aide à la personne"],
    OutcomeType.QUALIFYING_TRAINING: [
        "Formation aide-soignant·e",
        "Formation agent·e de propreté",
        "Formation cuisine",
    ],
    OutcomeType.SIAE_HIRING: ["Atelier chantier d'insertion", "Entreprise d'insertion", "Association intermédiaire"],
}

MAINSTREAM_DESTINATIONS = [
    "Cours municipaux d'adultes",
    "Formation linguistique OFII (contrat d'intégration républicaine)",
    "GRETA — FLE à visée professionnelle",
    "Atelier sociolinguistique d'un centre social",
    "Université populaire — français langue étrangère",
]

ASSESSMENT_COMMENTS = [
    "Progrès nets à l'oral.",
    "Lecture encore hésitante.",
    "Très assidue, bonne dynamique de groupe.",
    "Besoin de consolider l'écrit.",
    "Compréhension des consignes acquise.",
]

EXPENSE_LABELS: dict[BudgetCategory, list[tuple[str, str]]] = {
    BudgetCategory.PURCHASES: [
        ("Fournitures pour les ateliers", "Bureau Vallée"),
        ("Kits d'hygiène pour les maraudes", "Pharmacie du Centre"),
        ("Matériel de prévention (préservatifs, gel)", "Prévention Diffusion"),
        ("Collations des ateliers collectifs", "Épicerie solidaire"),
        ("Tickets de transport pour les personnes accompagnées", "Réseau de transport urbain"),
    ],
    BudgetCategory.EXTERNAL_SERVICES: [
        ("Loyer du local d'accueil", "Bailleur — SCI du Parc"),
        ("Location de salle pour les ateliers", "Maison des associations"),
        ("Assurance multirisque", "Mutuelle associative d'assurance"),
        ("Entretien du véhicule de maraude", "Garage Solidaire"),
    ],
    BudgetCategory.OTHER_EXTERNAL_SERVICES: [
        ("Interprétariat professionnel", "Inter Service Migrants"),
        ("Frais de déplacement des équipes", "Notes de frais"),
        ("Honoraires de l'expert-comptable", "Cabinet d'expertise comptable"),
        ("Téléphonie et internet", "Opérateur télécom"),
        ("Supervision d'équipe", "Psychologue superviseur"),
    ],
    BudgetCategory.TAXES: [("Taxe sur les salaires", "URSSAF"), ("Formation professionnelle continue", "OPCO")],
    BudgetCategory.STAFF: [("Salaires et charges", "Paie")],
    BudgetCategory.MANAGEMENT: [
        ("Cotisation à la fédération", "Fédération des acteurs de la solidarité"),
        ("Cotisation au réseau régional", "Réseau régional des associations"),
    ],
    BudgetCategory.DEPRECIATION: [
        ("Dotation aux amortissements du véhicule", "Écriture comptable"),
        ("Dotation aux amortissements du matériel informatique", "Écriture comptable"),
    ],
    BudgetCategory.INDIRECT: [("Frais de structure (quote-part du siège)", "Siège de l'association")],
}
