"""Near-duplicate grouping: TF-IDF cosine of character 3-5-grams (robust to rewording and typos in
short texts) between posts close in time; a post joins its most similar earlier post's group."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"[@#]\w+")
_SPACE = re.compile(r"\s+")
CHUNK = 500
COMMON_NGRAM_SHARE = 0.25
COMMON_NGRAM_MIN_TEXTS = 200


def _clean(text: str) -> str:
    text = _MENTION.sub(" ", _URL.sub(" ", text.casefold()))
    return _SPACE.sub(" ", text).strip()


@dataclass(frozen=True)
class Candidate:
    """Something a new post may duplicate: a post already in a case, with its time."""

    text: str
    created_at: datetime
    case_id: int


@dataclass
class Group:
    """New posts (indices into the batch) that are one complaint; joined to a case if any."""

    members: list[int]
    case_id: int | None = None


def group_duplicates(
    texts: Sequence[str],
    times: Sequence[datetime],
    *,
    threshold: float,
    window: timedelta,
    candidates: Sequence[Candidate] = (),
) -> list[Group]:
    """Group ``texts`` (sorted by time) into near-duplicate groups, greedily in time order.

    A text joins the group of its most similar earlier text (or candidate) whose cosine is at
    least ``threshold`` and whose time is within ``window``; otherwise it starts a group.
    """
    n = len(texts)
    if n == 0:
        return []
    e = len(candidates)
    best = _best_earlier_match(
        [c.text for c in candidates] + list(texts),
        [c.created_at for c in candidates] + list(times),
        e,
        threshold,
        window,
    )
    group_of: list[int] = []  # index into groups, per new text
    groups: list[Group] = []
    by_case: dict[int, int] = {}
    for k in range(n):
        j = best[k]
        if j < 0:
            groups.append(Group(members=[k]))
            group_of.append(len(groups) - 1)
        elif j < e:
            case_id = candidates[j].case_id
            if case_id not in by_case:
                groups.append(Group(members=[], case_id=case_id))
                by_case[case_id] = len(groups) - 1
            groups[by_case[case_id]].members.append(k)
            group_of.append(by_case[case_id])
        else:
            g = group_of[j - e]
            groups[g].members.append(k)
            group_of.append(g)
    return groups


def _best_earlier_match(
    texts: list[str], times: list[datetime], offset: int, threshold: float, window: timedelta
) -> np.ndarray:
    """For each text at index >= offset: the index of its most similar text among the ones before
    it (every candidate below ``offset`` counts as before) within ``window``, or -1.

    Vectorised per chunk of rows: near-duplicate-heavy batches make the similarity dense.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    total = len(texts)
    best = np.full(total - offset, -1, dtype=np.int64)
    cleaned = [_clean(t) for t in texts]
    # In big batches, n-grams found in over a quarter of the texts ("jalan", " di ") carry
    # almost no weight but make the similarity matrix dense (slow): leave them out.
    max_df = COMMON_NGRAM_SHARE if total >= COMMON_NGRAM_MIN_TEXTS else 1.0
    try:
        matrix = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(3, 5),
            sublinear_tf=True,
            dtype=np.float32,
            max_df=max_df,
        ).fit_transform(cleaned)
    except ValueError:  # no text has a 3-gram (only emoji or empty): nothing is similar
        return best
    seconds = np.array([t.timestamp() for t in times], dtype=np.float64)
    limit = window.total_seconds()
    columns = np.arange(total)
    for start in range(offset, total, CHUNK):
        stop = min(start + CHUNK, total)
        sims = (matrix[start:stop] @ matrix[:stop].T).toarray()
        rows = np.arange(start, stop)[:, None]
        usable = (
            (columns[None, :stop] < rows)
            & (sims >= threshold - 1e-6)
            & (np.abs(seconds[None, :stop] - seconds[start:stop, None]) <= limit)
        )
        sims = np.where(usable, sims, -1.0)
        choice = sims.argmax(axis=1)
        found = sims[np.arange(stop - start), choice] >= 0
        best[start - offset : stop - offset] = np.where(found, choice, -1)
    return best
