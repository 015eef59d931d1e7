from ledger import format_percent


def test_percent_default_places():
    assert format_percent(0.5) == "50.0%"


def test_percent_places():
    assert format_percent(0.12344, places=2) == "12.34%"


def test_percent_zero_places():
    assert format_percent(1) == "100.0%"
    assert format_percent(0.333, places=0) == "33%"
