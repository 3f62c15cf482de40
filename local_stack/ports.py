"""Busy ports, found before anything starts, with a sentence that says how to choose others."""

from __future__ import annotations

import socket
from collections.abc import Mapping

# How a user chooses each port: `make up` variables, the command line, and environment variables.
PORT_SETTINGS = {
    "api": ("PORT", "--port", "IMGREC_PORT"),
    "aws": ("AWS_PORT", "--aws-port", "IMGREC_AWS_PORT"),
    "recognizer": ("RECOGNIZER_PORT", "--recognizer-port", "IMGREC_RECOGNIZER_PORT"),
    "socket": ("SOCKET_PORT", "--socket-port", "IMGREC_SOCKET_PORT"),
}
PORT_ROLES = {
    "api": "the web app and API",
    "aws": "the AWS emulator",
    "recognizer": "the local Rekognition",
    "socket": "the WebSocket API",
}


class PortInUseError(OSError):
    def __init__(self, service: str, host: str, port: int) -> None:
        self.service, self.host, self.port = service, host, port
        make_var, flag, env_var = PORT_SETTINGS[service]
        super().__init__(
            f"port {port} on {host} ({PORT_ROLES[service]}) is already in use: is another copy of imgrec "
            f"running? Choose another port with `make up {make_var}={port + 10}` "
            f"(or `python -m local_stack {flag} {port + 10}`, or {env_var}={port + 10} in the environment)."
        )


def ensure_free(host: str, ports: Mapping[str, int]) -> None:
    """Raises PortInUseError for the first chosen (non-zero) port something already listens on."""
    for service, port in ports.items():
        if not port:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            # The same option the servers set: a port left in TIME_WAIT by a stopped stack is free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                raise PortInUseError(service, host, port) from None
