import pytest

from outcomelens.core.warehouse import Warehouse, WarehouseError


def test_url_with_socket_directory_round_trips_through_dlt_form():
    wh = Warehouse(host="/data/pg", port=5432, user="postgres", password="", database="outcomelens")
    assert wh.dlt_credentials() == "postgresql://postgres:outcomelens@%2Fdata%2Fpg:5432/outcomelens"
    back = Warehouse.from_url(wh.dlt_credentials())
    assert (back.host, back.port, back.database, back.user) == ("/data/pg", 5432, "outcomelens", "postgres")


def test_libpq_style_host_query_parameter():
    wh = Warehouse.from_url("postgresql://postgres:@/postgres?host=/tmp/pg&port=5433")
    assert (wh.host, wh.port, wh.database) == ("/tmp/pg", 5433, "postgres") and wh.is_socket
    assert Warehouse.from_url(wh.url()) == wh


def test_password_hidden_in_display_url():
    wh = Warehouse.from_url("postgresql://app:s3cr%40t@db.example.com:6543/analytics")
    assert wh.password == "s3cr@t"
    assert "s3cr" not in wh.url() and "***" in wh.url()
    assert wh.env()["OUTCOMELENS_PG_PORT"] == "6543"


def test_bad_scheme_names_the_variable():
    with pytest.raises(WarehouseError, match="OUTCOMELENS_WAREHOUSE_URL"):
        Warehouse.from_url("mysql://root@localhost/db")
