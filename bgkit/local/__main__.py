"""``python -m bgkit.local``: run the local cloud in the foreground of this process."""

from __future__ import annotations

import argparse
import logging
import sys

from bgkit.errors import LocalCloudError
from bgkit.local.server import LocalCloud


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bgkit.local", description=__doc__)
    parser.add_argument("--port", type=int, default=4599)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--listener-offset", type=int, default=10000)
    parser.add_argument("--clock", type=float, default=1.0)
    parser.add_argument("--no-default-vpc", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        cloud = LocalCloud(
            args.state_dir,
            port=args.port,
            listener_offset=args.listener_offset,
            clock=args.clock,
            default_vpc=not args.no_default_vpc,
        )
        cloud.serve_forever()
    except LocalCloudError as error:
        print(f"bgkit local cloud: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
