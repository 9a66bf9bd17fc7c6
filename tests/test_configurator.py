"""luna-db pointed at a LUNA Configurator, as LUNA's services are: `--luna-config URL|FILE`, `-x luna-config=...`.

The Configurator here is a real HTTP server (http.server in a thread) that
answers as the published LUNA Configurator API does, as far as the stored
copies of VisionLabs' manuals show it (docs.visionlabs.ai; searched again for
issue 25, each item with the page and version it was read from):

Confirmed:
- `--luna-config http://127.0.0.1:5071/1` is the Configurator's origin and
  API version ("Where http://127.0.0.1:5071 is available luna-configurator
  service address and 1 is available configurator api version"), and a
  config file's `USE_CONFIGURATOR` = 0 means the file's settings, otherwise
  the Configurator the file names: LUNA API manual, "Configurator", LUNA
  PLATFORM v.5.119.0,
  https://docs.visionlabs.ai/luna/v.5.119.0/ServiceManuals/APIDevelopmentManual/configurator.html
- the `[LUNA_CONFIGURATOR]` keys USE_CONFIGURATOR (default 0),
  LUNA_CONFIGURATOR_ORIGIN (http://127.0.0.1:5070), LUNA_CONFIGURATOR_API (1),
  and `[LUNA_STREAMS_DB]` DB_TYPE, DB_USER, DB_PASSWORD, DB_HOST, DB_PORT,
  DB_NAME (luna_streams) with DB_SETTINGS.CONNECTION_POOL_SIZE: FaceStream
  v.5.1.1 administrator manual, "LUNA Streams configuration",
  https://docs.visionlabs.ai/fs/v.5.1.1/fs-administrator-manual-eng/10-luna-streams-configuration
- tags: a service asks for the tagged setting with `--INFLUX_MONITORING TAG_1`
  (the API manual page above); a service's Alembic with
  `-x luna-config=http://127.0.0.1:5070/1 -x LUNA_EVENTS_DB=TAG_1 upgrade head`
  ("luna-config is an address of Configurator service, with (optional)
  limitation's tag"): Events v.1.1.6 release notes, LUNA PLATFORM v.5.24.1,
  https://docs.visionlabs.ai/luna/v.5.24.1/ServiceManuals/EventsDevopsManual/releases/v_1_1_6.html
  (Faces v.3.0.4, `-x LUNA_FACES_DB=TAG_1`, LUNA PLATFORM v.5.33.0); default
  settings have no tags, tags filter the settings the puller hands a service:
  Configurator development manual, "Introduction", LUNA PLATFORM v.5.64.0,
  https://docs.visionlabs.ai/luna/v.5.64.0/ServiceManuals/ConfiguratorDevelopmentManual/introduction.html
- LUNA Streams' own migration is `alembic -x luna-config=http://127.0.0.1:5070/1
  upgrade head` in its image: FaceStream v.5.1.14 upgrade manual,
  https://docs.visionlabs.ai/fs/v.5.1.14/fs-docker-upgrade-manual-eng/upgrade-facestream
- the puller ("puller: Get settings for exact service", "Request to receive
  most relevant settings for exact service") is a POST: Luna-Configurator API
  v.2.1.36, LUNA PLATFORM v.5.46.1,
  https://docs.visionlabs.ai/luna/v.5.46.1/ReferenceManuals/ConfiguratorReferenceManual.html,
  and `PullerHandler.post(serviceName)`, "See spec getPuller", LUNA PLATFORM v.5.20.0,
  https://docs.visionlabs.ai/luna/v.5.20.0/ServiceManuals/ConfiguratorDevopsManual/puller_handler.html
- it answers application/json (config_accept_content_type): Luna-Configurator
  API v.2.1.65, LUNA PLATFORM v.5.51.6,
  https://docs.visionlabs.ai/luna/v.5.51.6/ServiceManuals/ConfiguratorDevelopmentManual/openapi_spec.html;
  a JSON object of the service's settings by name, each value an object, as
  LUNA's own service code reads it (`pullConfig(serviceName).json`, then
  `for settingName, value in settings.items()`, in a public repository's
  copy of a LUNA service's settings module; the search index gave no address)
- Basic HTTP authorization ("Authorization: Basic base64 user:password"):
  Luna-Configurator API v.2.3.1, LUNA PLATFORM v.5.98.0,
  https://docs.visionlabs.ai/luna/v.5.98.0/ReferenceManuals/ConfiguratorReferenceManual.html;
  LUNA_CONFIGURATOR_USER / LUNA_CONFIGURATOR_PASS are the login "that will be
  used by other services for authorization" (the Configurator's own
  [LUNA_CONFIGURATOR_AUTHORIZATION]), LUNA PLATFORM v.5.89.0,
  https://docs.visionlabs.ai/luna/v.5.89.0/ServiceManuals/ConfiguratorDevelopmentManual/authorization.html;
  a service gives "the login|password in the LUNA_CONFIGURATOR section of the
  config file" (the v.5.119.0 API manual page above)
- `luna-backport3` is Backport 3's service name in the Configurator:
  https://docs.visionlabs.ai/luna/v.5.23.0/faq/configuration-names-for-services

Not confirmed (every stored copy of the reference pages and the OpenAPI
YAML ends before the puller's parameters; no other copy was found): the path
`/{api_version}/config`, the service name as a `service_name` query parameter
(the handler's `post(serviceName)` argument may as well be a path segment),
the body naming the tagged setting (`{"LUNA_STREAMS_DB": "TAG"}`), LUNA
Streams' service name (`luna-streams`, its image's name; the service-names
table lists LUNA PLATFORM's services only), and the key names of the login in
a service's [LUNA_CONFIGURATOR] section (the page's example ends before them;
luna-db reads LUNA_CONFIGURATOR_USER / LUNA_CONFIGURATOR_PASS, the
Configurator's own names for that login). No live Configurator is reached by
this suite.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from luna_db_tools.config import configurator as configurator_module
from luna_db_tools.errors import BadInput
from tests.clirunner import ROOT, checkout_environment, invoke

SECRET = "cfg-S3cret-pass"


class FakeConfigurator:
    """A LUNA Configurator's puller on 127.0.0.1: settings by service, name and tag."""

    def __init__(self):
        self.settings: dict[tuple[str, str, str | None], dict] = {}
        self.login: tuple[str, str] | None = None
        self.mode = "normal"  # "500", "slow", "redirect"
        self.requests: list[dict] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                owner.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/1"

    def put(self, service: str, name: str, value: dict, tag: str | None = None) -> None:
        self.settings[(service, name, tag)] = value

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        self.requests.append({"path": parts.path, "query": parse_qs(parts.query), "body": body,
                              "authorization": request.headers.get("Authorization")})
        if self.mode == "slow":
            time.sleep(2)
        if self.mode == "redirect" and parts.path == "/1/config":
            request.send_response(307)
            request.send_header("Location", "http://127.0.0.1:9/1/config")
            request.end_headers()
            return
        if self.login is not None:
            expected = "Basic " + base64.b64encode(":".join(self.login).encode()).decode()
            if request.headers.get("Authorization") != expected:
                return self.answer(request, 401, {"error_code": 12057, "desc": "Unauthorized",
                                                  "detail": "Unauthorized"})
        if self.mode == "500":
            return self.answer(request, 500, {"error_code": 1, "desc": "Internal server error",
                                              "detail": "Internal server error: settings storage is down"})
        if parts.path != "/1/config":
            return self.answer(request, 404, {"error_code": 12, "desc": "Page not found", "detail": "Page not found"})
        service = parse_qs(parts.query).get("service_name", [""])[0]
        tags = json.loads(body or b"{}")
        answer = {}
        for (owner_service, name, tag), value in self.settings.items():
            if owner_service == service and tag == tags.get(name):
                answer[name] = value
        self.answer(request, 200, answer)

    @staticmethod
    def answer(request, status: int, document) -> None:
        data = json.dumps(document).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)


@pytest.fixture
def configurator():
    fake = FakeConfigurator()
    fake.thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()


def db_setting(server, database: str) -> dict:
    """A LUNA_STREAMS_DB value as the Configurator holds it (lower-case keys)."""
    return {"db_type": "postgres", "db_host": server.host, "db_port": server.port, "db_user": server.user,
            "db_password": server.password, "db_name": database, "connection_pool_size": 10}


def lines(result) -> str:
    return result.stdout + result.stderr


def test_a_configurator_url_names_the_database_the_service_uses(configurator, fresh_db):
    configurator.put("luna-streams", "LUNA_STREAMS_DB", db_setting(fresh_db.server, fresh_db.name))
    result = invoke("upgrade", "--schema", "streams", "--luna-config", configurator.url, "-q")
    assert result.exit_code == 0, lines(result)
    status = invoke("status", "--schema", "streams", "--luna-config", configurator.url, "--json")
    assert status.exit_code == 0, lines(status)
    assert fresh_db.name in status.stdout
    request = configurator.requests[-1]
    assert request["path"] == "/1/config" and request["query"]["service_name"] == ["luna-streams"]


def test_the_database_settings_say_where_they_come_from(configurator, fresh_db):
    configurator.put("luna-streams", "LUNA_STREAMS_DB", db_setting(fresh_db.server, fresh_db.name))
    result = invoke("dsn", "--schema", "streams", "--luna-config", configurator.url, "--json")
    assert result.exit_code == 0, lines(result)
    described = json.loads(result.stdout)
    assert described["database"] == fresh_db.name and described["hosts"][0]["port"] == fresh_db.server.port
    at = f"Configurator at {configurator.url}"
    assert described["sources"] == {"schema": "--schema", "db_type": at, "hosts": at, "user": at,
                                    "password_set": at, "database": at}
    # The DSN, options and environment still win over the Configurator's setting, and say so.
    text = invoke("dsn", "--schema", "streams", "--luna-config", configurator.url, "--db-name", "other_db",
                  env={"LUNA_DB_USER": "ops"})
    assert text.exit_code == 0, lines(text)
    assert "database: other_db  (from --db-name)" in text.stdout
    assert "user:     ops  (from LUNA_DB_USER)" in text.stdout
    assert f"db_type:  postgres  (from {at})" in text.stdout


def test_a_config_conf_with_use_configurator_follows_the_configurator_not_its_own_section(
    configurator, fresh_db, tmp_path
):
    configurator.put("luna-streams", "LUNA_STREAMS_DB", db_setting(fresh_db.server, fresh_db.name))
    origin = configurator.url.rsplit("/", 1)[0]
    conf = tmp_path / "config.conf"
    conf.write_text(
        "[LUNA_CONFIGURATOR]\nUSE_CONFIGURATOR = 1\n"
        f"LUNA_CONFIGURATOR_ORIGIN = {origin}\nLUNA_CONFIGURATOR_API = 1\n\n"
        "[LUNA_STREAMS_DB]\nDB_HOST = 192.0.2.1\nDB_NAME = not_this_one\n"
    )
    for option in ("--config", "--luna-config"):
        result = invoke("dsn", option, str(conf), "--json")
        assert result.exit_code == 0, lines(result)
        assert json.loads(result.stdout)["database"] == fresh_db.name
    current = invoke("current", "--config", str(conf))
    assert current.exit_code == 0, lines(current)


def test_an_authorised_configurator_takes_the_login_of_the_files_section(configurator, fresh_db, tmp_path):
    configurator.login = ("luna-ops", SECRET)
    configurator.put("luna-streams", "LUNA_STREAMS_DB", db_setting(fresh_db.server, fresh_db.name))
    origin = configurator.url.rsplit("/", 1)[0]
    conf = tmp_path / "config.conf"
    base = f"[LUNA_CONFIGURATOR]\nUSE_CONFIGURATOR = 1\nLUNA_CONFIGURATOR_ORIGIN = {origin}\nLUNA_CONFIGURATOR_API = 1\n"
    conf.write_text(base + f"LUNA_CONFIGURATOR_USER = luna-ops\nLUNA_CONFIGURATOR_PASS = {SECRET}\n")
    result = invoke("current", "--schema", "streams", "--config", str(conf), "-v")
    assert result.exit_code == 0, lines(result)
    assert SECRET not in lines(result)

    conf.write_text(base + "LUNA_CONFIGURATOR_USER = luna-ops\nLUNA_CONFIGURATOR_PASS = wrong-pass-1\n")
    refused = invoke("status", "--schema", "streams", "--config", str(conf))
    assert refused.exit_code == 2
    assert f"the LUNA Configurator at {configurator.url} refused luna-db (HTTP 401)" in refused.stderr
    assert "wrong-pass-1" not in lines(refused)

    # The URL's user:password@ works as well, and is never shown.
    url = configurator.url.replace("http://", f"http://luna-ops:{SECRET}@")
    shown = invoke("dsn", "--schema", "streams", "--luna-config", url, "--json")
    assert shown.exit_code == 0, lines(shown)
    wrong = invoke("dsn", "--schema", "streams", "--luna-config", url.replace(SECRET, "Other-Pass-9"))
    assert wrong.exit_code == 2 and "Other-Pass-9" not in lines(wrong) and configurator.url in wrong.stderr


def test_a_tagged_setting(configurator, fresh_db):
    configurator.put("luna-streams", "LUNA_STREAMS_DB", db_setting(fresh_db.server, "default_database"))
    configurator.put("luna-streams", "LUNA_STREAMS_DB", db_setting(fresh_db.server, fresh_db.name), tag="PROD")
    result = invoke("current", "--schema", "streams", "--luna-config", configurator.url,
                    "--luna-config-tag", "PROD")
    assert result.exit_code == 0, lines(result)
    default = invoke("dsn", "--schema", "streams", "--luna-config", configurator.url, "--json")
    assert json.loads(default.stdout)["database"] == "default_database"
    missing = invoke("dsn", "--schema", "streams", "--luna-config", configurator.url, "--luna-config-tag", "QA")
    assert missing.exit_code == 2
    assert "holds no LUNA_STREAMS_DB setting with tag QA for luna-streams" in missing.stderr


def test_a_missing_setting_is_exit_2_and_never_the_files_section(configurator, fresh_db, tmp_path):
    configurator.put("luna-streams", "LUNA_STREAMS_DB", db_setting(fresh_db.server, fresh_db.name))
    conf = tmp_path / "config.conf"
    conf.write_text(f"[LUNA_BACKPORT3_DB]\nDB_HOST = {fresh_db.server.host}\nDB_NAME = {fresh_db.name}\n")
    result = invoke("status", "--schema", "backport3", "--luna-config", configurator.url, "--config", str(conf))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"luna-db: error: the LUNA Configurator at {configurator.url} holds no LUNA_BACKPORT3_DB setting for luna-backport3"
    ]


def test_a_server_error_is_exit_2_naming_the_configurator(configurator):
    configurator.mode = "500"
    result = invoke("status", "--schema", "streams", "--luna-config", configurator.url)
    assert result.exit_code == 2
    assert f"the LUNA Configurator at {configurator.url} answered HTTP 500" in result.stderr
    assert "settings storage is down" in result.stderr
    assert len(configurator.requests) == 1  # a wrong answer is not retried


def test_a_configurator_that_does_not_answer_in_time_is_exit_3_after_the_retry_rounds(configurator, monkeypatch):
    monkeypatch.setattr(configurator_module, "TIMEOUT", 0.3)
    configurator.mode = "slow"
    result = invoke("status", "--schema", "streams", "--luna-config", configurator.url,
                    "--connect-retries", "2", "--retry-delay", "0")
    assert result.exit_code == 3
    assert f"the LUNA Configurator at {configurator.url} cannot be reached (2 rounds)" in result.stderr
    assert len(configurator.requests) == 2


def test_a_configurator_nobody_listens_at_is_exit_3():
    result = invoke("dsn", "--schema", "streams", "--connect-retries", "1",
                    env={"LUNA_DB_LUNA_CONFIG": "http://127.0.0.1:9/1"})
    assert result.exit_code == 3
    assert "the LUNA Configurator at http://127.0.0.1:9/1 cannot be reached (1 round)" in result.stderr


def test_a_redirect_is_not_followed(configurator):
    configurator.mode = "redirect"
    url = configurator.url.replace("http://", f"http://luna-ops:{SECRET}@")
    result = invoke("dsn", "--schema", "streams", "--luna-config", url)
    assert result.exit_code == 2
    assert "answered a redirect (HTTP 307) to http://127.0.0.1:9/1/config" in result.stderr
    assert SECRET not in lines(result)
    assert len(configurator.requests) == 1


@pytest.mark.parametrize("bad", ["http://127.0.0.1:5070", "http://127.0.0.1:5070/v1", "ftp://host/1"])
def test_a_configurator_url_without_its_api_version_is_bad_input(bad):
    result = invoke("dsn", "--schema", "streams", "--luna-config", bad)
    assert result.exit_code == 2 and "bad --luna-config" in result.stderr


def test_without_a_schema_the_configurator_is_not_guessed(configurator):
    result = invoke("dsn", "--luna-config", configurator.url)
    assert result.exit_code == 2
    assert "say which schema with --schema" in result.stderr and configurator.url in result.stderr
    assert configurator.requests == []


def test_the_options_before_the_command_name(configurator, fresh_db, tmp_path):
    configurator.put("luna-streams", "LUNA_STREAMS_DB", db_setting(fresh_db.server, fresh_db.name))
    result = invoke("--luna-config", configurator.url, "--schema", "streams", "--json", "current")
    assert result.exit_code == 0, lines(result)
    json.loads(result.stdout)
    conf = tmp_path / "prod.conf"
    conf.write_text(f"[LUNA_STREAMS_DB]\nDB_HOST = {fresh_db.server.host}\nDB_NAME = streams_prod\n")
    before = invoke("--config", str(conf), "dsn", "--json")
    after = invoke("dsn", "--json", "--config", str(conf))
    assert before.exit_code == after.exit_code == 0 and before.stdout == after.stdout
    assert invoke("--dsn", fresh_db.dsn, "-q", "status").exit_code == 2  # no schema: as after the name
    refused = invoke("--dsn", fresh_db.dsn, "lint")
    assert refused.exit_code == 2 and "takes no --dsn" in refused.stderr


def test_alembic_x_luna_config_upgrades_the_database_the_configurator_names(configurator, fresh_db, tmp_path):
    configurator.put("luna-streams", "LUNA_STREAMS_DB", db_setting(fresh_db.server, fresh_db.name))
    run = subprocess.run(
        [sys.executable, "-m", "alembic", "-n", "streams", "-x", f"luna-config={configurator.url}", "upgrade", "head"],
        capture_output=True, text=True, cwd=ROOT, timeout=180, env=checkout_environment(),
    )
    assert run.returncode == 0, run.stderr
    connection = fresh_db.server.connect(fresh_db.name)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT version_num FROM alembic_version")
            assert cursor.fetchone() is not None
    finally:
        connection.close()
    # A config.conf that points at the Configurator, as the LUNA manual's -x luna-config=FILE.
    conf = tmp_path / "config.conf"
    conf.write_text("[LUNA_CONFIGURATOR]\nUSE_CONFIGURATOR = 1\n"
                    f"LUNA_CONFIGURATOR_ORIGIN = {configurator.url.rsplit('/', 1)[0]}\nLUNA_CONFIGURATOR_API = 1\n")
    current = subprocess.run(
        [sys.executable, "-m", "alembic", "-n", "streams", "-x", f"luna-config={conf}", "current"],
        capture_output=True, text=True, cwd=ROOT, timeout=180, env=checkout_environment(),
    )
    assert current.returncode == 0, current.stderr
    assert "(head)" in current.stdout
    # The manual's tagged form, -x LUNA_STREAMS_DB=TAG: the tagged setting names this database, the default another.
    configurator.put("luna-streams", "LUNA_STREAMS_DB", db_setting(fresh_db.server, fresh_db.name), tag="TAG_1")
    configurator.put("luna-streams", "LUNA_STREAMS_DB", db_setting(fresh_db.server, "no_such_database"))
    tagged = subprocess.run(
        [sys.executable, "-m", "alembic", "-n", "streams", "-x", f"luna-config={configurator.url}",
         "-x", "LUNA_STREAMS_DB=TAG_1", "current"],
        capture_output=True, text=True, cwd=ROOT, timeout=180, env=checkout_environment(),
    )
    assert tagged.returncode == 0, tagged.stderr
    assert "(head)" in tagged.stdout
    assert json.loads(configurator.requests[-1]["body"]) == {"LUNA_STREAMS_DB": "TAG_1"}
    configurator.mode = "500"
    failing = subprocess.run(
        [sys.executable, "-m", "alembic", "-n", "streams", "-x", f"luna-config={configurator.url}", "current"],
        capture_output=True, text=True, cwd=ROOT, timeout=180, env=checkout_environment(),
    )
    assert failing.returncode != 0
    assert f"the LUNA Configurator at {configurator.url} answered HTTP 500" in failing.stderr


def test_the_schema_comes_from_the_section_whatever_the_database_is_called(fresh_db, tmp_path):
    conf = tmp_path / "prod.conf"
    server = fresh_db.server
    conf.write_text(f"[LUNA_STREAMS_DB]\nDB_HOST = {server.host}\nDB_PORT = {server.port}\n"
                    f"DB_USER = {server.user}\nDB_PASSWORD = {server.password}\nDB_NAME = streams_prod\n")
    shown = invoke("dsn", "--config", str(conf), "--json")
    assert shown.exit_code == 0, lines(shown)
    assert json.loads(shown.stdout)["schema"] == "streams"
    conf.write_text(conf.read_text().replace("streams_prod", "luna_stream"))
    missing = invoke("status", "--config", str(conf), "--connect-retries", "1")
    assert missing.exit_code == 2
    assert "luna_stream" in missing.stderr and "does not exist" in missing.stderr
    typo = invoke("status", "--dsn", fresh_db.dsn.rsplit("/", 1)[0] + "/luna_stream")
    assert typo.exit_code == 2 and "the database 'luna_stream': luna_streams misspelt?" in typo.stderr
    conf.write_text(conf.read_text().replace("[LUNA_STREAMS_DB]", "[LUNA_STREAM_DB]"))
    misspelt = invoke("status", "--config", str(conf))
    assert misspelt.exit_code == 2
    assert "[LUNA_STREAM_DB] is there: misspelt?" in misspelt.stderr


def test_the_alembic_environment_takes_a_tag_as_x_luna_config_tag(configurator, fresh_db):
    from alembic.config import Config

    from luna_db_tools.runtime.environment import environment_inputs

    configurator.put("luna-streams", "LUNA_STREAMS_DB", db_setting(fresh_db.server, "default_database"))
    configurator.put("luna-streams", "LUNA_STREAMS_DB", db_setting(fresh_db.server, fresh_db.name), tag="PROD")
    config = Config(ini_section="streams")
    # luna-db's -x luna-config-tag, LUNA's own -x LUNA_STREAMS_DB=TAG, and LUNA's -x luna_config spelling.
    for x_arguments in ({"luna-config": configurator.url, "luna-config-tag": "PROD"},
                        {"luna-config": configurator.url, "LUNA_STREAMS_DB": "PROD"},
                        {"luna_config": configurator.url, "LUNA_STREAMS_DB": "PROD", "luna-config-tag": "PROD"}):
        inputs = environment_inputs(config, x_arguments)
        assert inputs.settings.database == fresh_db.name
        assert inputs.settings.sources["database"] == f"Configurator at {configurator.url}"
        assert json.loads(configurator.requests[-1]["body"]) == {"LUNA_STREAMS_DB": "PROD"}
    with pytest.raises(BadInput, match="LUNA_STREAMS_DB=PROD and -x luna-config-tag=QA differ"):
        environment_inputs(config, {"luna-config": configurator.url, "LUNA_STREAMS_DB": "PROD",
                                    "luna-config-tag": "QA"})
    with pytest.raises(BadInput, match="LUNA_BACKPORT3_DB=... tags the backport3 setting, but this is the streams"):
        environment_inputs(config, {"luna-config": configurator.url, "LUNA_BACKPORT3_DB": "PROD"})


def test_one_command_asks_the_configurator_once(configurator):
    """`create --sql --oracle-version` needs the dialect twice (the check of --oracle-version, the script):
    one settings pass, one pull."""
    configurator.put("luna-streams", "LUNA_STREAMS_DB", {"db_type": "oracle", "db_host": "ora1", "db_name": "LUNA"})
    result = invoke("create", "--sql", "--schema", "streams", "--luna-config", configurator.url,
                    "--oracle-version", "19", "--json")
    assert result.exit_code == 0, lines(result)
    assert json.loads(result.stdout)["db_type"] == "oracle"
    assert len(configurator.requests) == 1
