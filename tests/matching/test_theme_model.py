"""The theme model reads with plain arrays what scikit-learn fitted: the same n-grams, the
same probabilities, without importing scikit-learn to read."""

from __future__ import annotations

import numpy as np
import pytest

from schakel.matching import theme_model
from schakel.matching.theme_model import ThemeModel, char_wb_ngrams, fit_theme_model

# Words per theme (accents, compounds); a text is a handful of them and some shared words.
WORDS = {
    "thuiszitters": "leerling school verzuim thuiszitter leerplicht zorgen maanden klas "
                    "coördinator onderwijs",
    "laaggeletterdheid": "lezen schrijven taal taalcafé formulieren brieven begrijpen "
                         "alfabetisering",
    "armoede": "schulden geld rekeningen voedselbank minima toeslagen budget kosten",
    "digitaal": "computer internet digid telefoon app wachtwoord laptop één-op-één",
}
COMMON = "wij zoeken hulp bij de het een voor met in gemeente buurt".split()
AWKWARD = [
    "",
    "   ",
    "Coördinatie  van\tzorg — één   naïeve Öffnung",
    "a an de het x yz",
    "Ça VA? ja!!  x-y-z, (haakjes) 'quotes' 3,5%",
    "regel\n\nnieuwe\r\nregel\u00a0vast",
    "İstanbul ĲSSEL straße",
    "superlangesamenstellingzonderspaties",
]


def _labelled(themes: list[str], n: int = 60, dim: int = 16, seed: int = 3
              ) -> tuple[list[str], np.ndarray, list[list[str]]]:
    rng = np.random.default_rng(seed)
    centre = {t: rng.normal(size=dim) for t in themes}
    texts, vectors, labels = [], [], []
    for i in range(n):
        own = [themes[i % len(themes)]]
        if i % 5 == 0:  # some texts are about two themes
            own.append(themes[(i + 1) % len(themes)])
        words = [w for t in own for w in rng.choice(WORDS[t].split(), 4)]
        words += list(rng.choice(COMMON, 3))
        rng.shuffle(words)
        text = " ".join(words).capitalize() + "."
        v = sum(centre[t] for t in own) + rng.normal(scale=0.8, size=dim)
        texts.append(text)
        vectors.append(v / np.linalg.norm(v))
        labels.append(own)
    return texts, np.array(vectors, dtype=np.float32), labels


def _queries(dim: int) -> tuple[list[str], np.ndarray]:
    texts = ["Een leerling zit al maanden thuis", "Wie helpt met formulieren en brieven?",
             "qqqq zzzzz xwvk", *AWKWARD]
    rng = np.random.default_rng(11)
    v = rng.normal(size=(len(texts), dim))
    return texts, (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("text", AWKWARD)
@pytest.mark.parametrize("ngram_range", [(3, 5), (1, 2), (2, 4)])
def test_char_wb_ngrams_are_scikit_learns(text: str, ngram_range: tuple[int, int]) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=ngram_range).build_analyzer()
    assert char_wb_ngrams(text, ngram_range) == analyzer(text)


@pytest.mark.parametrize(("themes", "max_ngrams"), [
    (["armoede", "digitaal", "laaggeletterdheid", "thuiszitters"], 20000),
    (["armoede", "thuiszitters"], 20000),  # two themes: one row of coefficients
    (["armoede", "digitaal", "thuiszitters"], 0),  # the sentence vectors alone
])
def test_arrays_predict_what_scikit_learn_predicts(themes: list[str], max_ngrams: int) -> None:
    texts, vectors, labels = _labelled(themes)
    fitted = theme_model._fit_parts(texts, vectors, labels, 0, max_ngrams, 1.0)  # noqa: SLF001
    assert fitted is not None
    model = theme_model._as_arrays(*fitted)  # noqa: SLF001
    _, ngrams, classifier = fitted
    assert model.themes == themes and model.coef.shape[0] == (1 if len(themes) == 2
                                                                 else len(themes))
    assert bool(model.vocabulary) == bool(max_ngrams)
    queries, qvectors = _queries(vectors.shape[1])
    texts_all = [*texts, *queries]
    vectors_all = np.vstack([vectors, qvectors])
    expected = classifier.predict_proba(
        theme_model._sklearn_features(ngrams, texts_all, vectors_all))  # noqa: SLF001
    got = np.vstack([model.predict_one(t, v) for t, v in zip(texts_all, vectors_all,
                                                              strict=True)])
    assert np.abs(got - expected).max() < 1e-5
    assert np.abs(model.predict(texts_all, vectors_all) - expected).max() < 1e-5
    assert got.sum(axis=1) == pytest.approx(1.0)
    # it learned something: each theme's own texts mostly read as that theme
    right = [model.themes[int(np.argmax(p))] in ls
             for p, ls in zip(got[:len(texts)], labels, strict=True)]
    assert np.mean(right) > 0.8


def test_a_text_of_unknown_ngrams_still_gets_a_distribution() -> None:
    themes = ["armoede", "digitaal", "thuiszitters"]
    texts, vectors, labels = _labelled(themes)
    model = fit_theme_model(texts, vectors, labels)
    assert isinstance(model, ThemeModel) and model.vocabulary
    v = vectors[0]
    for text in ("qqqq zzzzz xwvk", ""):
        assert not set(char_wb_ngrams(text)) & set(model.vocabulary)
        p = model.predict_one(text, v)
        assert p.shape == (3,) and np.isfinite(p).all() and p.sum() == pytest.approx(1.0)
    # without n-grams the vector decides: the first text's vector reads as its theme
    assert model.themes[int(np.argmax(model.predict_one("qqqq", v)))] in labels[0]


def test_the_text_part_read_first_gives_the_same_distribution() -> None:
    """A new question's words are read while its vector is made (Matcher.match): the
    distribution from that part must be the one read all at once, and the vector must
    still count."""
    themes = ["armoede", "digitaal", "thuiszitters"]
    texts, vectors, labels = _labelled(themes)
    model = fit_theme_model(texts, vectors, labels)
    assert model is not None
    for text, v in zip(texts[:10], vectors[:10], strict=True):
        part = model.text_part(text)
        assert part.shape == (len(model.coef),)
        np.testing.assert_allclose(model.predict_one(text, v, part),
                                   model.predict_one(text, v), rtol=1e-12, atol=1e-15)
    other = model.predict_one(texts[0], vectors[-1], model.text_part(texts[0]))
    assert not np.allclose(other, model.predict_one(texts[0], vectors[0]))


def test_fit_theme_model_is_plain_arrays() -> None:
    texts, vectors, labels = _labelled(["armoede", "digitaal", "thuiszitters"])
    model = fit_theme_model(texts, vectors, labels, max_ngrams=300)
    assert model is not None
    assert model.coef.dtype == np.float64 and model.idf.dtype == np.float32
    assert model.coef.shape == (3, vectors.shape[1] + len(model.idf))
    assert len(model.vocabulary) == len(model.idf) <= 300
    assert sorted(model.vocabulary.values()) == list(range(len(model.idf)))
    assert all(type(j) is int for j in model.vocabulary.values())


def test_too_little_to_learn_gives_no_model() -> None:
    texts, vectors, labels = _labelled(["armoede", "digitaal"], n=theme_model.MIN_ROWS - 1)
    assert fit_theme_model(texts, vectors, labels) is None
    texts, vectors, labels = _labelled(["armoede", "digitaal"])
    one = [["armoede"] for _ in labels]  # a single theme: nothing to tell apart
    assert fit_theme_model(texts, vectors, one) is None
