"""Learning from outcomes: once enough introductions have an outcome, a logistic regression
over the matcher's raw signals (``Suggestion.features``) re-weights the ranker. Before that,
and whenever the log cannot say anything, callers keep the hand-set :class:`Weights`.

The ranker orders candidates by ``weights . features``; a logistic model says an introduction
is accepted with probability ``sigmoid(b + coef . features)``, which rises with ``coef .
features``. So ranking by the fitted coefficients puts the likeliest acceptances first, and the
coefficients only need to be made non-negative and brought to the hand-set scale.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from schakel.errors import OutcomeDataError

from .ranker import SIGNALS, Weights

__all__ = ["MIN_OUTCOMES", "PRIOR_OUTCOMES", "LearnedWeights", "learn", "fit_weights"]

# Seven coefficients and an intercept: below about four outcomes per coefficient a logistic fit
# mostly follows noise. From 30 on it starts to say something, and the blend below keeps such a
# small log at a quarter of the weights (30 / (30 + 100)), so a few odd outcomes cannot turn
# the ranking over.
MIN_OUTCOMES = 30
# The hand-set weights count as this many outcomes' worth of evidence: the learned weights get
# the share n / (n + PRIOR_OUTCOMES). A fit on a few dozen outcomes is noisy (and only sees
# the candidates the ranker already put on top); hundreds of outcomes should mostly win.
PRIOR_OUTCOMES = 100
# Mild L2 regularisation: signals are 0..1, so C=1 barely shrinks real effects but keeps
# coefficients finite when a signal separates the outcomes almost perfectly.
_C = 1.0


@dataclass(frozen=True)
class LearnedWeights:
    """What a fit on an outcome log gave, for the ranker and for display."""

    weights: Weights
    """The weights to rank with: hand-set and fitted blended; the same total as the base."""
    coefficients: dict[str, float]
    """The logistic regression's coefficient per signal (log-odds per unit of signal);
    0 for a signal dropped as negative or that never varied in the log."""
    fitted: tuple[str, ...]
    """The signals that varied in the log; the others keep their hand-set weight."""
    outcomes: int
    accepted: int
    share: float
    """The learned part of the blend, n / (n + PRIOR_OUTCOMES)."""

    @property
    def acceptance(self) -> float:
        return self.accepted / self.outcomes if self.outcomes else 0.0


def _matrix(rows: Sequence[tuple[Mapping[str, float], bool]]) -> tuple[np.ndarray, np.ndarray]:
    """Rows as a features matrix (columns in SIGNALS order; a missing signal counts 0, as in
    the ranker) and an outcome vector."""
    column = {s: j for j, s in enumerate(SIGNALS)}
    x = np.zeros((len(rows), len(SIGNALS)), dtype=np.float64)
    y = np.zeros(len(rows), dtype=bool)
    for i, row in enumerate(rows):
        try:
            features, outcome = row
        except (TypeError, ValueError) as e:
            raise OutcomeDataError("rows", f"uitkomst {i}: verwacht (signalen, uitkomst)") from e
        if not isinstance(features, Mapping):
            raise OutcomeDataError("features", f"uitkomst {i}: signalen moeten een mapping zijn")
        for name, value in features.items():
            if name not in column:
                raise OutcomeDataError("features", f"uitkomst {i}: onbekend signaal {name!r}; "
                                       f"kies uit {', '.join(SIGNALS)}")
            try:
                v = float(value)
            except (TypeError, ValueError) as e:
                raise OutcomeDataError("features", f"uitkomst {i}: {name} is geen getal") from e
            if not math.isfinite(v):
                raise OutcomeDataError("features", f"uitkomst {i}: {name} is geen eindig getal")
            x[i, column[name]] = v
        if not isinstance(outcome, bool | np.bool_) and outcome not in (0, 1):
            raise OutcomeDataError("accepted", f"uitkomst {i}: uitkomst moet waar of onwaar zijn")
        y[i] = bool(outcome)
    return x, y


def _nonnegative_fit(x: np.ndarray, y: np.ndarray, active: list[int]) -> np.ndarray:
    """Logistic coefficients, refitted without the signals that came out negative until none
    is: a negative weight would rank people down for fitting the question, and the ranker's
    weights (and reasons) are non-negative. Refitting, rather than clipping, lets the other
    coefficients take over what a dropped signal explained."""
    from sklearn.linear_model import LogisticRegression  # a second to import; only fits need it

    coef = np.zeros(x.shape[1])
    while active:
        model = LogisticRegression(C=_C, max_iter=1000).fit(x[:, active], y)
        c = model.coef_[0]
        if (c > 0).all():
            coef[active] = c
            break
        active = [j for j, v in zip(active, c, strict=True) if v > 0]
    return coef


def learn(rows: Sequence[tuple[Mapping[str, float], bool]], base: Weights) -> LearnedWeights | None:
    """Fit ranker weights on an outcome log.

    Parameters
    ----------
    rows : (features, accepted) per introduction; features maps signal names (SIGNALS) to their
        raw 0..1 values as the matcher gave them (``Suggestion.features``).
    base : the hand-set weights; the learned ones keep their total and their diversity penalty.

    Returns
    -------
    None when the log cannot teach anything yet: fewer than MIN_OUTCOMES rows, only one kind of
    outcome, or no signal that raises acceptance. Callers then keep ``base``.

    Raises
    ------
    OutcomeDataError : an unknown signal name, a value that is not a finite number, or an
        outcome that is not true/false.
    """
    x, y = _matrix(rows)
    n, accepted = len(y), int(y.sum())
    if n < MIN_OUTCOMES or accepted in (0, n):
        return None
    # A signal that never varied (no place was asked, say) carries no evidence either way:
    # it keeps its hand-set weight instead of losing it.
    varied = [j for j in range(len(SIGNALS)) if np.ptp(x[:, j]) > 1e-9]
    coef = _nonnegative_fit(x, y, varied)
    if coef.sum() <= 0:
        return None
    hand = np.array([getattr(base, s) for s in SIGNALS])
    # The fitted signals share what the base gives them together: the total stays that of the
    # hand-set weights, so the diversity penalty keeps its meaning against the scores.
    fitted = hand.copy()
    fitted[varied] = coef[varied] / coef[varied].sum() * hand[varied].sum()
    share = n / (n + PRIOR_OUTCOMES)
    blend = share * fitted + (1 - share) * hand
    weights = base.model_copy(update={s: round(float(v), 4) for s, v in
                                      zip(SIGNALS, blend, strict=True)})
    return LearnedWeights(weights, {s: round(float(c), 4) for s, c in
                                    zip(SIGNALS, coef, strict=True)},
                          tuple(SIGNALS[j] for j in varied), n, accepted, round(share, 4))


def fit_weights(rows: Sequence[tuple[Mapping[str, float], bool]],
                base: Weights) -> Weights | None:
    """The weights :func:`learn` gives, or None (keep the hand-set ones)."""
    learned = learn(rows, base)
    return learned.weights if learned is not None else None
