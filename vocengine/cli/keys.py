"""`vocengine keys create|list|revoke`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from vocengine.cli import _util


def cmd_keys(args: argparse.Namespace) -> int:
    from vocengine.usecases import keys

    runtime = _util.runtime()
    if args.keys_command == "create":
        try:
            key, record = keys.create_key(runtime, args.scope, name=args.name or "")
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(key)
        print(f"(key {record.prefix}, scopes {record.scopes}: shown once, only its hash is stored)", file=sys.stderr)
    elif args.keys_command == "list":
        for r in keys.list_keys(runtime):
            state = f"revoked {r.revoked_at:%Y-%m-%d}" if r.revoked_at else "active"
            print(f"{r.prefix}  {r.scopes:<24} {r.name:<30} {state}")
    else:
        try:
            keys.revoke_key(runtime, args.prefix)
        except LookupError as exc:
            print(f"error: {exc.args[0]}", file=sys.stderr)
            return 2
        print(f"revoked {args.prefix}")
    return 0


def add_parsers(sub: Any) -> None:
    keys = sub.add_parser("keys", help="API keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    create = keys_sub.add_parser("create", help="make a key and print it once")
    create.add_argument("--scope", action="append", required=True, help="ingest, read, label or admin; repeatable")
    create.add_argument("--name", default=None)
    keys_sub.add_parser("list", help="list keys (never their secrets)")
    revoke = keys_sub.add_parser("revoke", help="revoke a key by its prefix")
    revoke.add_argument("prefix")
    keys.set_defaults(func=cmd_keys)
