#!/usr/bin/env bash
# Make a local Python 3.11 base image (Debian bookworm, debootstrap) for machines without a
# container registry: `image/make-base-image.sh [NAME]`, default localhost/nb2service-base.
# Reused when it already exists, so local reruns are quick; FORCE=1 makes it again.
set -euo pipefail
name=${1:-localhost/nb2service-base}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
if [ -z "${FORCE:-}" ] && buildah inspect --type image "$name" >/dev/null 2>&1; then
  echo "---> Reusing base image $name"
  exit 0
fi
root=$(mktemp -d /tmp/nb2service-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "---> Making base image $name with debootstrap (bookworm, $mirror)"
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$root" "$mirror" >/dev/null
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | podman import -q --change 'CMD ["/bin/bash"]' - "$name" >/dev/null
echo "---> Made base image $name"
