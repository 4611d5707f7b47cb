"""Checks on the network's reference data in ``seeds/*.yaml``.

Unique ids, references that resolve, closed vocabularies, an acyclic theme taxonomy with
umbrellas, the generator vocabulary for fictional members, and no real person's name anywhere.
Place names are checked against the gazetteer by the graph tests, not here.
"""

from __future__ import annotations

import json
import re
import string
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from schakel.graph.names import fold

SEED_FILES = (
    "domains.yaml",
    "themes.yaml",
    "organisations.yaml",
    "practices.yaml",
    "communities.yaml",
    "people.yaml",
)
INVENTORY = Path(__file__).parents[3] / "shared" / "domain" / "seed_inventory.json"

DOMAIN_IDS = {
    "onderwijs", "zorg", "jeugdhulp", "kinderopvang", "gemeente-overheid", "ouders-jongeren",
    "wetenschap", "sport-cultuur",
}
ORG_KINDS = {
    "school", "schoolbestuur", "samenwerkingsverband", "kindcentrum", "kinderopvang", "gemeente",
    "wijkteam", "jeugdhulpaanbieder", "ggd-jgz", "zorgaanbieder", "welzijn", "ouderorganisatie",
    "koepel", "ministerie", "kennisinstituut", "hogeschool-universiteit", "netwerk",
    "adviesbureau", "toezicht", "overig",
}
ORG_RELATIONS = {"kernpartner", "coalitiepartij", "opdrachtgever", "kennispartner", "praktijk",
                 "overig"}
COMMUNITY_KINDS = {"cop", "themagroep", "intervisiegroep", "leernetwerk", "netwerk"}
ROLES = {"expert", "ambassador", "verbinder", "ervaringsdeskundige"}
PLACEHOLDERS = {"function", "organisation", "place", "theme", "theme2", "domain", "years"}

# The 66 theme ids of seed_inventory.json, kept here so the check runs without the inventory.
INVENTORY_THEME_IDS = {
    "ontwikkelkansen", "samenwerking_ozj", "domeinoverstijgend", "interprofessioneel",
    "inclusief_ouders", "inclusief_onderwijs", "passend_onderwijs", "inclusief_opgroeien",
    "pedagogische_basis", "wijk_context_collectief", "preventie", "monitoring",
    "positief_preventief_jeugdbeleid", "bestuurlijke_afspraken", "onderwijs_zorg_arrangementen",
    "financiering", "thuiszitters", "lvb", "regievoering", "netwerken_samenwerken", "veiligheid",
    "cultuur_gedragsverandering", "privacy_avg", "verbreden_netwerk", "verdiepen_thematisch",
    "beleid_praktijk", "lokaal_regionaal_samenwerken", "leren_goede_voorbeelden",
    "agenderen_knelpunten", "bewegen_leren_agenderen", "leidende_principes", "zeven_adviezen",
    "subdoelen_2020", "hervormingsagenda_jeugd", "kwaliteit_leren", "administratieve_lasten",
    "propositie_sterke_basis", "sport_cultuur", "ocw_themagroepen", "wet_regelgeving",
    "toezicht_inspectie", "opleiden_professionaliseren", "vr_niveaus", "vr_instrumenten",
    "vr_handelingsopties", "sociaal_netwerk_versterkend", "pilot_niveaus",
    "pilot_aandachtsgebieden", "werkzame_elementen", "gedeelde_taal", "leiderschap",
    "vertrouwen_ruimte", "jonge_kind_kinderopvang", "kansengelijkheid", "mentaal_welbevinden",
    "speciaal_onderwijs", "complexe_zorgvraag", "toegang_jeugdhulp_school", "huisvesting",
    "doorgaande_lijn_overgangen", "jongerenparticipatie", "handelingsgericht", "jgz",
    "welzijn_sociaal_werk", "monitoring_indicatoren", "gerelateerde_programmas",
}
# Framework and meta themes that describe the network, not someone's expertise.
FRAMEWORK_THEMES = {
    "zeven_adviezen", "subdoelen_2020", "leidende_principes", "monitoring_indicatoren",
    "vr_niveaus", "vr_instrumenten", "vr_handelingsopties", "pilot_niveaus",
    "pilot_aandachtsgebieden", "bewegen_leren_agenderen", "gerelateerde_programmas",
    "verbreden_netwerk", "verdiepen_thematisch", "propositie_sterke_basis", "ocw_themagroepen",
}
KERNPARTNERS = {"org-nji", "org-spo", "org-ozj", "org-vng", "org-ons"}
OPDRACHTGEVERS = {"org-ocw", "org-vws", "org-szw"}

NODE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
THEME_ID = re.compile(r"^[a-z][a-z0-9_]*$")

FIELDS = {
    "domains.yaml": {"id", "name", "description", "synonyms"},
    "themes.yaml": {"id", "name", "gloss_en", "description", "synonyms", "broader", "assignable"},
    "organisations.yaml": {"id", "name", "abbreviation", "kind", "domains", "gemeente", "relation"},
    "practices.yaml": {"id", "source", "title", "summary", "themes", "places", "organisations"},
    "communities.yaml": {"id", "name", "kind", "description", "themes"},
}


@cache
def _text(name: str) -> str:
    return resources.files("schakel.seeds").joinpath(name).read_text(encoding="utf-8")


@cache
def _load(name: str) -> Any:
    return yaml.safe_load(_text(name))


@pytest.fixture(scope="module")
def domains() -> list[dict[str, Any]]:
    return _load("domains.yaml")


@pytest.fixture(scope="module")
def themes() -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in _load("themes.yaml")}


@pytest.fixture(scope="module")
def organisations() -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in _load("organisations.yaml")}


@pytest.fixture(scope="module")
def practices() -> list[dict[str, Any]]:
    return _load("practices.yaml")


@pytest.fixture(scope="module")
def communities() -> list[dict[str, Any]]:
    return _load("communities.yaml")


@pytest.fixture(scope="module")
def people() -> dict[str, Any]:
    return _load("people.yaml")


@pytest.fixture(scope="module")
def inventory() -> dict[str, Any]:
    if not INVENTORY.is_file():
        pytest.skip(f"seed inventory not found at {INVENTORY}; the real-name check needs it")
    return json.loads(INVENTORY.read_text(encoding="utf-8"))


def _broader_closure(themes: dict[str, dict[str, Any]], start: str) -> set[str]:
    seen: set[str] = set()
    stack = list(themes[start]["broader"])
    while stack:
        tid = stack.pop()
        if tid not in seen:
            seen.add(tid)
            stack.extend(themes[tid]["broader"])
    return seen


def _is_nonempty_str(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


# ---------------------------------------------------------------- ids and shapes


@pytest.mark.parametrize("name", list(FIELDS))
def test_records_have_exactly_the_documented_fields(name: str) -> None:
    rows = _load(name)
    assert isinstance(rows, list) and rows
    for row in rows:
        assert set(row) == FIELDS[name], (name, row.get("id"), set(row) ^ FIELDS[name])


def test_ids_are_unique_within_and_across_files() -> None:
    seen: dict[str, str] = {}
    for name in FIELDS:
        for row in _load(name):
            node_id = row["id"]
            assert isinstance(node_id, str) and NODE_ID.match(node_id), (name, node_id)
            assert node_id not in seen, f"{node_id} in {name} and {seen.get(node_id)}"
            seen[node_id] = name


def test_seed_files_are_valid_yaml() -> None:
    for name in SEED_FILES:
        assert _load(name), name


# ---------------------------------------------------------------- domains


def test_domains_are_the_network_domains(domains: list[dict[str, Any]]) -> None:
    assert {d["id"] for d in domains} == DOMAIN_IDS
    names = {d["id"]: d["name"] for d in domains}
    assert names["wetenschap"] == "Kennis en onderzoek"
    for d in domains:
        assert _is_nonempty_str(d["name"]) and _is_nonempty_str(d["description"])
        assert d["synonyms"] and all(_is_nonempty_str(s) for s in d["synonyms"])
        folded = [fold(s) for s in d["synonyms"]]
        assert len(folded) == len(set(folded)), d["id"]
    onderwijs = {fold(s) for s in next(d for d in domains if d["id"] == "onderwijs")["synonyms"]}
    assert {"po", "vo", "so", "mbo", "passend onderwijs"} <= onderwijs


# ---------------------------------------------------------------- themes


def test_every_inventory_theme_is_present(themes: dict[str, dict[str, Any]]) -> None:
    assert len(INVENTORY_THEME_IDS) == 66
    assert INVENTORY_THEME_IDS <= set(themes), sorted(INVENTORY_THEME_IDS - set(themes))


def test_theme_fields(themes: dict[str, dict[str, Any]]) -> None:
    for tid, t in themes.items():
        assert THEME_ID.match(tid), tid
        assert _is_nonempty_str(t["name"]) and len(t["name"]) <= 80, tid
        assert _is_nonempty_str(t["gloss_en"]) and _is_nonempty_str(t["description"]), tid
        assert isinstance(t["assignable"], bool), tid
        assert isinstance(t["broader"], list) and isinstance(t["synonyms"], list), tid


def test_broader_references_exist(themes: dict[str, dict[str, Any]]) -> None:
    for tid, t in themes.items():
        for b in t["broader"]:
            assert b in themes, (tid, b)
            assert b != tid, tid
        assert len(t["broader"]) == len(set(t["broader"])), tid


def test_broader_is_acyclic(themes: dict[str, dict[str, Any]]) -> None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(tid: str, path: list[str]) -> None:
        if state.get(tid) == 2:
            return
        assert state.get(tid) != 1, f"cycle: {' -> '.join([*path, tid])}"
        state[tid] = 1
        for b in themes[tid]["broader"]:
            visit(b, [*path, tid])
        state[tid] = 2

    for tid in themes:
        visit(tid, [])


def test_umbrellas_and_every_assignable_theme_reaches_one(
    themes: dict[str, dict[str, Any]],
) -> None:
    umbrellas = {tid for tid, t in themes.items() if not t["broader"]}
    assert 6 <= len(umbrellas) <= 8, sorted(umbrellas)
    assert not umbrellas & INVENTORY_THEME_IDS, "inventory themes sit under an umbrella"
    for u in umbrellas:
        assert themes[u]["assignable"] is False, u
    for tid, t in themes.items():
        if t["assignable"]:
            assert _broader_closure(themes, tid) & umbrellas, tid


def test_taxonomy_additions(themes: dict[str, dict[str, Any]]) -> None:
    umbrellas = {tid for tid, t in themes.items() if not t["broader"]}
    additions = set(themes) - INVENTORY_THEME_IDS - umbrellas
    assert 5 <= len(additions) <= 15, sorted(additions)
    for tid in additions:
        assert themes[tid]["assignable"] is True and themes[tid]["synonyms"], tid
    assert "verzuim" in themes["thuiszitters"]["broader"]
    assert "onderwijs_ondersteuning" in _broader_closure(themes, "gedrag")


def test_framework_themes_are_not_assignable(themes: dict[str, dict[str, Any]]) -> None:
    for tid in FRAMEWORK_THEMES:
        assert themes[tid]["assignable"] is False, tid
    assignable = [tid for tid, t in themes.items() if t["assignable"]]
    assert len(assignable) >= 50


def test_synonyms_are_short_terms_owned_by_one_theme(themes: dict[str, dict[str, Any]]) -> None:
    owner: dict[str, str] = {}
    for tid, t in themes.items():
        terms = [t["name"], *t["synonyms"]]
        for term in terms:
            assert _is_nonempty_str(term), (tid, term)
            assert len(term) <= 60 and len(term.split()) <= 7, (tid, term)
            assert not re.match(r"^(\d+|[a-z])[.)]?\s", term), (tid, term)  # list fragments
        for term in t["synonyms"]:
            key = fold(term)
            assert owner.get(key, tid) == tid, f"{term!r} in {owner.get(key)} and {tid}"
            owner[key] = tid
        folded = [fold(s) for s in t["synonyms"]]
        assert len(folded) == len(set(folded)), tid


def test_assignable_theme_names_read_well_in_a_sentence(
    themes: dict[str, dict[str, Any]],
) -> None:
    for tid, t in themes.items():
        if not t["assignable"]:
            continue
        name = t["name"]
        assert name[0].isupper(), tid
        assert "/" not in name and '"' not in name and ":" not in name, tid
        assert len(name) <= 70, tid


# ---------------------------------------------------------------- organisations


def test_organisations_use_the_vocabularies(organisations: dict[str, dict[str, Any]]) -> None:
    assert len(organisations) >= 60
    for oid, o in organisations.items():
        assert oid.startswith("org-") and SLUG.match(oid), oid
        assert _is_nonempty_str(o["name"]), oid
        assert o["abbreviation"] is None or _is_nonempty_str(o["abbreviation"]), oid
        assert o["kind"] in ORG_KINDS, (oid, o["kind"])
        assert o["relation"] in ORG_RELATIONS, (oid, o["relation"])
        assert isinstance(o["domains"], list), oid
        assert set(o["domains"]) <= DOMAIN_IDS, (oid, o["domains"])
        assert len(o["domains"]) == len(set(o["domains"])), oid
        assert o["gemeente"] is None or _is_nonempty_str(o["gemeente"]), oid
    names = [fold(o["name"]) for o in organisations.values()]
    assert len(names) == len(set(names))


def test_partner_relations(organisations: dict[str, dict[str, Any]]) -> None:
    kern = {oid for oid, o in organisations.items() if o["relation"] == "kernpartner"}
    assert kern == KERNPARTNERS
    for oid in OPDRACHTGEVERS:
        assert organisations[oid]["relation"] == "opdrachtgever"
        assert organisations[oid]["kind"] == "ministerie"


# ---------------------------------------------------------------- practices


def test_practices_cover_the_inventory(practices: list[dict[str, Any]]) -> None:
    assert len(practices) == 46
    assert [p["source"] for p in practices] == [f"PE{i:02d}" for i in range(1, 47)]


def test_practice_references(
    practices: list[dict[str, Any]],
    themes: dict[str, dict[str, Any]],
    organisations: dict[str, dict[str, Any]],
) -> None:
    for p in practices:
        pid = p["id"]
        assert pid.startswith("pr-") and SLUG.match(pid), pid
        assert _is_nonempty_str(p["title"]) and len(p["title"]) <= 300, pid
        assert p["themes"] and all(t in themes for t in p["themes"]), (pid, p["themes"])
        assert any(themes[t]["assignable"] for t in p["themes"]), pid
        assert len(p["themes"]) == len(set(p["themes"])), pid
        assert p["places"] and all(_is_nonempty_str(pl) for pl in p["places"]), pid
        assert len(p["places"]) == len(set(p["places"])), pid
        assert all(o in organisations for o in p["organisations"]), (pid, p["organisations"])
        assert len(p["organisations"]) == len(set(p["organisations"])), pid


def test_practice_summaries_are_short_plain_texts(practices: list[dict[str, Any]]) -> None:
    for p in practices:
        summary = p["summary"]
        assert _is_nonempty_str(summary) and 80 <= len(summary) <= 800, p["id"]
        sentences = re.findall(r"[.!?](?:\s|$)", summary)
        assert 2 <= len(sentences) <= 4, (p["id"], len(sentences))
        assert "\n" not in summary.strip(), p["id"]


# ---------------------------------------------------------------- communities


def test_communities(
    communities: list[dict[str, Any]], themes: dict[str, dict[str, Any]]
) -> None:
    assert len(communities) >= 10
    for c in communities:
        assert c["id"].startswith("com-") and SLUG.match(c["id"]), c["id"]
        assert c["kind"] in COMMUNITY_KINDS, c["id"]
        assert _is_nonempty_str(c["name"]) and _is_nonempty_str(c["description"]), c["id"]
        assert c["themes"] and all(t in themes for t in c["themes"]), c["id"]
        # Demo members join communities through their (assignable) themes.
        assert any(themes[t]["assignable"] for t in c["themes"]), c["id"]
    kinds = {c["kind"] for c in communities}
    assert {"cop", "themagroep", "intervisiegroep", "leernetwerk", "netwerk"} <= kinds


# ---------------------------------------------------------------- people.yaml


def test_name_lists(people: dict[str, Any]) -> None:
    first, last = people["first_names"], people["surnames"]
    assert len(first) >= 150 and len(last) >= 200
    assert len(set(first)) == len(first) and len(set(last)) == len(last)
    assert all(_is_nonempty_str(n) and n == n.strip() for n in first + last)
    assert any(n.startswith(("van ", "de ")) for n in last), "tussenvoegsels belong in surnames"


def test_functions(people: dict[str, Any], themes: dict[str, dict[str, Any]]) -> None:
    functions = people["functions"]
    assert len(functions) >= 25
    names = [f["name"] for f in functions]
    assert len(names) == len(set(names))
    patterns = people["local_organisations"]
    for f in functions:
        assert {"name", "domain", "org_kinds", "themes", "roles"} <= set(f) <= {
            "name", "domain", "org_kinds", "themes", "roles", "weight"}, f["name"]
        assert f["domain"] in DOMAIN_IDS, f["name"]
        assert f["org_kinds"] and set(f["org_kinds"]) <= ORG_KINDS, f["name"]
        for kind in f["org_kinds"]:
            assert patterns.get(kind), (f["name"], kind)
        assert len(f["themes"]) >= 3, f["name"]
        for t in f["themes"]:
            assert t in themes and themes[t]["assignable"], (f["name"], t)
        assert set(f["roles"]) == ROLES, f["name"]
        assert all(0.0 <= float(p) <= 1.0 for p in f["roles"].values()), f["name"]
        assert float(f.get("weight", 1.0)) > 0, f["name"]
    by_name = {f["name"]: f for f in functions}
    assert by_name["wethouder"]["roles"]["ambassador"] >= 0.3
    assert by_name["ervaringsdeskundige ouder"]["roles"]["ervaringsdeskundige"] >= 0.8
    assert by_name["ervaringsdeskundige ouder"]["domain"] == "ouders-jongeren"


def test_local_organisation_patterns(people: dict[str, Any]) -> None:
    patterns = people["local_organisations"]
    assert set(patterns) <= ORG_KINDS
    for kind, rows in patterns.items():
        minimum = 10 if kind in {"school", "kindcentrum", "kinderopvang"} else 3
        assert len(rows) >= minimum, kind
        assert len(set(rows)) == len(rows), kind
        for pattern in rows:
            fields = {f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None}
            assert fields <= {"place"}, (kind, pattern)
            assert pattern.format(place="'s-Hertogenbosch").strip(), (kind, pattern)
    assert "Gemeente {place}" in patterns["gemeente"]


def test_profile_templates(people: dict[str, Any], themes: dict[str, dict[str, Any]]) -> None:
    profile = people["profile"]
    minimum = {"openings": 15, "openings_plain": 6, "expertise": 20, "collaboration": 12,
               "offers": 12}
    assert set(profile) == set(minimum)
    theme_names = [t["name"] for t in themes.values() if t["assignable"]]
    for section, rows in profile.items():
        assert len(rows) >= minimum[section], section
        assert len(set(rows)) == len(rows), section
        for template in rows:
            fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
            assert fields <= PLACEHOLDERS, (section, template)
            assert template[0].isupper(), (section, template)  # never starts with a placeholder
            assert template.rstrip()[-1] in ".?!", (section, template)
            for name in theme_names:
                text = template.format(
                    function="intern begeleider", organisation="Kindcentrum De Linde",
                    place="Zwolle", theme=name[0].lower() + name[1:], theme2="preventie",
                    domain="onderwijs", years=7,
                )
                assert "  " not in text and " ." not in text and "{" not in text, text
    # The profile is shown to everyone who may see the member; organisation and function can
    # be private, so no sentence names the organisation and openings_plain not the function.
    assert not any("{organisation}" in t for rows in profile.values() for t in rows)
    assert not any("{function}" in t for t in profile["openings_plain"])
    assert all("{function}" in t for t in profile["openings"])
    assert all("{theme" in t for t in profile["expertise"]), "expertise names a theme"
    with_theme = [t for t in profile["offers"] if "{theme" in t]
    assert len(with_theme) * 2 >= len(profile["offers"]), "most offers name a theme"


def test_need_phrases(people: dict[str, Any], themes: dict[str, dict[str, Any]]) -> None:
    needs = people["needs"]
    assert 0 < float(needs["share"]) < 1
    phrases = needs["phrases"]
    assert len(phrases) >= 8 and len(set(phrases)) == len(phrases)
    for template in phrases:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
        assert fields == ["need"], template
        assert template[0].isupper() and template.rstrip()[-1] in ".?!", template
    for theme, weight in needs["sought"].items():
        assert themes[theme]["assignable"], theme
        assert float(weight) > 1, theme


def test_availability(people: dict[str, Any]) -> None:
    rows = people["availability"]
    assert len(rows) >= 5 and len(set(rows)) == len(rows)
    assert all(_is_nonempty_str(r) and len(r) <= 200 for r in rows)
    assert "niet beschikbaar" in rows


# ---------------------------------------------------------------- privacy


def _real_names(inventory: dict[str, Any]) -> set[str]:
    """Full names of the real people named in the sources, with their spelling variants."""
    names: set[str] = set()
    for person in inventory.get("people", []):
        raw = person["name"].strip()
        if raw.startswith("("):  # "(unnamed) ..." entries name nobody
            continue
        variants = {re.sub(r"\([^)]*\)", "", raw), raw.replace("(", "").replace(")", "")}
        for variant in variants:
            for part in variant.split(","):
                part = " ".join(part.split())
                if part:
                    names.add(part)
    return names


def test_no_real_person_name_in_seed_files(inventory: dict[str, Any]) -> None:
    names = _real_names(inventory)
    assert names, "the inventory lists no people"
    for file_name in SEED_FILES:
        text = _text(file_name)
        for name in names:
            pattern = r"(?<!\w)" + re.escape(name) + r"(?!\w)"
            assert not re.search(pattern, text, re.IGNORECASE), f"{name!r} in {file_name}"


def test_generated_names_cannot_be_a_real_person(
    inventory: dict[str, Any], people: dict[str, Any]
) -> None:
    first = {n.casefold() for n in people["first_names"]}
    last = {n.casefold() for n in people["surnames"]}
    for name in _real_names(inventory):
        given, _, family = name.partition(" ")
        assert not (given.casefold() in first and family.casefold() in last), name
