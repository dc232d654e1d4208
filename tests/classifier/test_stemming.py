from __future__ import annotations

import classifier.stemming as stemming
from classifier.normalise import TextNormalizer
from classifier.stemming import SastrawiStemmer, sastrawi_stemmer


def test_cached_equals_uncached_on_real_sample(corpus_rows) -> None:
    texts = TextNormalizer().fit([]).transform([r["text"] for r in corpus_rows[:100]])
    cached = SastrawiStemmer(remove_stopwords=False).fit(texts).transform(texts)
    uncached = [sastrawi_stemmer().stem(t) for t in texts]
    assert cached == uncached


def test_each_distinct_word_stemmed_once(monkeypatch) -> None:
    calls: list[str] = []
    real = sastrawi_stemmer()

    class Counting:
        def stem_word(self, word: str) -> str:
            calls.append(word)
            return real.stem_word(word)

    monkeypatch.setattr(stemming, "_MEMO", {})
    monkeypatch.setattr(stemming, "sastrawi_stemmer", lambda: Counting())
    docs = ["perbaikan jalan berlubang", "jalan berlubang lagi perbaikan", "perbaikan"]
    out = SastrawiStemmer(remove_stopwords=False).fit(docs).transform(docs)
    assert sorted(calls) == sorted({"perbaikan", "jalan", "berlubang", "lagi"})
    assert out[0] == "baik jalan lubang"


def test_stopwords_removed_but_negation_kept() -> None:
    out = SastrawiStemmer().fit([]).transform(["yang jalan tidak diperbaiki sih"])
    assert out == ["jalan tidak baik"]


def test_training_vocabulary_stems_travel_with_the_model(monkeypatch) -> None:
    import pickle

    docs = ["perbaikan jalan berlubang"]
    fitted = pickle.loads(pickle.dumps(SastrawiStemmer(remove_stopwords=False).fit(docs)))
    monkeypatch.setattr(stemming, "_MEMO", {})

    def refuse():
        raise AssertionError("stemmer must not be needed for known words")

    monkeypatch.setattr(stemming, "sastrawi_stemmer", refuse)
    assert fitted.transform(docs) == ["baik jalan lubang"]
