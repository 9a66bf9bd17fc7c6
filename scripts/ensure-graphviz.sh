#!/usr/bin/env bash
# `luna-db diagram` draws SVG and PNG with Graphviz's `dot` program (DOT needs
# nothing). Install Debian's graphviz package when it is missing and we are
# root; otherwise say so and go on: the tests that need `dot` skip, saying why.
set -euo pipefail
if command -v dot >/dev/null; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "Graphviz's dot not found: SVG/PNG diagrams (and their tests) need the 'graphviz' package" >&2
  exit 0
fi
echo "installing Graphviz (Debian) ..." >&2
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends graphviz >/dev/null; }; then
  echo "could not install Graphviz: the SVG/PNG diagram tests will skip" >&2
fi
