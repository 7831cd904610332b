import socket


def free_port(host="127.0.0.1"):
    """A port the OS says is free now, so parallel runs (pytest -n, several checkouts) never collide."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]
