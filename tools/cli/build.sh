#!/usr/bin/env bash
# `make cli`: the real Pulumi CLI, built from source, plus what it needs to preview this repo's
# stacks with no cloud. Leaves, in .tools/ (git-ignored):
#   bin/pulumi                      the real CLI (github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
#   bin/pulumi-language-python      stand-in language hosts (tools/cli/cmd/*; the real ones'
#   bin/pulumi-language-python-exec   modules are not served by the Go module proxy here)
#   bin/pulumi-language-nodejs
#   standin/pulumi-resource-aws     TEST STAND-IN AWS provider (no cloud call), installed in
#                                   the CLI's plugin cache as resource aws v7.51.1 (and v7.48.0)
#   standin/pulumi-resource-aws-native  TEST STAND-IN aws-native provider (no cloud call),
#                                   installed as resource aws-native v1.84.0
#   pulumi-home/                    PULUMI_HOME (plugin cache, credentials of the file backend)
#   env.sh                          source it: PATH, PULUMI_HOME, no update check, no downloads
# Builds are cached by Go's build cache; make runs this only when tools/cli changed.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tools="$root/.tools"
aws_version="7.51.1"  # pulumi-aws==7.51.1 in requirements.txt: the plugin version its SDK asks for
ts_aws_version="7.48.0"  # @pulumi/aws in e2e/typescript: the newest the npm registry serves here
# pulumi-aws-native==X in requirements-dev.txt: the plugin version its SDK asks for
native_version="$(sed -n 's/^pulumi-aws-native==\([0-9.]*\).*/\1/p' "$root/requirements-dev.txt")"

if ! command -v go >/dev/null 2>&1; then
  echo "make cli: no Go toolchain (go 1.26+) on this machine: the real Pulumi CLI cannot be built here" >&2
  exit 3
fi
cd "$root/tools/cli"
start=$(date +%s)
version="$(go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3 2>/dev/null)" || {
  echo "make cli: cannot resolve github.com/pulumi/pulumi/pkg/v3 (is the Go module proxy reachable?)" >&2
  exit 3
}
ldflags="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version"
mkdir -p "$tools/bin" "$tools/standin" "$tools/pulumi-home"
build() {  # build OUTPUT PACKAGE
  if ! nice -n 10 go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$tools/bin/$1" "$2" 2>"$tools/build-$1.log"; then
    echo "make cli: building $1 failed (no Go module proxy?): see $tools/build-$1.log" >&2
    exit 3
  fi
}
build pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
build pulumi-language-python ./cmd/pulumi-language-python
build pulumi-language-nodejs ./cmd/pulumi-language-nodejs
install -m 0755 pulumi-language-python-exec "$tools/bin/pulumi-language-python-exec"

standin() {  # standin PACKAGE: a wrapper that runs tools/cli/pulumi_resource_<package>_standin.py
  local module="pulumi_resource_${1//-/_}_standin.py"
  cat >"$tools/standin/pulumi-resource-$1" <<EOF
#!/bin/sh
# TEST STAND-IN for pulumi-resource-$1, made by \`make cli\`: it makes no cloud call.
# See $root/tools/cli/$module (and standin_provider.py beside it)
PYTHONPATH="$root\${PYTHONPATH:+:\$PYTHONPATH}" exec "$root/.venv/bin/python" -u "$root/tools/cli/$module" "\$@"
EOF
  chmod 0755 "$tools/standin/pulumi-resource-$1"
}
standin aws
standin aws-native

cat >"$tools/env.sh" <<EOF
# Made by \`make cli\`. Source it to use the Pulumi CLI built from source ($version) with no cloud:
export PATH="$tools/bin:\$PATH"
export PULUMI_HOME="$tools/pulumi-home"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# Then: export PULUMI_BACKEND_URL=file://\$(mktemp -d) PULUMI_CONFIG_PASSPHRASE=any-fixed-passphrase
EOF
# shellcheck source=/dev/null
. "$tools/env.sh"
install_standin() {  # install_standin PACKAGE VERSION: into the CLI's plugin cache
  rm -rf "$PULUMI_HOME/plugins/resource-$1-v$2"*
  pulumi plugin install resource "$1" "$2" --file "$tools/standin/pulumi-resource-$1" >"$tools/plugin-install.log" 2>&1 || {
    echo "make cli: installing the stand-in $1 plugin failed: see $tools/plugin-install.log" >&2
    exit 3
  }
}
for v in "$aws_version" "$ts_aws_version"; do
  install_standin aws "$v"
done
install_standin aws-native "$native_version"
echo "$version" >"$tools/VERSION"
echo "make cli: Pulumi CLI $version and stand-ins in .tools/ ($(( $(date +%s) - start )) s); source .tools/env.sh"
