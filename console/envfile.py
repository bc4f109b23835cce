"""Write a ``.env`` for a local console, with fresh random keys.

Run as ``python -m console.envfile [--port PORT]``. The port goes into
CONSOLE_BASE_URL. An existing file is left alone, so the keys that encrypt
stored secrets never change under a running console.
"""

import argparse
import secrets
import sys
from pathlib import Path

ENV_PATH = Path(__file__).resolve().parent.parent / ".env"
DEFAULT_PORT = 8000


def local_env_text(port: int = DEFAULT_PORT) -> str:
    return (
        "# Local development settings, written by `python -m console.envfile`.\n"
        "# Keep this file private: FERNET_KEYS decrypts the stored secrets.\n"
        f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
        f"FERNET_KEYS={secrets.token_urlsafe(32)}\n"
        "DEBUG=on\n"
        f"CONSOLE_BASE_URL=http://127.0.0.1:{port}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="The port that the console is served on, for CONSOLE_BASE_URL.",
    )
    args = parser.parse_args(argv)
    if ENV_PATH.exists():
        sys.stdout.write(f"Keeping the existing {ENV_PATH.name}.\n")
        return 0
    ENV_PATH.write_text(local_env_text(args.port))
    ENV_PATH.chmod(0o600)
    sys.stdout.write(f"Wrote {ENV_PATH.name} with new random keys.\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
