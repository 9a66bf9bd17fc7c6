"""What `pip install luna-db-tools` brings: squawk wherever squawk-cli has a wheel, and the extras the README lists."""

from __future__ import annotations

import re

import pytest
import tomllib
from packaging.markers import default_environment
from packaging.requirements import Requirement

from tests.clirunner import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

#: The platforms squawk-cli 2.70.0 publishes wheels for, as read from PyPI with
#: `pip download squawk-cli==2.70.0 --no-deps --only-binary=:all: --platform TAG`:
#: manylinux_2_28_{x86_64,aarch64}, macosx_10_12_x86_64, macosx_11_0_arm64, win32, win_amd64.
WITH_WHEELS = [("linux", "x86_64"), ("linux", "aarch64"), ("darwin", "x86_64"), ("darwin", "arm64"),
               ("win32", "AMD64"), ("win32", "x86")]
#: And some it does not (no musllinux, i686, ppc64le, s390x, armv7l or Windows ARM64 wheel was found).
WITHOUT = [("linux", "ppc64le"), ("linux", "s390x"), ("linux", "armv7l"), ("linux", "i686"), ("win32", "ARM64"),
           ("freebsd14", "amd64")]


def squawk_requirement() -> Requirement:
    [squawk] = [Requirement(text) for text in PROJECT["dependencies"] if Requirement(text).name == "squawk-cli"]
    return squawk


@pytest.mark.parametrize(("platform", "machine"), WITH_WHEELS + WITHOUT)
def test_squawk_is_a_dependency_exactly_where_it_has_wheels(platform, machine):
    environment = default_environment() | {"sys_platform": platform, "platform_machine": machine}
    assert squawk_requirement().marker.evaluate(environment) is ((platform, machine) in WITH_WHEELS)


def test_this_machine_gets_squawk_and_the_lint_extra_stays():
    assert squawk_requirement().marker.evaluate()  # the test machine is one with wheels
    assert str(squawk_requirement().specifier) == str(Requirement(PROJECT["optional-dependencies"]["lint"][0]).specifier)


def test_the_readme_install_section_lists_every_extra():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    install = readme.split("## Install", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"\.\[(\w+)\]", install))
    assert listed == set(PROJECT["optional-dependencies"])
