"""The relevance head's own options: character n-grams only, cue features, extra words, one
classifier or an ensemble, weights, recalibration."""

from __future__ import annotations

import numpy as np

from classifier.model import RELEVANCE, ComplaintModel
from classifier.normalise import normalise_text
from classifier.out_of_fold import platt_on
from classifier.relevance_features import CUES, RelevanceCues

from .test_relevance_data import CHATTER, SHORT_COMPLAINTS


def _cues(text: str) -> set[str]:
    pair = [(text, normalise_text(text))]
    row = RelevanceCues(weight=1.0).fit(pair).transform(pair).toarray()[0]
    return {CUES[i] for i in np.flatnonzero(row)}


def test_cues_of_posts() -> None:
    assert _cues("@pdam kapan air jalan lagi?") == {
        "question_mark",
        "question_word_first",
        "mention_1",
        "words_1_5",
    }
    assert _cues("RT @a: @b @c jalan rusak 3 bulan!! https://t.co/x1") == {
        "mention_3plus",
        "link",
        "retweet",
        "exclamation",
        "number",
        "words_1_5",
    }
    assert "number" not in _cues("lihat https://t.co/abc123")  # digits of a link do not count
    assert _cues("") == {"mention_0", "words_1_5"}


def _texts(times: int = 4):
    texts = SHORT_COMPLAINTS * times + CHATTER * times
    relevant = [True] * (len(SHORT_COMPLAINTS) * times) + [False] * (len(CHATTER) * times)
    return texts, relevant


def test_relevance_features_change_only_the_relevance_head() -> None:
    texts, relevant = _texts()
    plain = ComplaintModel(min_df=1).fit(texts, {}, relevant)
    extra = ComplaintModel(min_df=1, relevance_features="words+cues").fit(texts, {}, relevant)
    assert [k for k, _ in extra.relevance_extra_] == ["words", "cues"]
    p_plain = plain.predict_proba(CHATTER)[RELEVANCE]
    p_extra = extra.predict_proba(CHATTER)[RELEVANCE]
    assert p_plain.shape == p_extra.shape and not np.allclose(p_plain, p_extra)
    assert (p_extra < 0.5).all()


def test_chars_keeps_only_the_shared_character_ngrams() -> None:
    texts, relevant = _texts()
    model = ComplaintModel(min_df=1, relevance_features="chars").fit(texts, {}, relevant)
    union = model.features_.named_steps["union"]
    n_words = len(dict(union.transformer_list)["words"].named_steps["tfidf"].vocabulary_)
    X = model.features_.transform(CHATTER).tocsr()
    X_rel = model._relevance_X(X, CHATTER)
    assert model.relevance_shared_from_ == n_words
    assert X_rel.shape[1] == X.shape[1] - n_words
    assert (X_rel != X[:, n_words:]).nnz == 0
    with_words = ComplaintModel(min_df=1, relevance_features="chars+words+cues")
    with_words.fit(texts, {}, relevant)
    width = with_words._relevance_X(with_words.features_.transform(CHATTER).tocsr(), CHATTER).shape[
        1
    ]
    assert width == X.shape[1] - n_words + len(with_words.relevance_extra_[0][1].vocabulary_) + len(
        CUES
    )
    assert (with_words.predict_proba(CHATTER)[RELEVANCE] < 0.5).all()


def test_chars_without_char_ngrams_is_a_clear_error() -> None:
    import pytest

    texts, relevant = _texts()
    model = ComplaintModel(min_df=1, char_ngrams=None, relevance_features="chars")
    with pytest.raises(ValueError, match="needs char_ngrams"):
        model.fit(texts, {}, relevant)


def test_relevance_head_can_be_one_classifier_on_all_rows() -> None:
    texts, relevant = _texts()
    one = {RELEVANCE: {"ensemble": False}}
    single = ComplaintModel(min_df=1, head_params=one).fit(texts, {}, relevant)
    ensemble = ComplaintModel(min_df=1).fit(texts, {}, relevant)
    assert len(single.relevance_.calibrated_classifiers_) == 1
    assert len(ensemble.relevance_.calibrated_classifiers_) == 3
    assert (single.predict_proba(SHORT_COMPLAINTS)[RELEVANCE] > 0.5).mean() > 0.8


def test_complaint_share_weighs_other_complaints_down() -> None:
    texts, relevant = _texts(times=6)  # 36 in-domain posts of each kind
    letters = ["Dengan hormat, jalan di kampung kami rusak parah sejak tahun lalu"] * 3
    letters += ["Yth bapak, lampu jalan mati dan belum diperbaiki sampai sekarang"] * 3
    all_texts, rel = letters + texts, [True] * 6 + relevant
    domain = [False] * 6 + [True] * len(texts)
    model = ComplaintModel(min_df=1, complaint_share=0.5)
    w = model._relevance_weights(rel, domain, None)
    assert np.allclose(w[:6], 0.5 * len(texts) / 6) and np.allclose(w[6:], 1.0)
    assert ComplaintModel(min_df=1)._relevance_weights(rel, domain, None) is None
    letter = ["Dengan hormat Yth bapak, kampung kami sejak tahun lalu"]
    full = ComplaintModel(min_df=1).fit(all_texts, {}, rel, in_domain=domain)
    light = ComplaintModel(min_df=1, complaint_share=0.05).fit(all_texts, {}, rel, in_domain=domain)
    assert light.predict_proba(letter)[RELEVANCE][0] < full.predict_proba(letter)[RELEVANCE][0]


def test_platt_map_is_increasing_and_fits_a_shift() -> None:
    rng = np.random.default_rng(0)
    y = rng.random(400) < 0.5
    p = np.clip(np.where(y, 0.35, 0.15) + rng.normal(0, 0.05, 400), 0.01, 0.99)
    m = platt_on(p, y)
    out = m.predict(np.array([0.1, 0.2, 0.25, 0.3, 0.4]))
    assert np.all(np.diff(out) > 0)
    assert 0.3 < m.predict(np.array([0.25]))[0] < 0.7  # midway between the classes: about even


def test_complaint_share_waits_for_enough_posts_of_each_kind() -> None:
    """A few "Bukan aduan" labels (and no complaint posts) must not weigh every labelled
    complaint down to almost nothing: the head would then archive everything."""
    letters = ["Dengan hormat, jalan di kampung kami rusak parah sejak tahun lalu"] * 40
    chatter = CHATTER * 6
    rel = [True] * len(letters) + [False] * len(chatter)
    model = ComplaintModel(min_df=1, complaint_share=0.25)
    only_negatives = [False] * len(letters) + [True] * len(chatter)
    assert model._relevance_weights(rel, only_negatives, None) is None
    few_positives = [False] * 35 + [True] * 5 + [True] * len(chatter)
    assert model._relevance_weights(rel, few_positives, None) is None


def test_rows_marked_in_domain_reach_the_model_as_in_domain(monkeypatch) -> None:
    from classifier import train

    seen = {}
    original = ComplaintModel.fit

    def spy(self, texts, labels, relevant, **kwargs):
        seen["in_domain"], seen["texts"] = list(kwargs["in_domain"]), list(texts)
        return original(self, texts, labels, relevant, **kwargs)

    monkeypatch.setattr(ComplaintModel, "fit", spy)
    rows = [{"text": t, "agency": "pupr", train.IN_DOMAIN: True} for t in SHORT_COMPLAINTS * 3]
    rows += [{"text": t + " surat", "agency": "dlhk", train.IN_DOMAIN: "True"} for t in CHATTER]
    cleaned, _ = train.clean_labels(rows, ["agency"], "text")
    assert sum(r.get(train.IN_DOMAIN) is True for r in cleaned) == len(SHORT_COMPLAINTS)
    for r in cleaned:
        r["text_"] = r["text"]
    labels = {"agency": [r["agency"] for r in cleaned]}
    train._fit(cleaned, labels, [t + " ya" for t in CHATTER], {"min_df": 1}, 0, None)
    marks = dict(zip(seen["texts"], seen["in_domain"], strict=True))
    assert all(marks[t] for t in SHORT_COMPLAINTS)  # marked rows: in domain
    assert not any(marks[t + " surat"] for t in CHATTER)  # a CSV string "True" is not a mark
    assert not any(marks[t + " ya"] for t in CHATTER)  # plain negatives
