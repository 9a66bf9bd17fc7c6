"""The LUNA Configurator, reached as a LUNA service reaches it: the schema's database setting pulled over HTTP.

A service started with `--luna-config http://HOST:5070/1` (the Configurator's
origin and API version), or whose config.conf says `USE_CONFIGURATOR = 1` in
its `[LUNA_CONFIGURATOR]` section (`LUNA_CONFIGURATOR_ORIGIN`,
`LUNA_CONFIGURATOR_API`), takes its settings from the Configurator's puller,
a POST that answers a JSON object of the service's settings by name
(`{"LUNA_STREAMS_DB": {"db_host": ...}}`). A tag asks for a tagged setting
instead of the default one, as a service's `--LUNA_STREAMS_DB TAG` (and its
Alembic's `-x LUNA_STREAMS_DB=TAG`) does.

What LUNA's published manuals confirm, and what they leave open, is written
down item by item, with the pages, in tests/test_configurator.py. Open there:
the puller's path and parameters as sent here, `POST
{origin}/{api}/config?service_name=NAME` with the tag in the body
(`{"LUNA_STREAMS_DB": "TAG"}`), and LUNA Streams' service name.

An authorised Configurator (Basic HTTP authorization) takes the login and
password from the same `[LUNA_CONFIGURATOR]` section
(`LUNA_CONFIGURATOR_USER`, `LUNA_CONFIGURATOR_PASS`) or from the URL's
`user:password@`; the password is registered for redaction and never shown.

What goes wrong is one line naming the Configurator's address (never its
credentials): no answer is ConfiguratorUnreachable (exit 3) after the same
retry rounds as a database host; a wrong answer (an HTTP error, a redirect,
no JSON, no such setting) is ConfigError (exit 2) at once. luna-db then never
falls back to a file's own section or the defaults.

Imported at CLI start-up: standard library only, urllib imported on use.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

from ..errors import BadInput, ConfigError, ConfiguratorUnreachable
from ..redact import register_secret

#: The service names luna-db asks for, by schema (the Configurator's "service name" field).
SERVICE_NAMES = {"streams": "luna-streams", "backport3": "luna-backport3"}

#: The section of a service's config.conf that points at the Configurator.
SECTION = "LUNA_CONFIGURATOR"

#: Seconds one request may take; a hung Configurator is as bad as a dead one.
TIMEOUT = 5.0

# Pauses between rounds: RetryPolicy's (db/connect.py) rule, which this layer cannot import.
_MAX_DELAY = 30.0

# 502/503/504: a proxy before the Configurator, or the Configurator starting up,
# says it is not there yet; retried like a refused connection.
_RETRIED_STATUSES = (502, 503, 504)


@dataclass(frozen=True)
class Configurator:
    """Where a LUNA Configurator is: origin and API version, and the credentials of an authorised one."""

    origin: str
    api_version: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        """`http://host:5070/1`, as LUNA's `--luna-config` takes it; never the credentials."""
        return f"{self.origin}/{self.api_version}"

    def with_credentials(self, user: str | None, password: str | None) -> "Configurator":
        if self.user is not None or user is None:
            return self
        return Configurator(self.origin, self.api_version, user, password)


def is_url(text: str) -> bool:
    """Whether a --luna-config value names a Configurator (else it is a config.conf)."""
    # Any scheme://, so that a mistyped one is named as a bad URL, not looked for as a file.
    return re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", text.strip()) is not None


def configurator_from_url(text: str) -> Configurator:
    """`http://[user:password@]host:port/API_VERSION`; BadInput for anything else."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(text.strip())
    try:
        port = parts.port
    except ValueError:
        port = -1
    shown = _without_credentials(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or port == -1:
        raise BadInput(f"bad --luna-config {shown}: a Configurator is http://HOST:PORT/API_VERSION")
    version = parts.path.strip("/")
    if not version.isdigit() or parts.query or parts.fragment:
        raise BadInput(
            f"bad --luna-config {shown}: give the Configurator's API version as LUNA does, "
            f"e.g. {parts.scheme}://{_host_port(parts)}/1"
        )
    password = unquote(parts.password) if parts.password is not None else None
    register_secret(password)
    user = unquote(parts.username) if parts.username is not None else None
    return Configurator(f"{parts.scheme}://{_host_port(parts)}", version, user, password)


def configurator_from_section(values: Mapping[str, object], path: str) -> Configurator | None:
    """The Configurator a config.conf's `[LUNA_CONFIGURATOR]` section points at; None when USE_CONFIGURATOR is 0 or absent.

    `values` has lower-case keys. Also read when USE_CONFIGURATOR is 0, for
    the credentials a `--luna-config URL` may need (see `credentials_from_section`).
    """
    use = str(values.get("use_configurator", "0")).strip()
    if use not in ("0", "1"):
        raise ConfigError(f"USE_CONFIGURATOR in [{SECTION}] of {path} must be 0 or 1")
    if use == "0":
        return None
    origin = str(values.get("luna_configurator_origin") or "").strip().rstrip("/")
    if not origin:
        raise ConfigError(f"[{SECTION}] of {path} says USE_CONFIGURATOR = 1 but names no LUNA_CONFIGURATOR_ORIGIN")
    version = str(values.get("luna_configurator_api") or "1").strip()
    try:
        configurator = configurator_from_url(f"{origin}/{version}")
    except BadInput:
        raise ConfigError(
            f"[{SECTION}] of {path}: LUNA_CONFIGURATOR_ORIGIN must be http://HOST:PORT and "
            "LUNA_CONFIGURATOR_API a number"
        ) from None
    return configurator.with_credentials(*credentials_from_section(values))


def credentials_from_section(values: Mapping[str, object]) -> tuple[str | None, str | None]:
    """The login and password of an authorised Configurator, from `[LUNA_CONFIGURATOR]`."""
    user = values.get("luna_configurator_user")
    password = values.get("luna_configurator_pass")
    if password is not None:
        register_secret(str(password))
    return (str(user) if user not in (None, "") else None, None if password is None else str(password))


def pull_setting(
    configurator: Configurator,
    schema: str,
    setting: str,
    tag: str | None = None,
    *,
    rounds: int = 4,
    delay: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict:
    """The value of one setting (a JSON object) as the Configurator hands it to the schema's service.

    Raises ConfiguratorUnreachable (exit 3) when no round got an answer,
    ConfigError (exit 2) for a wrong answer or a missing setting.
    """
    from urllib.parse import urlencode

    url = f"{configurator.address}/config?{urlencode({'service_name': SERVICE_NAMES[schema]})}"
    body = json.dumps({setting: tag} if tag else {}).encode()
    pauses = [min(delay * 2**i, _MAX_DELAY) for i in range(max(rounds - 1, 0))]
    reason = ""
    for attempt in range(rounds):
        try:
            data = _post_json(configurator, url, body)
            break
        except _NoAnswer as error:
            reason = str(error)
            if attempt < len(pauses):
                sleep(pauses[attempt])
    else:
        rounds_text = "1 round" if rounds == 1 else f"{rounds} rounds"
        raise ConfiguratorUnreachable(
            f"the LUNA Configurator at {configurator.address} cannot be reached ({rounds_text}): {reason}"
        )
    return _setting_of(data, configurator, schema, setting, tag)


class _NoAnswer(Exception):
    """No answer from the Configurator this round (refused, timed out, name unknown, 502/503/504)."""


def _refusing_redirects(configurator: Configurator):
    """A redirect handler that stops: credentials must not follow an answer to another address."""
    import urllib.request

    class RefuseRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req, fp, code, msg, headers, newurl):
            raise ConfigError(
                f"the LUNA Configurator at {configurator.address} answered a redirect (HTTP {code}) to "
                f"{_without_credentials(newurl)}: give --luna-config the address that answers itself"
            )

    return RefuseRedirects()


def _post_json(configurator: Configurator, url: str, body: bytes):
    import base64
    import http.client
    import socket
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("Accept", "application/json")
    if configurator.user is not None:
        token = base64.b64encode(f"{configurator.user}:{configurator.password or ''}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    opener = urllib.request.build_opener(_refusing_redirects(configurator))
    address = configurator.address
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            text = response.read()
    except urllib.error.HTTPError as error:
        if error.code in _RETRIED_STATUSES:
            raise _NoAnswer(f"HTTP {error.code} {error.reason}") from None
        raise ConfigError(_http_error_line(address, error)) from None
    except urllib.error.URLError as error:
        raise _NoAnswer(_reason_text(error.reason)) from None
    except (TimeoutError, socket.timeout):
        raise _NoAnswer(f"no answer within {TIMEOUT:g} s") from None
    except (http.client.HTTPException, ConnectionError) as error:
        raise _NoAnswer(type(error).__name__) from None
    try:
        return json.loads(text)
    except ValueError:
        raise ConfigError(f"the LUNA Configurator at {address} answered no JSON: is it a LUNA Configurator?") from None


def _http_error_line(address: str, error) -> str:
    if error.code in (401, 403):
        return (
            f"the LUNA Configurator at {address} refused luna-db (HTTP {error.code}): give its login as "
            f"LUNA_CONFIGURATOR_USER and LUNA_CONFIGURATOR_PASS in [{SECTION}] of the config file, "
            "or as user:password@ in --luna-config"
        )
    detail = ""
    try:
        answer = json.loads(error.read() or b"{}")
        if isinstance(answer, dict):
            detail = str(answer.get("detail") or answer.get("desc") or "")
    except (ValueError, OSError):
        pass
    line = f"the LUNA Configurator at {address} answered HTTP {error.code} {error.reason}"
    return f"{line}: {detail.splitlines()[0]}" if detail.strip() else line


def _reason_text(reason) -> str:
    if isinstance(reason, (TimeoutError,)) or "timed out" in str(reason):
        return f"no answer within {TIMEOUT:g} s"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason)


def _setting_of(data, configurator: Configurator, schema: str, setting: str, tag: str | None) -> dict:
    address = configurator.address
    if not isinstance(data, dict):
        raise ConfigError(f"the LUNA Configurator at {address} answered {type(data).__name__}, not the settings object")
    by_name = {str(name).upper(): value for name, value in data.items()}
    tagged = f" with tag {tag}" if tag else ""
    if setting not in by_name:
        raise ConfigError(
            f"the LUNA Configurator at {address} holds no {setting} setting{tagged} "
            f"for {SERVICE_NAMES[schema]}"
        )
    value = by_name[setting]
    if not isinstance(value, dict):
        raise ConfigError(f"{setting} from the LUNA Configurator at {address} must be an object")
    return value


def _host_port(parts) -> str:
    host = parts.hostname
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port is not None else host


def _without_credentials(url: str) -> str:
    """The URL as it may be shown: no `user:password@`."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    return f"{scheme}://{authority.rpartition('@')[2]}{slash}{path}"
