"""``python -m actions.flows generate`` (or ``--check``): write, or check, the generated Rasa files."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable

from actions.flows.generate import COMMAND, stale_files, write_files


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m actions.flows", description=__doc__)
    parser.add_argument("command", nargs="?", choices=("generate", "check"), default="generate")
    parser.add_argument("--check", action="store_true", help="fail (exit 1) when a generated file is stale")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.check or args.command == "check":
        stale = stale_files()
        for path, diff in stale.items():
            print(f"{path} is stale: run `{COMMAND}` (or `make flows`).\n{diff}", file=sys.stderr)
        return 1 if stale else 0
    for path in write_files():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
