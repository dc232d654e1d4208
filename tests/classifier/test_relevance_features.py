"""The relevance head's own options: cue features, extra word n-grams, weights, recalibration."""

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


def _texts():
    texts = SHORT_COMPLAINTS * 4 + CHATTER * 4
    relevant = [True] * (len(SHORT_COMPLAINTS) * 4) + [False] * (len(CHATTER) * 4)
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


def test_complaint_share_weighs_other_complaints_down() -> None:
    texts, relevant = _texts()
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
