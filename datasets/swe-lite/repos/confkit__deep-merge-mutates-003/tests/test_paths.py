from confkit.paths import is_safe_relative, join_path, normalize_path


def test_dots_and_slashes():
    assert normalize_path("a//b/./c/../d/") == "a/b/d"


def test_absolute():
    assert normalize_path("/usr/local/../bin") == "/usr/bin"


def test_absolute_root_parent():
    assert normalize_path("/../etc") == "/etc"


def test_empty_and_dot():
    assert normalize_path("") == "."
    assert normalize_path("a/..") == "."


def test_join_path():
    assert join_path("conf", "app", "../db.ini") == "conf/db.ini"
    assert join_path("conf", "/etc/app.ini") == "/etc/app.ini"


def test_is_safe_relative():
    assert is_safe_relative("data/file.txt")
    assert not is_safe_relative("/etc/passwd")
