#!/usr/bin/env bash
# optimus-init's drop-in tests need the three shells upstream's images may
# run its scripts with: sh (any), dash and bash. Plain `cargo test` skips
# a missing one with a note; here they are installed and required.
set -euo pipefail
cd "$(dirname "$0")/../.."

missing=()
for shell in dash bash; do
  command -v "$shell" >/dev/null 2>&1 || missing+=("$shell")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${missing[@]}"
fi

echo "optimus-init compat tests with sh, dash and bash required"
OPTIMUS_INIT_REQUIRE_SHELLS=1 cargo test --locked -p optimus-init --test it -- grpc::
