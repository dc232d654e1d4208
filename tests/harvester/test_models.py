from datetime import datetime

import pytest

from harvester.exceptions import InvalidPost
from harvester.models import Post, author_ref
from tests.factories import make_post


def test_post_is_frozen():
    post = make_post(1)
    with pytest.raises(AttributeError):
        post.text = "changed"


@pytest.mark.parametrize("field", ["created_at", "fetched_at"])
def test_naive_datetime_is_refused_naming_the_field(field):
    with pytest.raises(InvalidPost, match=f"{field} is a naive datetime"):
        make_post(1, **{field: datetime(2026, 1, 1)})


@pytest.mark.parametrize("value", ["", "   ", None])
def test_empty_external_id_is_refused(value):
    with pytest.raises(InvalidPost, match="external_id"):
        make_post(1, external_id=value)


def test_author_ref_is_a_keyed_hash_never_the_raw_id():
    ref = author_ref(b"secret", "1000123")
    assert ref is not None and "1000123" not in ref and len(ref) == 64
    assert ref == author_ref(b"secret", "1000123")
    assert ref != author_ref(b"other-secret", "1000123")
    assert author_ref(b"secret", None) is None


def test_post_type_is_exported():
    assert Post.__slots__


def test_by_publisher_defaults_to_false_and_must_be_a_bool():
    assert make_post(1).by_publisher is False
    assert make_post(2, by_publisher=True).by_publisher is True
    with pytest.raises(InvalidPost, match="by_publisher"):
        make_post(3, by_publisher="yes")
