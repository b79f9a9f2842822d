"""The admin login that load_demo creates is kept beside the database it was loaded into."""

from tests.databases import run_portal


def test_load_demo_keeps_the_admin_password_beside_the_database_it_was_given(sqlite_copy, tmp_path):
    url, database = sqlite_copy
    var_dir = tmp_path / "var"
    script = "import sys, django; django.setup(); from portal.demo.loader import ensure_admin; ensure_admin(sys.stdout)"
    first = run_portal(url, var_dir, "-c", script).stdout.decode()
    password_file = database.with_name("portal.sqlite3-admin-password.txt")
    password = password_file.read_text(encoding="utf-8").strip()
    assert f"密码：{password}" in first
    assert password_file.stat().st_mode & 0o777 == 0o600
    assert not var_dir.exists()  # nothing written into the var directory of another database
    again = run_portal(url, var_dir, "-c", script).stdout.decode()
    assert f"密码：{password}" in again  # a second run shows the same login, creates nothing
