"""First names of the persons accompanied, drawn from lists that match each person's nationality.

A worker types the name as it is written on the person's papers (passport, APS, asylum
certificate), with a French keyboard: Chinese names in pinyin without tones, Bulgarian and
Ukrainian names in their official Latin transliteration, and letters a French keyboard lacks
(ș, ñ, ã…) without their accent. Every list comes from Faker's locales (the pinned version's
`faker.providers.person.<locale>` lists, read once: no Faker call per person) except two that
Faker 40.63 does not have, kept below with their source. A name alone identifies nobody; the
person files stay fictitious.
"""

from __future__ import annotations

import importlib
import unicodedata
from dataclasses import dataclass
from functools import cache

# Locales per nationality (ISO 3166 alpha-2), with their weights. Which locales exist was checked
# against Faker 40.63: en_NG, yo_NG, ig_NG, ro_RO, bg_BG, zh_CN, pt_BR, es_CO, tw_GH, fr_DZ, uk_UA,
# fr_FR (bg_BG exists but is unusable, see BULGARIAN). None exists for Albania, Côte d'Ivoire, Venezuela or Morocco.
# - Nigeria: most Nigerian women met in France come from Edo State (Benin City) and carry English
#   Christian first names (Blessing, Joy, Precious…), hence en_NG first, then Igbo and Yoruba names.
# - Venezuela: es_CO (Colombian Spanish lists; no es_VE in Faker).
# - Morocco: fr_DZ (Maghrebi first names in their usual French transcription; no fr_MA in Faker).
LOCALES: dict[str, dict[str, float]] = {
    "NG": {"en_NG": 6, "ig_NG": 2, "yo_NG": 2},
    "RO": {"ro_RO": 1},
    "BG": {"bg_BG": 1},  # BULGARIAN below
    "CN": {"zh_CN": 1},
    "FR": {"fr_FR": 1},
    "BR": {"pt_BR": 1},
    "CO": {"es_CO": 1},
    "VE": {"es_CO": 1},
    "GH": {"tw_GH": 1},
    "DZ": {"fr_DZ": 1},
    "MA": {"fr_DZ": 1},
    "UA": {"uk_UA": 1},
    "AL": {"sq_AL": 1},  # ALBANIAN below
    "CI": {"fr_CI": 1},  # IVORIAN below
}

# Albanian first names (no sq_AL locale in Faker): common names listed in Wiktionary's categories
# « Albanian female given names » / « Albanian male given names ».
ALBANIAN = (
    (
        "Anisa", "Arta", "Blerta", "Brikena", "Dorina", "Elona", "Enkelejda", "Ermira", "Flutura", "Greta",
        "Klodiana", "Lindita", "Marsela", "Migena", "Orjola", "Rezarta", "Suela", "Valbona", "Xhensila", "Jonida",
    ),
    (
        "Arben", "Besnik", "Dritan", "Edmond", "Erion", "Florian", "Gentian", "Ilir", "Kastriot", "Klodian",
        "Ledio", "Mirel", "Sokol", "Valon", "Ardit",
    ),
)  # fmt: skip
# Ivorian first names (no fr_CI locale): Akan day names as the Baoulé and Agni write them (Wikipedia,
# « Akan names »), Mande and Muslim names common in the north, and French Christian names.
IVORIAN = (
    (
        "Adjoua", "Amenan", "Aya", "Affoué", "Akissi", "Ahou", "Amoin", "Awa", "Mariam", "Aminata", "Fatou",
        "Salimata", "Kadidja", "Rokia", "Christelle", "Nadège", "Estelle", "Prisca", "Grâce", "Sandrine",
    ),
    (
        "Kouassi", "Kouadio", "Yao", "Kouamé", "Konan", "Koffi", "Moussa", "Seydou", "Ibrahim", "Adama",
        "Serge", "Didier", "Hervé", "Arsène", "Junior",
    ),
)  # fmt: skip

# zh_CN's romanized list (pinyin without tones) is not split by gender: given names chiefly borne
# by women, the others count as men's (the hanzi lists of the same locale agree).
CHINESE_FEMALE = {"Fang", "Guiying", "Jing", "Juan", "Li", "Min", "Na", "Ping", "Xia", "Xiulan", "Xiuying", "Yan"}

# Bulgarian first names: bg_BG's lists hold every name ever registered (« Сладоледка », « Пантера »…) and
# miss the common ones, so a small list of frequent names (the national statistical institute, НСИ,
# publishes the most frequent names each year), in Cyrillic, transliterated below.
BULGARIAN = (
    (
        "Мария", "Иванка", "Елена", "Йорданка", "Десислава", "Галина", "Гергана", "Цветелина", "Петя", "Николета",
        "Силвия", "Теодора", "Виктория", "Даниела", "Кристина", "Снежана", "Росица", "Емилия", "Милена", "Ралица",
    ),
    (
        "Георги", "Иван", "Димитър", "Николай", "Петър", "Христо", "Стоян", "Тодор", "Йордан", "Васил",
        "Стефан", "Атанас", "Красимир", "Пламен", "Ивайло",
    ),
)  # fmt: skip
SMALL_LISTS = {"sq_AL": ALBANIAN, "fr_CI": IVORIAN, "bg_BG": BULGARIAN}
# Official transliterations: Bulgaria's Transliteration Act (2009, the « streamlined system » of
# its passports) and Ukraine's passport table (Cabinet of Ministers resolution no. 55, 2010).
BULGARIAN_LATIN = dict(
    zip(
        "абвгдежзийклмнопрстуфхцчшщъьюя",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "h",
            "ts",
            "ch",
            "sh",
            "sht",
            "a",
            "y",
            "yu",
            "ya",
        ],
        strict=True,
    )
)
UKRAINIAN_LATIN = dict(
    zip(
        "абвгґдежзиіклмнопрстуфхцчшщ",
        [
            "a",
            "b",
            "v",
            "h",
            "g",
            "d",
            "e",
            "zh",
            "z",
            "y",
            "i",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
        ],
        strict=True,
    )
) | {"ь": "", "'": "", "ʼ": ""}
# Letters whose Latin form depends on their place: first letter of the name, elsewhere.
UKRAINIAN_PLACED = {"є": ("ye", "ie"), "ї": ("yi", "i"), "й": ("y", "i"), "ю": ("yu", "iu"), "я": ("ya", "ia")}
FRENCH_LETTERS = set("àâäçéèêëîïôöùûüÿæœ")


def _transliterate(name: str, locale: str) -> str:
    if locale == "bg_BG":
        latin = "".join(BULGARIAN_LATIN.get(ch, ch) for ch in name.lower())
    elif locale == "uk_UA":
        parts = []
        for index, ch in enumerate(name.lower()):
            placed = UKRAINIAN_PLACED.get(ch)
            parts.append(placed[index > 0] if placed else UKRAINIAN_LATIN.get(ch, ch))
        latin = "".join(parts)
    else:
        latin = name
    return "-".join(part[:1].upper() + part[1:] for part in latin.split("-"))


def french_keyboard(name: str) -> str:
    """The name as typed on a French keyboard: accents French has are kept, the others dropped."""
    out = []
    for ch in name:
        if ch.lower() in FRENCH_LETTERS or ch.isascii():
            out.append(ch)
        else:
            out.append(unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii"))
    return "".join(out)


@cache
def locale_names(locale: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(female, male) first names of a locale, in Latin letters as a worker types them, sorted."""
    if locale in SMALL_LISTS:
        female, male = SMALL_LISTS[locale]
    else:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        if locale == "zh_CN":
            romanized = list(provider.first_romanized_names)
            female = [n for n in romanized if n in CHINESE_FEMALE]
            male = [n for n in romanized if n not in CHINESE_FEMALE]
        else:
            female, male = list(provider.first_names_female), list(provider.first_names_male)

    def clean(names) -> tuple[str, ...]:
        return tuple(sorted({french_keyboard(_transliterate(n, locale)) for n in names if n.strip()}))

    return clean(female), clean(male)


@dataclass(frozen=True)
class NamePools:
    """Per nationality, the female and male first names a person may be given (staff names excluded)."""

    pools: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]]

    @classmethod
    def build(cls, excluded: set[str]) -> NamePools:
        pools = {}
        for nationality, locales in LOCALES.items():
            pools[nationality] = {}
            for locale in locales:
                female, male = locale_names(locale)
                pools[nationality][locale] = (
                    tuple(n for n in female if n not in excluded),
                    tuple(n for n in male if n not in excluded),
                )
        return cls(pools)

    def pick(self, rng, nationality: str, male: bool) -> str:
        locales = LOCALES[nationality]
        locale = next(iter(locales))
        if len(locales) > 1:
            locale = rng.choices(list(locales), weights=list(locales.values()))[0]
        female_names, male_names = self.pools[nationality][locale]
        return rng.choice(male_names if male else female_names)
