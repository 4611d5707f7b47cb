"""The application context: the stores, settings and read models one process shares.
Use cases receive it and call its methods."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from schakel.errors import NodeNotFoundError
from schakel.graph.bulk import settle_heap
from schakel.graph.erase import Erasure, erase_member
from schakel.graph.geo import Gazetteer
from schakel.graph.lookup import Lookup
from schakel.graph.privacy import Viewer
from schakel.graph.query import Filters
from schakel.graph.store import GraphStore
from schakel.matching.engine import Matcher, MatchQuery, MatchResult, Relevance
from schakel.matching.nearby import Nearby
from schakel.matching.ranker import Weights
from schakel.matching.reciprocal import Reciprocal

from .access import AccessStore
from .config import Settings
from .networks import KEPT_FILE, NetworkViews
from .read_models import ReadModels
from .state import open_matcher

T = TypeVar("T")


@dataclass
class AppState:
    """What one process shares: settings, the stores and the read models that follow them.

    Read models are caught up with the store's change feed (writes by this process or any
    other); see :mod:`.read_models`. Nothing here takes a lock that a reader waits on for
    longer than an incremental catch-up.
    """

    settings: Settings
    store: GraphStore
    gazetteer: Gazetteer
    access: AccessStore
    models: ReadModels = field(init=False, repr=False)
    network: NetworkViews = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.models = ReadModels(self.store, self.gazetteer,
                                 lambda: open_matcher(self.settings, self.gazetteer,
                                                         serving=True))
        self.network = NetworkViews(self.store, self.gazetteer, lambda: self.lookup,
                                    seed=self.settings.seed,
                                    keep=self.settings.data_dir / KEPT_FILE)

    def matcher(self) -> Matcher:
        """The matcher, caught up with the store (only changed texts are encoded)."""
        return self.models.matcher()

    def match(self, query: MatchQuery, weights: Weights | None = None) -> MatchResult:
        """Answer a question from the published indexes (no lock). While the indexes are
        still being built (a large network, first start) this waits at most a minute."""
        return self.models.matcher().match(query, weights)

    def relevance(self, text: str, ids: Collection[str]) -> Relevance:
        """Scores of the given members against a text (for nearby search)."""
        return self.models.matcher().relevance(text, ids)

    def nearby(self) -> Nearby:
        """The nearby-search read model, caught up with the store."""
        return self.models.nearby()

    def reciprocal(self) -> Reciprocal:
        """Voor jou's read model (who seeks and offers what), caught up with the store."""
        return self.models.reciprocal()

    def erase(self, member_id: str, who: str, how: str = "") -> Erasure:
        """Erase a member from the graph, the matcher's indexes, the embedding cache and
        the accounts; the audit log records ``who`` did it (by id, no name)."""
        if self.store.label_of(member_id) != "Member":
            raise NodeNotFoundError(member_id)
        self.models.forget([member_id])  # its index knows the member's cached vector
        erasure = erase_member(self.store, member_id)
        self.models.refresh()
        self.network.forget()  # the member leaves the kept network projection file now
        self.access.remove_member_accounts(member_id)
        self.access.audit(who, "gewist", member_id, ", ".join(x for x in (
            f"{erasure.questions} vragen, {erasure.introductions} introducties, "
            f"{erasure.signals} signalen, {erasure.recognitions} keer herkend", how) if x))
        return erasure

    def warm_up(self) -> None:
        """Build the matcher's indexes now rather than on the first question, then follow
        the change feed in the background; the whole network's metrics are computed
        after that (in their own thread and process): started together, the network's
        projection took the interpreter from the matcher's build and delayed the first
        answer by seconds at 100,000 members."""
        self.models.refresh()
        settle_heap()  # after the catalogue's build
        self.network.warm()
        self.models.follow()

    def close(self) -> None:
        self.network.close()
        self.models.close()

    @property
    def lookup(self) -> Lookup:
        """Names of themes, domains and organisations, as the store holds them now."""
        return self.models.current().lookup

    @property
    def filters(self) -> Filters:
        return Filters(self.store, self.lookup)

    def cached(self, key: str, compute: Callable[[], T],
               on: Iterable[str] | None = None) -> T:
        """``compute()`` once, kept until a write touches one of the labels or relationship
        types in ``on`` (any write when None)."""
        return self.models.cached(key, compute, on)

    def visible_members(self, viewer: Viewer = "member") -> dict[str, list[str]]:
        """Members ``viewer`` may see, with their roles."""
        return self.models.current().visibility.visible_members(viewer)

    def hidden_fields(self, field: str, viewer: Viewer) -> frozenset[str]:
        """Members ``viewer`` may see whose ``field`` they may not see."""
        return self.models.current().visibility.hidden_fields(field, viewer)

    def visible_member_ids(self, theme: str | None = None, region: str | None = None,
                           domain: str | None = None, role: str | None = None,
                           viewer: Viewer = "member") -> list[str]:
        """Ids of members matching the filters that ``viewer`` may see, sorted. A filter on
        themes never finds members who keep their themes private."""
        shown = self.visible_members(viewer)
        if theme or region or domain:
            ids = self.filters.ids("Member", theme=theme, region=region, domain=domain)
        else:
            ids = sorted(shown)
        hidden = self.hidden_fields("themes", viewer) if theme else frozenset()
        return [i for i in ids
                if i in shown and i not in hidden and (role is None or role in shown[i])]
