"""Generated signals whose true groups are known: for the clustering test and the timing.

Eight knelpunten, each written in many ways (subject, problem and consequence are picked
and shuffled from the group's own phrases), with the group's themes (sometimes one
missing, sometimes a stray one), dates over half a year, and one group that grows: most of
its signals came in the last weeks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["GROUPS", "Generated", "generate"]

# (themes, subjects, problems, consequences)
GROUPS: dict[str, tuple[tuple[str, ...], list[str], list[str], list[str]]] = {
    "wachtlijst": (("zorg_jeugdhulp", "toegang_jeugdhulp_school"),
                   ["Onze leerling", "Een meisje uit groep 6", "Een jongen in de brugklas",
                    "Het kind van een gezin in de wijk"],
                   ["staat al maanden op de wachtlijst voor jeugdhulp",
                    "wacht een half jaar op een behandeling bij de jeugd-ggz",
                    "komt niet verder dan de wachtlijst van de zorgaanbieder",
                    "krijgt pas over maanden een intake bij de jeugdhulp"],
                   ["en de school kan intussen niets.", "terwijl het thuis slechter gaat.",
                    "en de leerkracht staat er alleen voor.", "zonder dat iemand overbrugt."]),
    "thuiszitters": (("thuiszitters", "passend_onderwijs"),
                     ["Een leerling met autisme", "Een jongen van veertien",
                      "Een kind met extra ondersteuning",
                      "Een leerling uit het speciaal onderwijs"],
                     ["zit al maanden thuis zonder passende school",
                      "heeft geen plek op een school die bij hem past",
                      "is uitgevallen en zit thuis, geen school wil hem plaatsen",
                      "verzuimt al weken en thuiszitten dreigt"],
                     ["De leerplicht kan alleen een proces-verbaal opmaken.",
                      "Het samenwerkingsverband wijst naar de gemeente.",
                      "Niemand voelt zich verantwoordelijk.", "Ouders zijn radeloos."]),
    "potjes": (("financiering", "onderwijs_zorg_arrangementen"),
               ["Een onderwijszorgarrangement", "Zorg in de klas",
                "De inzet van een jeugdhulpverlener op school",
                "Een gecombineerde plek van onderwijs en dagbehandeling"],
               ["loopt vast omdat onderwijs en gemeente elk een eigen budget hebben",
                "stopt omdat de financiering uit twee potjes moet komen",
                "wordt niet betaald omdat niemand de rekening wil dragen",
                "strandt op de vraag wie betaalt, de school of de gemeente"],
               ["Elk jaar moeten we opnieuw onderhandelen.", "De pilot eindigt na een jaar.",
                "Het geld zit in verschillende kokers.",
                "De subsidie is een tijdelijke pleister."]),
    "privacy": (("privacy_avg", "samenwerking"),
                ["De intern begeleider", "Het wijkteam", "De jeugdverpleegkundige",
                 "Een leerkracht"],
                ["mag volgens de AVG geen gegevens delen met de jeugdhulp",
                 "durft niets te delen uit angst voor de privacywet",
                 "krijgt geen informatie van het wijkteam vanwege de privacyregels",
                 "mag het dossier niet inzien zonder toestemming van ouders"],
                ["Zo werken we langs elkaar heen.",
                 "Ouders moeten hun verhaal steeds opnieuw doen.",
                 "De signalen blijven liggen.", "Het kost weken voor er toestemming is."]),
    "kinderopvang": (("jonge_kind_kinderopvang", "extra_ondersteuning"),
                     ["Een peuter met een ontwikkelingsachterstand",
                      "Een kind van drie in de kinderopvang",
                      "Het jonge kind op het kinderdagverblijf",
                      "Een peuter die extra zorg nodig heeft"],
                     ["krijgt geen extra begeleiding omdat de opvang dat niet vergoed krijgt",
                      "moet de kinderopvang verlaten omdat er geen extra handen zijn",
                      "valt tussen wal en schip tussen opvang en zorg",
                      "kan niet naar de peuteropvang zonder een indicatie"],
                     ["De pedagogisch medewerkers weten zich geen raad.",
                      "Ouders kunnen daardoor niet werken.",
                      "De overgang naar de basisschool wordt moeilijker.",
                      "Vroeg signaleren lukt zo niet."]),
    "administratie": (("administratieve_lasten", "regievoering"),
                      ["Onze ondersteuningscoördinator", "Het team van de school",
                       "De zorgaanbieder", "De gemeente"],
                      ["vult voor één kind vier verschillende formulieren in",
                       "verliest uren aan verantwoording en registratie",
                       "moet elk arrangement opnieuw aanvragen met nieuwe papieren",
                       "besteedt meer tijd aan administratie dan aan het kind"],
                      ["Dat gaat af van de tijd voor de leerling.",
                       "De regels stapelen zich op.", "Niemand kijkt of het nodig is.",
                       "Het vertrouwen in professionals ontbreekt."]),
    "nieuwkomers": (("nieuwkomers", "inclusief_onderwijs"),
                    ["Een nieuwkomer van twaalf", "Een gevlucht kind uit Oekraïne",
                     "Een leerling die net in Nederland is", "Een kind uit de noodopvang"],
                    ["komt niet in de nieuwkomersklas omdat die vol zit",
                     "moet steeds verhuizen tussen opvanglocaties en wisselt van school",
                     "krijgt geen taalondersteuning omdat de bekostiging stopt",
                     "heeft trauma maar geen toegang tot passende zorg"],
                    ["De school draait op vrijwilligers.", "Het kind raakt achter.",
                     "Er is geen vaste contactpersoon.", "De gemeente kent het kind niet."]),
    "personeel": (("opleiden_professionaliseren", "interprofessioneel"),
                  ["Onze school", "Het kindcentrum", "De jeugdhulpaanbieder", "De zorgboerderij"],
                  ["vindt geen leerkrachten en jeugdhulpverleners meer",
                   "heeft door het personeelstekort geen ruimte voor samenwerking",
                   "ziet professionals vertrekken omdat de werkdruk te hoog is",
                   "mist mensen die zowel onderwijs als zorg kennen"],
                  ["Opleidingen leiden nog steeds apart op.",
                   "Samen leren schiet er als eerste bij in.",
                   "Vacatures blijven maanden open.", "Invallers kennen de kinderen niet."]),
}
EXTRA_THEMES = ("samenwerking", "domeinoverstijgend", "beleid_praktijk", "wet_regelgeving")


@dataclass(frozen=True)
class Generated:
    id: str
    text: str
    themes: frozenset[str]
    day: date
    group: str


def generate(n: int, *, seed: int = 7, today: date = date(2026, 6, 1),
             growing: str | None = "privacy", days: int = 180) -> list[Generated]:
    """``n`` signals spread over the groups; ``growing``'s signals mostly in the last four
    weeks (the others evenly over ``days``)."""
    rng = random.Random(seed)
    names = list(GROUPS)
    out = []
    for i in range(n):
        group = names[i % len(names)]
        themes, subjects, problems, ends = GROUPS[group]
        text = f"{rng.choice(subjects)} {rng.choice(problems)}. {rng.choice(ends)}"
        if rng.random() < 0.3:
            text += f" (signaal {i})"
        kept = set(themes) if rng.random() > 0.15 else {themes[0]}
        if rng.random() < 0.15:
            kept.add(rng.choice(EXTRA_THEMES))
        back = rng.randrange(0, 27) if group == growing and rng.random() < 0.8 else \
            rng.randrange(0, days)
        out.append(Generated(f"sig-gen-{i:05d}", text, frozenset(kept),
                             today - timedelta(days=back), group))
    return out
