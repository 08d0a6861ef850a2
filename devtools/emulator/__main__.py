"""The local emulator on its own, for following the README's AWS CLI steps against it.

    python -m devtools.emulator [--port 5000]

Starts moto with devtools.emulator.moto_adapter (Fn::GetStackOutput and the models moto lacks) on
127.0.0.1 and prints the environment to point the AWS CLI at it; Ctrl-C stops it (state is in memory).
"""

from __future__ import annotations

import argparse
import sys
import threading

from devtools.emulator.server import start_emulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any free one)")
    args = parser.parse_args(argv)
    server, endpoint = start_emulator(port=args.port)
    print(f"export AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "
          "AWS_DEFAULT_REGION=eu-west-1", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
