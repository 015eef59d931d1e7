import pytest

from pagekit import PageOutOfRange, paginate

ITEMS = list(range(1, 21))


def test_first_page():
    page = paginate(ITEMS, 1, 10)
    assert page.items == list(range(1, 11))
    assert page.has_next and not page.has_prev


def test_last_full_page():
    page = paginate(ITEMS, 2, 10)
    assert page.items == list(range(11, 21))
    assert not page.has_next
    assert page.total_pages == 2


def test_empty_collection_has_one_page():
    page = paginate([], 1, 10)
    assert page.items == [] and page.total_pages == 1


def test_out_of_range():
    with pytest.raises(PageOutOfRange):
        paginate(ITEMS, 3, 10)
    with pytest.raises(PageOutOfRange):
        paginate(ITEMS, 0, 10)


def test_to_dict():
    assert paginate(ITEMS, 1, 5).to_dict()["total_pages"] == 4
