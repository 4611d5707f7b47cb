"""Whatever another tool writes, import answers with a report, never with a crash."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schakel.graph.exchange import SECTIONS, export_document, import_document
from schakel.graph.local import LocalGraphStore

FIELDS = ["id", "name", "function", "organisation", "gemeente", "domains", "themes", "roles",
          "profile", "availability", "visibility", "consent_matching", "consent_contact",
          "kind", "relation", "abbreviation", "title", "summary", "gemeenten", "organisations",
          "members", "type", "from", "to", "props", "level", "theme"]
GOOD_VALUES = ["Emmen", "gm-emmen", "thuiszitters", "onderwijs", "expert", "members", "school",
               "KNOWS", "m-000001", "org-nji", "Den Haag", "lvb"]

json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
    | st.text(max_size=8) | st.sampled_from(GOOD_VALUES),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(FIELDS) | st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
row = st.dictionaries(st.sampled_from(FIELDS), json_value, max_size=8) | json_value
document = st.dictionaries(st.sampled_from(SECTIONS), st.lists(row, max_size=4), max_size=5)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=document)
def test_import_never_crashes_and_reports_every_row(seeded_store: LocalGraphStore,
                                                    doc: dict[str, Any]) -> None:
    report = import_document(seeded_store, doc)
    for section in SECTIONS:
        rows = len(doc.get(section) or [])
        failed = sum(1 for e in report.errors if e.section == section)
        assert report.written[section] + failed == rows
    # Whatever was written is valid: every node still reads back as its typed model, and
    # the whole graph still exports.
    for label in ("Organisation", "Member", "Practice", "Community"):
        assert len(list(seeded_store.iter_nodes(label))) == seeded_store.count(label)
    export_document(seeded_store)
