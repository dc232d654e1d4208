"""One meaning per number on a card: the chosen label's chance is the highest shown, the others
are in the same unit and in falling order, and a legend says what the number means."""

from __future__ import annotations

import re

from sqlalchemy import select

from cases.triage import triage_pending
from classifier.chances import LEGEND, by_chance, shown
from config.profile import get_profile
from store.pipeline import save_classifications
from store.repository import upsert_posts
from store.tables import Case, PostRow
from tests.factories import make_post
from tests.review.conftest import add_user, login

# Demo case #81 as the model ranked it: Dinkes first (prior correction), yet Polresta and Dishub
# are likelier (chances in one unit, as Bundle.predict now gives them).
CASE_81 = {
    "agency": [["dinkes", 0.07], ["polresta", 0.15], ["dishub", 0.14]],
    "topic": [["kesehatan_masyarakat", 0.10], ["keamanan", 0.32], ["transportasi_parkir", 0.2]],
}
PERCENT = re.compile(r'<span class="(conf|alt)">[^<]*?(\d+)%</span>')


def test_by_chance_orders_highest_first_and_keeps_the_models_order_on_ties():
    assert by_chance("a", 0.2, [["a", 0.2], ["b", 0.5], ["c", 0.2]]) == [
        ("b", 0.5),
        ("a", 0.2),
        ("c", 0.2),
    ]
    assert by_chance("a", 0.9, []) == [("a", 0.9)]
    assert shown("a", 0.2, [["a", 0.2], ["b", 0.5]]) == (0.2, [("b", 0.5)])


def _store_81(factory) -> int:
    with factory.begin() as session:
        upsert_posts(session=session, posts=[make_post(81, text="Parkir liar di depan RSUD")])
        post_id = session.scalar(select(PostRow.id))
        save_classifications(
            session=session,
            model_version="m",
            rows=[
                {
                    "post_id": post_id,
                    "relevance": 0.9,
                    "agency": "dinkes",
                    "agency_confidence": 0.07,
                    "topic": "kesehatan_masyarakat",
                    "topic_confidence": 0.10,
                    "alternatives": CASE_81,
                }
            ],
        )
    return post_id


def test_triage_offers_the_likeliest_label_with_its_chance(session_factory):
    post_id = _store_81(session_factory)
    triage_pending(factory=session_factory, profile=get_profile())
    with session_factory() as session:
        case = session.get(Case, session.get(PostRow, post_id).case_id)
    assert (case.agency, case.agency_confidence) == ("polresta", 0.15)
    assert (case.topic, case.topic_confidence) == ("keamanan", 0.32)


def test_the_cards_numbers_are_ordered_in_one_unit_with_a_legend(session_factory, client):
    add_user(session_factory, "ana", "facilitator")
    _store_81(session_factory)
    triage_pending(factory=session_factory, profile=get_profile())
    login(client, "ana")
    for page in (client.get("/"), client.get("/cases/1")):
        tags = page.text[page.text.index('<dl class="tags">') :]
        tags = tags[: tags.index("</dl>")]
        agency, topic = tags.split("<dt>Topik</dt>")
        numbers = [
            [(kind, int(n)) for kind, n in PERCENT.findall(part)] for part in (agency, topic)
        ]
        assert numbers == [
            [("conf", 15), ("alt", 14), ("alt", 7)],
            [("conf", 32), ("alt", 20), ("alt", 10)],
        ]
        polresta = get_profile().agency("polresta")
        assert f'<strong class="agency">{polresta.short or polresta.name}</strong>' in agency
        assert LEGEND in page.text
