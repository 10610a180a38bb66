"""`python -m dashboard --port 8050 --cube-url http://127.0.0.1:4000/cubejs-api`"""

from __future__ import annotations

import argparse
import logging
import os

import waitress

from dashboard import serving
from dashboard.accounts_api import DEFAULT_URL as ACCOUNTS_URL
from dashboard.app import create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("OUTCOMELENS_DASHBOARD_PORT", 8050)))
    parser.add_argument("--cube-url", default=os.environ.get("OUTCOMELENS_CUBE_URL",
                                                             "http://127.0.0.1:4000/cubejs-api"),
                        help="Cube's API root (…/cubejs-api)")
    parser.add_argument("--accounts-url", default=os.environ.get("OUTCOMELENS_ACCOUNTS_URL", ACCOUNTS_URL),
                        help="the accounts API (sign-in, admin pages, engagement)")
    parser.add_argument("--cache-ttl", type=float, default=15.0,
                        help="seconds a Cube answer is reused for the same token and query (0: never)")
    parser.add_argument("--chromium", default=os.environ.get("OUTCOMELENS_CHROMIUM"),
                        help="the chromium that renders PDF reports (default: /usr/bin/chromium or PATH)")
    parser.add_argument("--threads", type=int, default=16,
                        help="requests served at once (the PDF renderer's page loads while its request waits)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(args.cube_url, accounts_url=args.accounts_url, cache_ttl_s=args.cache_ttl, chromium=args.chromium)
    serving.register(app.server)
    # A production WSGI server (waitress: a pool of threads, keep-alive, no per-connection thread).
    # One process on purpose: sessions live in this process's memory (session.py), and an access
    # token's refresh must happen once, under one lock. Several threads: a page's callbacks come in
    # parallel, and the PDF renderer loads the page from this same server while its request waits.
    waitress.serve(app.server, host=args.host, port=args.port, threads=args.threads, ident="outcomelens-dashboard")


if __name__ == "__main__":
    main()
