"""Names of the association's staff: social workers, CIP, French teachers, heads of service, national officers
and the former holders of the posts (issue 20).

They are French professionals aged about 25 to 60, so born between 1965 and 2000, and most of them women:
- first names commonly given in France to children born in those years (INSEE, « Fichier des prénoms »,
  births 1965–2000), those of families from the Maghreb among them;
- surnames among the most frequent in France (INSEE civil registers, as Géopatronyme ranks them), with
  surnames of Maghrebi, West African, Portuguese and Vietnamese origin frequent in France;
- women are over three quarters of the social professions (DREES, studies of the social professions:
  assistants de service social, éducateurs, conseillers en insertion); STAFF_WOMEN below.

They are drawn from a Random of their own. A staff name shares no word with the first names the persons
accompanied may be given (seed/names.py): every name of these lists that a person's pool holds is left out
here, so that a worker is never mistaken for a person of the files and the persons' pools stay as they were.
"""

from __future__ import annotations

import random
from functools import cache

from seed.context import SEED
from seed.names import LOCALES, locale_names

STAFF_WOMEN = 0.8

WOMEN = (
    "Adeline", "Amandine", "Anne-Laure", "Armelle", "Aude", "Bérengère", "Carole", "Clarisse", "Coline", "Coralie",
    "Cyrielle", "Déborah", "Delphine", "Émeline", "Fabienne", "Florence", "Gaëlle", "Géraldine", "Gwenaëlle",
    "Hanane", "Héloïse", "Justine", "Karima", "Karine", "Laurène", "Leïla", "Lydie", "Magali", "Malika",
    "Marie-Laure", "Marion", "Maud", "Mélanie", "Morgane", "Nawel", "Noémie", "Nolwenn", "Ophélie", "Perrine",
    "Rachida", "Samia", "Séverine", "Solène", "Soraya", "Tiphaine",
)  # fmt: skip
MEN = (
    "Arnaud", "Aurélien", "Bastien", "Cédric", "Clément", "Cyril", "Damien", "Erwan", "Fabien", "Gaël",
    "Grégory", "Hakim", "Jean-Baptiste", "Jean-Marc", "Jérémy", "Kamel", "Karim", "Lionel", "Loïc", "Mathieu",
    "Maxime", "Mickaël", "Nabil", "Pierre-Yves", "Régis", "Rémi", "Romain", "Sylvain", "Yann", "Yannick",
)  # fmt: skip
SURNAMES = (
    "Dubois", "Durand", "Moreau", "Lefebvre", "Leroy", "Roux", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Mercier", "Blanc", "Guérin",
    "Boyer", "Garnier", "Chevalier", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Morin", "Roussel",
    "Gautier", "Masson", "Marchand", "Duval", "Dumont", "Meyer", "Dufour", "Meunier", "Brun", "Blanchard",
    "Giraud", "Joly", "Rivière", "Brunet", "Gaillard", "Barbier", "Martinez", "Roche", "Renard", "Schmitt",
    "Leroux", "Colin", "Vidal", "Caron", "Picard", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas",
    "Lacroix", "Bourgeois", "Rey", "Leclerc", "Rolland", "Lopez", "Dupuy", "Guillot", "Berger", "Carpentier",
    "Sanchez", "Moulin", "Deschamps", "Vasseur", "Perez", "Boucher", "Fleury", "Royer", "Klein", "Jacquet",
    "Poirier", "Marty", "Aubry", "Guyot", "Carré", "Renault", "Charpentier", "Ménard", "Maillard", "Bertin",
    "Bailly", "Schneider", "Fernandez", "Le Gall", "Bouvier", "Prévost", "Millet", "Perrot", "Breton",
    "Besson", "Langlois", "Le Goff", "Pelletier", "Lebrun", "Weber", "Hamon", "Monnier", "Michaud",
    "Tessier", "Chauvin", "Da Silva", "Humbert", "Reynaud", "Cordier", "Lejeune", "Delaunay", "Pasquier",
    "Benali", "Haddad", "Amrani", "Bouzid", "Mansouri", "Belkacem", "Traoré", "Diallo", "Koné",
    "Camara", "Ndiaye", "Nguyen", "Tran", "Pereira", "Ferreira", "Da Costa", "Rodrigues", "Gomes",
)  # fmt: skip


@cache
def _persons_first_names() -> frozenset[str]:
    """Every first name a person of the files may be given, whatever the nationality (seed/names.py)."""
    names: set[str] = set()
    for locales in LOCALES.values():
        for locale in locales:
            female, male = locale_names(locale)
            names.update(female, male)
    return frozenset(names)


def _usable(names: tuple[str, ...]) -> tuple[str, ...]:
    taken = _persons_first_names()
    return tuple(name for name in names if not set(name.split()) & taken)


class StaffNames:
    """Draws distinct « First Last » names, most of them women's, from the Random of the staff names: a first
    name or a surname comes back only once every one of its list has been given."""

    def __init__(self) -> None:
        self.rng = random.Random(f"{SEED}-staff")
        self.lists = {"women": _usable(WOMEN), "men": _usable(MEN), "surnames": _usable(SURNAMES)}
        self.given: dict[str, set[str]] = {kind: set() for kind in self.lists}
        self.used: set[str] = set()  # whole names given, the demo accounts' included

    def reserve(self, display_name: str) -> None:
        """A name given otherwise (a demo account's): never drawn, and its words come last."""
        self.used.add(display_name)
        for kind, names in self.lists.items():
            self.given[kind].update(word for word in display_name.split() if word in names)

    def _pick(self, kind: str) -> str:
        left = [name for name in self.lists[kind] if name not in self.given[kind]]
        if not left:
            self.given[kind].clear()
            left = list(self.lists[kind])
        name = self.rng.choice(left)
        self.given[kind].add(name)
        return name

    def draw(self) -> tuple[str, str]:
        while True:
            first = self._pick("women" if self.rng.random() < STAFF_WOMEN else "men")
            last = self._pick("surnames")
            if f"{first} {last}" not in self.used:
                self.used.add(f"{first} {last}")
                return first, last
