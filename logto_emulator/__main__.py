"""`python -m logto_emulator`: run the Logto emulator on loopback."""

from __future__ import annotations

import argparse
import sys

from werkzeug.serving import run_simple

from logto_emulator import SEEDS, build_emulator
from logto_emulator import defaults as dev_defaults


def parse_fault(text: str) -> tuple[str, dict]:
    """`ROUTE:status=503,every=3,latency=0.5,times=2,retry_after=1,after_work=1` ->
    (route, options)."""
    route, _, spec = text.partition(":")
    options: dict = {}
    for item in filter(None, spec.split(",")):
        key, _, value = item.partition("=")
        options[key] = float(value) if key == "latency" else int(value)
    return route or "*", options


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=dev_defaults.EMULATOR_HOST)
    parser.add_argument("--port", type=int, default=dev_defaults.EMULATOR_PORT)
    parser.add_argument("--seed", choices=sorted(SEEDS), default="demo")
    parser.add_argument(
        "--portal-url",
        action="append",
        dest="portal_urls",
        help="base URL of the portal (repeatable); registers its redirect URIs",
    )
    parser.add_argument("--signing-alg", choices=["ES384", "RS256"], default="ES384")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="ROUTE:key=value,...",
        help="inject a fault, e.g. 'users.organizations:status=503,every=2' or '*:latency=0.2'; "
        "with after_work=1 the call is made before the fault answers",
    )
    parser.add_argument(
        "--no-email-connector",
        action="store_true",
        help="behave like a tenant without an email connector (501 on every email Logto sends)",
    )
    parser.add_argument(
        "--sign-in-only",
        action="store_true",
        help="behave like a tenant with sign-in mode 'SignIn': no sign-up page (magic links "
        "from one-time tokens still create accounts)",
    )
    args = parser.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the emulator only listens on loopback")
    endpoint = f"http://{args.host}:{args.port}"
    portal_urls = args.portal_urls or ["http://127.0.0.1:8000", "http://localhost:8000"]
    emulator = build_emulator(
        endpoint,
        seed=args.seed,
        portal_urls=portal_urls,
        signing_alg=args.signing_alg,
        email_connector=not args.no_email_connector,
        sign_in_mode="SignIn" if args.sign_in_only else "SignInAndRegister",
    )
    for fault in args.fault:
        route, options = parse_fault(fault)
        emulator.set_fault(route, **options)
    print(f"Logto emulator at {endpoint} (seed: {args.seed})", file=sys.stderr, flush=True)
    run_simple(args.host, args.port, emulator, threaded=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
