"""`campsync emulator`: the local Kore.ai campaign platform, for demos and pipeline tests."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from campsync.emulator.config import EmulatorConfig

DEFAULT_PORT = 8089


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "emulator",
        help="serve the Kore.ai campaign API locally (for demos and pipeline tests)",
        description=(
            "Serve the Kore.ai campaign API on 127.0.0.1 with the platform's documented rules. "
            "Credentials and ids come from KORE_CLIENT_ID, KORE_CLIENT_SECRET, KORE_STREAM_ID "
            "and KORE_ACCOUNT_ID, each with a demo default when unset."
        ),
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = any)"
    )
    parser.add_argument("--state", type=Path, metavar="FILE", help="keep state in FILE")
    parser.add_argument(
        "--seed",
        type=Path,
        metavar="FILE",
        help="YAML/JSON campaigns (and contact lists, queues) to start with; checked as the "
        "API checks a create",
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=60,
        metavar="N",
        help="requests per minute per account (default 60; 0 = unlimited)",
    )
    parser.add_argument(
        "--latency-ms", type=float, default=0, metavar="MS", help="delay before each answer"
    )
    parser.add_argument(
        "--fail-rate",
        type=float,
        default=0,
        metavar="P",
        help="share of requests answered with a random 5xx (0..1)",
    )
    parser.add_argument(
        "--drop-rate",
        type=float,
        default=0,
        metavar="P",
        help="share of requests whose connection is closed unanswered (0..1)",
    )
    parser.add_argument(
        "--lost-write-rate",
        type=float,
        default=0,
        metavar="P",
        help="share of writes applied but left unanswered (0..1)",
    )
    parser.add_argument(
        "--ready-after",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="how long a new campaign stays Preparing (default 2)",
    )
    parser.add_argument(
        "--retry-after-header",
        action="store_true",
        help="send Retry-After with 429 (the platform does not document it)",
    )
    parser.add_argument(
        "--body-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long a request body may take to arrive in full (default 30; then 408)",
    )
    parser.add_argument(
        "--queues-forbidden",
        action="store_true",
        help="answer the queues call with 403, as for an app without the Configuration scope",
    )
    parser.add_argument(
        "--random-seed",
        type=int,
        metavar="N",
        help="seed for the fault options, for repeatable runs",
    )
    parser.set_defaults(run=run)


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    """The settings of the command line; checked when the emulator is created."""
    # The emulator (its aiohttp server, its rules) is imported only by this command: the
    # client's commands start without it.
    from campsync.emulator.config import EmulatorConfig

    return EmulatorConfig.from_env(
        rate_limit=args.rate_limit,
        latency_ms=args.latency_ms,
        fail_rate=args.fail_rate,
        drop_rate=args.drop_rate,
        lost_write_rate=args.lost_write_rate,
        ready_after=args.ready_after,
        retry_after_header=args.retry_after_header,
        state_file=args.state,
        seed_file=args.seed,
        random_seed=args.random_seed,
        body_timeout=args.body_timeout,
        queues_forbidden=args.queues_forbidden,
    )


def run(args: argparse.Namespace) -> int:
    from campsync.emulator.runner import serve

    config = config_from_args(args)

    def on_listening(url: str) -> None:
        # Never the client secret: only what a client needs to find the emulator.
        print(f"campsync emulator listening on {url}", flush=True)
        print(f"  stream id:  {config.stream_id}", flush=True)
        print(f"  account id: {config.account_id}", flush=True)
        print(f"  client id:  {config.client_id}", flush=True)

    asyncio.run(serve(config, args.port, on_listening))
    print("campsync emulator stopped", file=sys.stderr, flush=True)
    return 0
