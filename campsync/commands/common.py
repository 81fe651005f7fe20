"""Options and helpers shared by the commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from campsync.settings import Settings, load_settings

DEFAULT_PATH = "campaigns"


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="settings file (default: ./campsync.yaml if present)",
    )


def add_env_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env",
        metavar="NAME",
        help="the environment of campsync.yaml to use (or CAMPSYNC_ENV)",
    )


def add_remote_options(parser: argparse.ArgumentParser) -> None:
    """--config, --env, --host, --stream-id, --account-id, --parallelism."""
    add_config_option(parser)
    add_env_option(parser)
    parser.add_argument(
        "--host", help="platform URL (or KORE_HOST; default https://platform.kore.ai)"
    )
    parser.add_argument("--stream-id", help="the app's stream id st-... (or KORE_STREAM_ID)")
    parser.add_argument("--account-id", help="the account id (or KORE_ACCOUNT_ID)")
    parser.add_argument(
        "--parallelism",
        type=int,
        metavar="N",
        help="requests in flight at once (default 10), always inside CAMPSYNC_RATE_LIMIT",
    )


def add_refresh_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="read every campaign and file afresh, not from the local cache (which is rewritten)",
    )


def settings_from_args(args: argparse.Namespace) -> Settings:
    return load_settings(
        config_path=getattr(args, "config", None),
        host=getattr(args, "host", None),
        stream_id=getattr(args, "stream_id", None),
        account_id=getattr(args, "account_id", None),
        parallelism=getattr(args, "parallelism", None),
        environment=getattr(args, "env", None),
    )


def remote_settings(args: argparse.Namespace) -> Settings:
    """Settings for a command that talks to the platform; a one-line ConfigError if incomplete."""
    settings = settings_from_args(args)
    settings.require_remote()
    return settings


def print_warnings(warnings: Iterable[str]) -> None:
    for warning in warnings:
        print(f"campsync: warning: {warning}", file=sys.stderr)
