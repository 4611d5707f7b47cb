"""Cypher for the Neo4j adapter, as constants. Values always go in as ``$params``; labels and
relationship types come only from the model's whitelist, in backticks (see :func:`cypher`).

Every Schakel node carries ``:Node`` (the model's base label, unique ``id`` across all labels)
plus its own label, and a member also its roles (``:Expert``, ``:Ambassador``). One
``:SchakelMeta`` node holds the write counter that read caches key on. Portable openCypher
only: no APOC, no GDS, nothing that needs a particular server.
"""

from __future__ import annotations

from .model import NODE_MODELS, REL_SCHEMA, ROLES

__all__ = ["BASE", "META", "ROLE_LABELS", "cypher"]

BASE = "Node"
META = "SchakelMeta"
CHANGE = "SchakelChange"  # one per write: the change feed (no :Node, so no graph read sees it)
ROLE_LABELS: tuple[str, ...] = tuple(sorted(r.capitalize() for r in ROLES if r != "member"))
_LABELS = frozenset({BASE, META, CHANGE, *NODE_MODELS, *ROLE_LABELS})
_TYPES = frozenset(REL_SCHEMA)

# -- schema and the write counter ----------------------------------------------------------
CONSTRAINT = "CREATE CONSTRAINT `{name}` IF NOT EXISTS FOR (n:`{label}`) REQUIRE n.id IS UNIQUE"
META_INIT = ("MERGE (m:`SchakelMeta` {id: $id}) ON CREATE SET m.version = $start "
             "SET m.store_id = coalesce(m.store_id, $store_id) "
             "RETURN m.version AS version, m.store_id AS store_id")
META_BUMP = ("MERGE (m:`SchakelMeta` {id: $id}) ON CREATE SET m.version = $start "
             "SET m.version = m.version + 1 RETURN m.version AS version")
META_READ = ("MATCH (m:`SchakelMeta` {id: $id}) "
             "RETURN m.version AS version, m.feed_floor AS floor")

# -- the change feed -------------------------------------------------------------------------
CHANGE_INDEX = ("CREATE INDEX schakel_change_seq IF NOT EXISTS "
                "FOR (c:`SchakelChange`) ON (c.seq)")
CHANGE_CREATE = "CREATE (c:`SchakelChange` {id: $id, seq: $seq, payload: $payload})"
CHANGES_SINCE = ("MATCH (c:`SchakelChange`) WHERE c.seq > $seq "
                 "RETURN c.seq AS seq, c.payload AS payload ORDER BY seq")
CHANGES_PRUNE = ("MATCH (c:`SchakelChange`) WHERE c.seq <= $floor DELETE c "
                 "WITH count(*) AS n MATCH (m:`SchakelMeta` {id: $id}) "
                 "SET m.feed_floor = $floor RETURN n")

# -- writes ----------------------------------------------------------------------------------
NODES_UPDATE = ("UNWIND $rows AS row MATCH (n:`Node` {id: row.id}) SET n = row.props "
                "RETURN row.id AS id, labels(n) AS labels")
NODES_CREATE = "UNWIND $rows AS row CREATE (n:`Node`{labels}) SET n = row.props"
# One label statement per node and transaction: ArcadeDB refuses a second one.
LABELS_ADD = "UNWIND $ids AS id MATCH (n:`Node` {{id: id}}) SET n{labels}"
LABELS_REMOVE = "UNWIND $ids AS id MATCH (n:`Node` {{id: id}}) REMOVE n{labels}"
RELS_MERGE = ("UNWIND $rows AS row MATCH (a:`Node` {{id: row.s}}) MATCH (b:`Node` {{id: row.e}}) "
              "MERGE (a)-[r:`{type}`]->(b) SET r = row.p")
RELS_REPLACE = ("UNWIND $ids AS id MATCH (:`Node` {{id: id}})-[r:`{type}`]->(m:`Node`) "
                "WITH r, id AS start, m.id AS end DELETE r RETURN start, end")
RELS_DELETE = ("UNWIND $rows AS row MATCH (:`Node` {{id: row.s}})-[r:`{type}`]->"
               "(:`Node` {{id: row.e}}) DELETE r RETURN row.s AS s, row.e AS e")
# What a node deletion takes with it, read first for the change feed.
NODES_AND_RELS = ("UNWIND $ids AS id MATCH (n:`Node` {id: id}) "
                  "OPTIONAL MATCH (n)-[r]-(m:`Node`) "
                  "RETURN n.id AS id, labels(n) AS labels, type(r) AS type, "
                  "startNode(r).id AS start, endNode(r).id AS end")
NODES_DELETE = ("UNWIND $ids AS id MATCH (n:`Node` {id: id}) DETACH DELETE n "
                "RETURN count(*) AS n")

# -- reads -----------------------------------------------------------------------------------
LABELS_OF = "UNWIND $ids AS id MATCH (n:`Node` {id: id}) RETURN n.id AS id, labels(n) AS labels"
NODES_BY_ID = ("UNWIND $ids AS id MATCH (n:`Node` {id: id}) "
               "RETURN n.id AS id, labels(n) AS labels, properties(n) AS props")
LABEL_NODES = "MATCH (n:`{label}`) RETURN n.id AS id, properties(n) AS props"
LABEL_IDS = "MATCH (n:`{label}`) RETURN n.id AS id"
OUT_RELS = ("MATCH (:`Node` {id: $id})-[r]->(m:`Node`) "
            "RETURN type(r) AS type, m.id AS other, properties(r) AS props")
IN_RELS = ("MATCH (:`Node` {id: $id})<-[r]-(m:`Node`) "
           "RETURN type(r) AS type, m.id AS other, properties(r) AS props")
IN_RELS_OF_TYPE = ("MATCH (:`Node` {{id: $id}})<-[r:`{type}`]-(m:`Node`) "
                   "RETURN type(r) AS type, m.id AS other, properties(r) AS props")
RELS_OF_TYPE = ("MATCH (a:`Node`)-[r:`{type}`]->(b:`Node`) "
                "RETURN a.id AS start, b.id AS end, properties(r) AS props")
# The whole graph in the order the embedded store loads its file (ids are ASCII, so Cypher's
# string order is the same), so analyses of the two snapshots agree node for node.
ALL_NODES = ("MATCH (n:`Node`) RETURN n.id AS id, labels(n) AS labels, properties(n) AS props "
             "ORDER BY id")
ALL_RELS = ("MATCH (a:`Node`)-[r]->(b:`Node`) RETURN a.id AS start, type(r) AS type, "
            "b.id AS end, properties(r) AS props ORDER BY start, type, end")
COUNT_LABEL = "MATCH (n:`{label}`) RETURN count(n) AS n"
COUNT_RELS = "MATCH ()-[r]->() RETURN count(r) AS n"
COUNT_RELS_OF_TYPE = "MATCH ()-[r:`{type}`]->() RETURN count(r) AS n"


def cypher(template: str, *, labels: tuple[str, ...] = (), label: str | None = None,
           type: str | None = None, name: str | None = None) -> str:
    """Fill identifiers into a query template, refusing any not in the model's whitelist.

    >>> cypher(COUNT_LABEL, label="Member")
    'MATCH (n:`Member`) RETURN count(n) AS n'
    >>> cypher(COUNT_LABEL, label="Member`) DETACH DELETE (n")
    Traceback (most recent call last):
    ...
    ValueError: not a Schakel label: 'Member`) DETACH DELETE (n'
    """
    for lbl in (*labels, *([label] if label is not None else [])):
        if lbl not in _LABELS:
            raise ValueError(f"not a Schakel label: {lbl!r}")
    if type is not None and type not in _TYPES:
        raise ValueError(f"not a Schakel relationship type: {type!r}")
    if name is not None and not name.replace("_", "").isalnum():
        raise ValueError(f"not a constraint name: {name!r}")
    return template.format(labels="".join(f":`{lbl}`" for lbl in labels), label=label,
                           type=type, name=name)
