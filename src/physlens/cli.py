"""`physlens` command: small utilities around the workflow (config checks, summary tables)."""

from __future__ import annotations

import sys


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    commands = {"config": "physlens.config", "summary": "physlens.summary"}
    if not argv or argv[0] not in commands:
        print("usage: physlens {config,summary} ...  (e.g. physlens config check FILE)")
        raise SystemExit(2)
    module = __import__(commands[argv[0]], fromlist=["main"])
    module.main(argv[1:])
