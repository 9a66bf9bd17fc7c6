"""LUNA's own settings files, read for `--config`: a service's `config.conf` or the Configurator's JSON.

`config.conf` is an ini file with one section per setting and upper-case
keys, as the services ship it:

    [LUNA_BACKPORT3_DB]
    DB_TYPE = postgres
    DB_HOST = 127.0.0.1
    ...

The LUNA Configurator holds the same settings as JSON objects with
lower-case keys, either by name (`{"LUNA_BACKPORT3_DB": {"db_type": ...}}`)
or as a settings dump (`{"settings": [{"name": "LUNA_BACKPORT3_DB",
"value": {...}}, ...]}`). Section names and keys are matched without regard
to case. Only the two database sections and `[LUNA_CONFIGURATOR]` (where the
Configurator is, config/configurator.py) are luna-db's business; every other
section of the file is the service's and is left alone. In a database
section, a key luna-db does not know is a mistake (exit 2, named, with the
closest known key suggested), except the service keys listed in
`IGNORED_KEYS`, which luna-db passes over by name.

Imported at CLI start-up: standard library only.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError

#: The database sections, by schema.
SECTIONS = {"streams": "LUNA_STREAMS_DB", "backport3": "LUNA_BACKPORT3_DB"}

#: What luna-db reads from a section (lower case, the Configurator's spelling).
KNOWN_KEYS = ("db_type", "db_host", "db_port", "db_user", "db_password", "db_name", "dsn")

#: Keys LUNA's services have in these sections that do not concern luna-db,
#: with where LUNA documents them.
IGNORED_KEYS = {
    # LUNA PLATFORM administrator manual, the `<SERVICE>_DB` settings; its
    # pool is the service's, luna-db opens one connection per command.
    "connection_pool_size": "the service's connection pool size",
    # LUNA Streams configuration: LUNA_STREAMS_DB.DB_SETTINGS holds
    # CONNECTION_POOL_SIZE in the Configurator's nested form.
    "db_settings": "the service's pool settings (CONNECTION_POOL_SIZE)",
}


@dataclass(frozen=True)
class LunaConfig:
    """A LUNA settings file as luna-db reads it."""

    path: str
    #: The database sections present, by canonical name: `{"LUNA_STREAMS_DB": {"db_host": ...}}`.
    sections: dict[str, dict] = field(repr=False)
    #: Every section name of the file, as written (for messages).
    section_names: tuple[str, ...] = ()
    #: The `[LUNA_CONFIGURATOR]` section (keys lower case), empty when the file has none.
    configurator_section: dict = field(default_factory=dict, repr=False)

    def section(self, schema: str) -> dict:
        """The schema's section; ConfigError naming it (and a near miss in the file) when absent."""
        name = SECTIONS[schema]
        if name in self.sections:
            return self.sections[name]
        near = difflib.get_close_matches(name, self.section_names, n=1, cutoff=0.8)
        hint = f" ([{near[0]}] is there: misspelt?)" if near else ""
        raise ConfigError(f"the config file {self.path} has no [{name}] section{hint}")

    def check_has_a_database_section(self) -> None:
        """ConfigError naming both sections (and a near miss in the file) when the file holds neither."""
        if self.sections:
            return
        near = [n for n in self.section_names
                if difflib.get_close_matches(n.upper(), list(SECTIONS.values()), n=1, cutoff=0.8)]
        hint = f" ([{near[0]}] is there: misspelt?)" if near else ""
        raise ConfigError(
            f"the config file {self.path} has no [LUNA_STREAMS_DB] or [LUNA_BACKPORT3_DB] section{hint}"
        )


def read_luna_config(path: str | Path) -> LunaConfig:
    """The database sections of a LUNA settings file.

    Keys come back lower case, ignored keys left out, empty values (an
    unset `DSN =` in config.conf) left out, except an empty password, which
    is a password. Raises ConfigError (exit 2) naming the file and the bad
    key or value; never echoes a value.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read the config file {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"the config file {path} is not UTF-8 text") from None
    data = _json_data(text, path) if _is_json(text, path) else _ini_data(text, path)
    sections = {name: section_keys(values, name, path) for name, values in _database_sections(data, path).items()}
    configurator = next((values for name, values in data.items()
                         if str(name).upper() == "LUNA_CONFIGURATOR" and isinstance(values, dict)), {})
    configurator = {str(key).lower(): (value.strip() if isinstance(value, str) else value)
                    for key, value in configurator.items()}
    return LunaConfig(str(path), sections, tuple(str(name) for name in data), configurator)


def _is_json(text: str, path: Path) -> bool:
    if path.suffix.lower() == ".json":
        return True
    if path.suffix.lower() in (".conf", ".ini", ".cfg"):
        return False
    return text.lstrip().startswith(("{", "["))


def _json_data(text: str, path: Path) -> dict:
    try:
        data = json.loads(text)
    except ValueError as error:
        # json's message names line and column, never the file's values.
        raise ConfigError(f"the config file {path} is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"the config file {path} must hold a JSON object")
    if isinstance(data.get("settings"), list):  # a Configurator settings dump
        data = {
            item["name"]: item.get("value")
            for item in data["settings"] if isinstance(item, dict) and isinstance(item.get("name"), str)
        }
    return data


def _ini_data(text: str, path: Path) -> dict:
    import configparser  # only with --config: it is off the start-up path of every other command

    # No interpolation: a '%' in a password is a '%'. Keys as written, so a
    # message can name them; matching is by lower case below.
    parser = configparser.ConfigParser(interpolation=None, default_section="\0none")
    parser.optionxform = str
    try:
        parser.read_string(text, source=str(path))
    except configparser.DuplicateOptionError as error:
        raise ConfigError(f"{path}: key {error.option} appears twice in [{error.section}]") from None
    except configparser.DuplicateSectionError as error:
        raise ConfigError(f"{path}: section [{error.section}] appears twice") from None
    except configparser.MissingSectionHeaderError as error:
        raise ConfigError(f"{path} is neither JSON nor a LUNA config.conf: line {error.lineno} is outside any "
                          "[SECTION]") from None
    except configparser.Error as error:
        raise ConfigError(f"{path} is not a readable config.conf: {type(error).__name__}") from None
    return {name: dict(parser.items(name)) for name in parser.sections()}


def _database_sections(data: dict, path: Path) -> dict[str, dict]:
    """The two database sections, by their canonical names."""
    found: dict[str, dict] = {}
    for name, values in data.items():
        canonical = str(name).upper()
        if canonical not in SECTIONS.values():
            continue
        if canonical in found:
            raise ConfigError(f"{path}: section {canonical} appears twice (names are matched without case)")
        if not isinstance(values, dict):
            raise ConfigError(f"{canonical} in the config file {path} must be an object")
        found[canonical] = values
    return found


def section_keys(values: dict, section: str, path) -> dict:
    """A database section's keys, lower case, checked (a file's, or a setting pulled from the Configurator)."""
    result: dict = {}
    for key, value in values.items():
        name = str(key).lower()
        if name in IGNORED_KEYS:
            continue
        if name not in KNOWN_KEYS:
            raise ConfigError(f"unknown key {key} in [{section}] of {path}{_suggestion(name, KNOWN_KEYS + tuple(IGNORED_KEYS))}")
        if name in result:
            raise ConfigError(f"{path}: key {name.upper()} appears twice in [{section}] (keys are matched without case)")
        if isinstance(value, str):
            value = value.strip()
            if value == "" and name != "db_password":
                continue
        result[name] = value
    return result


def _suggestion(word: str, candidates) -> str:
    """`: did you mean DB_HOST?` for a near miss, else nothing."""
    names = {str(c).lower(): str(c) for c in candidates}
    match = difflib.get_close_matches(word.lower(), list(names), n=1, cutoff=0.6)
    return f": did you mean {names[match[0]].upper()}?" if match else ""
