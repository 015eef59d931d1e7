import pytest

from textkit import human_size, parse_size


def test_bytes_have_no_decimals():
    assert human_size(0) == "0 B"
    assert human_size(512) == "512 B"


def test_kib():
    assert human_size(1536) == "1.5 KiB"


def test_precision():
    assert human_size(1536, precision=2) == "1.50 KiB"


def test_negative_rejected():
    with pytest.raises(ValueError):
        human_size(-1)


def test_parse_size():
    assert parse_size("512") == 512
    assert parse_size("1.5 KiB") == 1536
    assert parse_size("10MB") == 10 * 1024**2


def test_parse_size_invalid():
    with pytest.raises(ValueError):
        parse_size("lots")
