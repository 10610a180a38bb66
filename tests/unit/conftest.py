import psycopg2
import pytest

from ingestion.demo.generate import generate
from ingestion.demo.truth import daily_parts
from outcomelens.core.warehouse import Warehouse

# Large enough that a day of checkout_help (18 % of traffic) has ~1,000 conversations: the planted
# ×0.60 drop is then several standard errors deep on a single day (docs in analytics/README.md).
BIG_DEMO_SIZE = 1_000_000
BIG_DEMO_SEED = 11


@pytest.fixture(scope="session")
def big_demo(tmp_path_factory):
    """(landing dir, truth, daily parts) of a 1M-conversation demo; the parts are the generator's truth."""
    out = tmp_path_factory.mktemp("big_demo")
    truth = generate(out, conversations=BIG_DEMO_SIZE, seed=BIG_DEMO_SEED)
    return out, truth, daily_parts(out)


@pytest.fixture
def local_postgres() -> Warehouse:
    """The machine's Postgres at 127.0.0.1:5432 (trust auth); the test is skipped without one."""
    wh = Warehouse(host="127.0.0.1", port=5432, user="postgres", password="", database="postgres")
    try:
        wh.connect().close()
    except psycopg2.OperationalError:
        pytest.skip("no local Postgres at 127.0.0.1:5432")
    return wh
