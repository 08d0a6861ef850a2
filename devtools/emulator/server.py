"""The local emulator: a moto server on 127.0.0.1 with devtools.emulator.moto_adapter installed.

Shared by every deploy to it: make deploy-local (the CDK CLI) and the package's deploy (the CloudFormation
API only, devtools/package/deploy.py).
"""

from __future__ import annotations

import os
from typing import Any


def start_emulator(port: int = 0) -> tuple[Any, str]:
    """A moto server on 127.0.0.1 (``port``, default any free one) with the adapter installed; returns (server, endpoint URL)."""
    from moto.server import ThreadedMotoServer

    from devtools.emulator import moto_adapter

    moto_adapter.install()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=bool(os.environ.get("MOTO_VERBOSE")))
    server.start()
    _, port = server.get_host_and_port()
    return server, f"http://localhost:{port}"
