#!/usr/bin/env bash
# One-time set-up on Debian/Ubuntu: the packages SnnDsl needs (Fashion-MNIST, Open MPI), then a Release build.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
packages=(dataset-fashion-mnist openmpi-bin libopenmpi-dev)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
fi
if ! command -v dotnet >/dev/null; then
  echo "setup: the .NET 10 SDK is required (https://dot.net); install it and run ./setup.sh again" >&2
  exit 1
fi
echo "setup: building (Release)..." >&2
dotnet build "$here/SnnDsl.sln" -c Release -nologo -v quiet >&2
echo "setup: done. Train with ./snn train, test with: dotnet run --project Tests -c Release" >&2
