"""The Rasa action server, on a private interface and behind a shared secret.

``python -m rasa_sdk`` listens on every interface and runs any action for anyone who can reach it: a
forged tracker for a bound sender passes the actions' binding check. This runs the same rasa_sdk app
(``rasa_sdk.endpoint.create_app``, same command-line flags) with two differences:

* it binds to ``--interface``, else ``ASSISTANT_BIND_HOST``, else 127.0.0.1 (never 0.0.0.0 by default);
* every route except ``GET /health`` needs ``Authorization: Bearer $ACTION_SERVER_TOKEN`` (401 otherwise),
  the header Rasa sends from endpoints.yml (``action_endpoint.headers``). Without ACTION_SERVER_TOKEN the
  server refuses to start.

    ACTION_SERVER_TOKEN=… python -m assistant_core.action_server --actions actions --port 5055
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import sys
from collections.abc import Mapping

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
from rasa_sdk.endpoint import create_app, create_argument_parser, create_ssl_context
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant_core.rasa_compat import require_rasa_sdk

TOKEN_ENV = "ACTION_SERVER_TOKEN"
BIND_HOST_ENV = "ASSISTANT_BIND_HOST"
DEFAULT_BIND_HOST = "127.0.0.1"
# (method, path) answered without the token: the health check of `make up` and of load balancers.
OPEN_ROUTES = frozenset({("GET", "/health")})

logger = logging.getLogger(__name__)


def authorized(header: str | None, token: str) -> bool:
    """Whether an ``Authorization`` header carries ``Bearer <token>`` (constant-time comparison)."""
    if not header or not token:
        return False
    scheme, _, credential = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(credential.strip().encode("utf-8", "replace"), token.encode("utf-8"))


def require_token(app: Sanic, token: str) -> None:
    """Refuse (401) every request to ``app`` but the open routes unless it carries the token."""
    if not token:
        raise ValueError(f"{TOKEN_ENV} must not be empty")

    @app.middleware("request")
    async def check_token(request: Request) -> HTTPResponse | None:
        if (request.method, request.path) in OPEN_ROUTES:
            return None
        if authorized(request.headers.get("Authorization"), token):
            return None
        return response.json(
            {"error": "Unauthorized: this action server needs Authorization: Bearer <ACTION_SERVER_TOKEN>."},
            status=401,
            headers={"WWW-Authenticate": "Bearer"},
        )


def create_parser() -> argparse.ArgumentParser:
    """rasa_sdk's own flags (--actions, --port, --cors, --ssl-*, --auto-reload, logging) plus --interface."""
    parser = create_argument_parser()
    parser.description = "starts the action server on a private interface, behind ACTION_SERVER_TOKEN"
    parser.add_argument(
        "--interface",
        default=None,
        help=f"interface to listen on (default: ${BIND_HOST_ENV}, else {DEFAULT_BIND_HOST})",
    )
    return parser


def bind_host(interface: str | None, env: Mapping[str, str] = os.environ) -> str:
    """--interface, else ASSISTANT_BIND_HOST, else 127.0.0.1."""
    return interface or env.get(BIND_HOST_ENV) or DEFAULT_BIND_HOST


def main(argv: list[str] | None = None) -> int:
    args = create_parser().parse_args(argv)
    require_rasa_sdk()  # the start-up below repeats rasa_sdk's own
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        print(
            f"{TOKEN_ENV} is not set: the action server does not start without the shared secret that Rasa sends "
            "(endpoints.yml action_endpoint.headers). `make up` creates one in var/secrets.env.",
            file=sys.stderr,
        )
        return 2

    # As rasa_sdk.__main__.main_from_args does.
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(
        logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel, args.logging_config_file
    )
    utils.update_sanic_log_level()

    app = create_app(args.actions, cors_origins=args.cors, auto_reload=args.auto_reload)
    require_token(app, token)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    ssl_context = create_ssl_context(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    host = bind_host(args.interface)
    logger.info(f"Action server on {'https' if ssl_context else 'http'}://{host}:{args.port} (token required)")
    app.run(host, args.port, ssl=ssl_context, workers=utils.number_of_sanic_workers())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
