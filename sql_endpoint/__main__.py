"""`python -m sql_endpoint --port 15432 --cube-url http://127.0.0.1:4000/cubejs-api --accounts-url
http://127.0.0.1:4100`: the Postgres wire-protocol endpoint over the semantic layer."""

from __future__ import annotations

import argparse
import logging
import os

from outcomelens.core.warehouse import ensure_warehouse
from sql_endpoint.server import DEFAULT_HOST, DEFAULT_PORT, PORT_ENV, SqlEndpoint

ACCOUNTS_URL_ENV = "OUTCOMELENS_ACCOUNTS_URL"
DEFAULT_ACCOUNTS_URL = "http://127.0.0.1:4100"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sql_endpoint", description=__doc__)
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=int(os.environ.get(PORT_ENV, DEFAULT_PORT)))
    parser.add_argument(
        "--cube-url",
        default=os.environ.get("OUTCOMELENS_CUBE_URL", "http://127.0.0.1:4000/cubejs-api"),
        help="Cube's API root (…/cubejs-api)",
    )
    parser.add_argument(
        "--accounts-url",
        default=os.environ.get(ACCOUNTS_URL_ENV, DEFAULT_ACCOUNTS_URL),
        help="the accounts service, which checks every user's password",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # sqlglot warns for every SHOW it parses as a plain command: what the catalog path expects.
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    endpoint = SqlEndpoint(args.cube_url, args.accounts_url, ensure_warehouse(), host=args.host, port=args.port)
    print(f"SQL endpoint on {endpoint.host}:{endpoint.port} over {args.cube_url}", flush=True)
    endpoint.serve_forever()


if __name__ == "__main__":
    main()
