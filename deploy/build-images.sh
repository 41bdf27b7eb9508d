#!/usr/bin/env bash
# Builds the three images of deploy/Dockerfile with podman (or docker):
#
#   localhost/optimus-plugin:dev       optimus-plugin, no shell, uid 65532
#   localhost/optimus-init:dev         optimus-init, no shell, uid 65532
#   localhost/optimus-init:dev-compat  the same plus a static /bin/sh and
#                                      /opt/entrypoint_init_container.sh
#
# Usage: deploy/build-images.sh [--stand-ins] [--host-build] [--tag TAG]
#
#   (no option)    real base images (pulled as needed), compiled in the
#                  Dockerfile's builder stage
#   --stand-ins    no registry needed: make local stand-ins of the base
#                  images first (see below) and build with --pull=never
#   --host-build   compile on this host instead of in the builder stage:
#                  `cargo build --release --locked` with crt-static and the
#                  Dockerfile's path remapping, then BINARIES=prebuilt. The
#                  builder image is then not needed at all.
#   --tag TAG      image tag (default dev; the compat image gets TAG-compat)
#
# Environment: ENGINE (podman or docker; default podman when installed),
# CONTAINERS_CONF (podman; default deploy/containers.conf), CARGO_TARGET_DIR.
#
# The stand-ins (localhost/optimus-stand-in/...), made from this machine's
# packages:
#   static:nonroot  FROM scratch: CA bundle, /etc/passwd and /etc/group with
#                   root and nonroot (65532), /home/nonroot, /tmp 1777
#   busybox:static  FROM scratch: the static busybox of busybox-static
#   rust:1.95.0     (without --host-build) Debian from debootstrap
#                   --variant=minbase with gcc and libc6-dev, plus a copy of
#                   this host's rustup toolchain for rust-toolchain.toml,
#                   which cannot be downloaded where no registry is reachable
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

stand_ins=false host_build=false tag=dev
while [ $# -gt 0 ]; do
  case "$1" in
    --stand-ins) stand_ins=true ;;
    --host-build) host_build=true ;;
    --tag) tag=${2:?--tag needs a value}; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-images.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

fail() { echo "build-images.sh: $*" >&2; exit 1; }
step() { echo "build-images.sh: $*"; }

if [ -z "${ENGINE:-}" ]; then
  if command -v podman >/dev/null 2>&1; then ENGINE=podman
  elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then ENGINE=docker
  else fail "neither podman nor a running docker found (apt-get install podman buildah runc)"
  fi
fi
if [ "$ENGINE" = podman ]; then
  export CONTAINERS_CONF=${CONTAINERS_CONF:-$root/deploy/containers.conf}
fi
engine() { "$ENGINE" "$@"; }

# import_stand_in TAR IMAGE CHANGE...: imports TAR as IMAGE unless IMAGE
# already holds that very tar (a label records its digest), so reruns reuse
# the image and the build cache stays valid.
import_stand_in() {
  local tar=$1 image=$2 digest have change_args=()
  shift 2
  digest=$(sha256sum "$tar" | cut -d' ' -f1)
  have=$(engine image inspect --format '{{index .Labels "org.optimus.stand-in.tar-sha256"}}' "$image" 2>/dev/null || true)
  [ "$have" = "$digest" ] && return 0
  for c in "$@" "LABEL org.optimus.stand-in.tar-sha256=$digest"; do change_args+=(--change "$c"); done
  engine import --quiet "${change_args[@]}" "$tar" "$image" >/dev/null
}

triple=$(rustc -vV 2>/dev/null | sed -n 's/^host: //p' || true)
case "$triple" in
  x86_64-unknown-linux-gnu | aarch64-unknown-linux-gnu | "") ;;
  *) fail "host triple $triple: the images are built for x86_64/aarch64 Linux" ;;
esac

build_args=()
pull=()
if $stand_ins; then
  [ "$ENGINE" = podman ] && pull=(--pull=never)
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT

  step "stand-in runtime image localhost/optimus-stand-in/static:nonroot"
  rt=$tmp/runtime
  mkdir -p "$rt"/{etc/ssl/certs,tmp,home/nonroot}
  [ -s /etc/ssl/certs/ca-certificates.crt ] || fail "no /etc/ssl/certs/ca-certificates.crt (apt-get install ca-certificates)"
  cp /etc/ssl/certs/ca-certificates.crt "$rt/etc/ssl/certs/"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$rt/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$rt/etc/group"
  chmod 1777 "$rt/tmp"
  chmod 0700 "$rt/home/nonroot"
  chown 65532:65532 "$rt/home/nonroot"
  tar --numeric-owner --sort=name --mtime=@0 -C "$rt" -cf "$tmp/runtime.tar" .
  import_stand_in "$tmp/runtime.tar" localhost/optimus-stand-in/static:nonroot \
    'ENV PATH=/usr/local/bin:/usr/bin:/bin' 'USER 65532:65532'

  step "stand-in busybox image localhost/optimus-stand-in/busybox:static"
  busybox=$(command -v busybox || true)
  [ -n "$busybox" ] || fail "no busybox (apt-get install busybox-static)"
  case "$(LC_ALL=C file -L "$busybox" 2>/dev/null || ldd "$busybox" 2>&1)" in
    *"statically linked"* | *"static-pie linked"* | *"not a dynamic executable"*) ;;
    *) fail "$busybox is not static (apt-get install busybox-static)" ;;
  esac
  mkdir -p "$tmp/busybox/bin"
  install -m 0755 "$busybox" "$tmp/busybox/bin/busybox"
  for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$tmp/busybox/bin/$applet"
  done
  tar --numeric-owner --owner=0 --group=0 --sort=name --mtime=@0 -C "$tmp/busybox" -cf "$tmp/busybox.tar" .
  import_stand_in "$tmp/busybox.tar" localhost/optimus-stand-in/busybox:static 'ENV PATH=/bin' 'CMD ["/bin/sh"]'

  build_args+=(--build-arg RUNTIME_IMAGE=localhost/optimus-stand-in/static:nonroot
               --build-arg BUSYBOX_IMAGE=localhost/optimus-stand-in/busybox:static)

  if ! $host_build; then
    step "stand-in builder localhost/optimus-stand-in/rust:1.95.0 (debootstrap, a few minutes)"
    channel=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
    toolchain=$(rustc --print sysroot 2>/dev/null || true)
    [ -x "$toolchain/bin/cargo" ] || fail "no rustup toolchain for $channel on this host to copy into the builder"
    command -v debootstrap >/dev/null || fail "no debootstrap (apt-get install debootstrap)"
    mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\/*\)$/\1/p; s/^deb \(http[^ ]*\) bookworm main.*/\1/p' \
      /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list 2>/dev/null | head -1 || true)
    debootstrap --variant=minbase --include=gcc,libc6-dev,ca-certificates bookworm "$tmp/builder" \
      "${mirror:-http://deb.debian.org/debian}" >"$tmp/debootstrap.log" 2>&1 \
      || { tail -20 "$tmp/debootstrap.log" >&2; fail "debootstrap failed"; }
    rm -rf "$tmp/builder/var/cache/apt/archives/"*.deb "$tmp/builder/var/lib/apt/lists/"*
    # Trust what this host trusts (cargo in the builder fetches from
    # crates.io through the same network, a TLS proxy included).
    cp /etc/ssl/certs/ca-certificates.crt "$tmp/builder/etc/ssl/certs/ca-certificates.crt"
    mkdir -p "$tmp/builder/usr/local/rust" "$tmp/builder/usr/local/cargo"
    # The toolchain without its documentation (about 800 MB of HTML).
    tar -C "$toolchain/" --exclude=./share/doc -cf - . | tar -C "$tmp/builder/usr/local/rust" -xf -
    tar --numeric-owner -C "$tmp/builder" -cf "$tmp/builder.tar" .
    import_stand_in "$tmp/builder.tar" "localhost/optimus-stand-in/rust:$channel" \
      'ENV PATH=/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      'ENV CARGO_HOME=/usr/local/cargo'
    build_args+=(--build-arg "RUST_IMAGE=localhost/optimus-stand-in/rust:$channel")
    # cargo in the builder fetches the crates of Cargo.lock from crates.io
    # the way this host does (no bridge network needed on the machine).
    pull+=(--network host)
  fi
fi

context=$root
ignore=()
# BuildKit reads deploy/Dockerfile.dockerignore by itself; podman is told.
[ "$ENGINE" = podman ] && ignore=(--ignorefile deploy/Dockerfile.dockerignore)
if $host_build; then
  [ -n "$triple" ] || fail "--host-build needs rustc/cargo on this host"
  step "static release build on the host ($triple), as the Dockerfile's builder does"
  target_dir=${CARGO_TARGET_DIR:-$root/target}
  # One package per build, as in the Dockerfile: built together, optimus-init
  # would get the cloud stores optimus-plugin enables (cargo unifies features).
  for b in optimus-plugin optimus-init; do
    RUSTFLAGS="-C target-feature=+crt-static --remap-path-prefix=$root=. --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo" \
      cargo build --release --locked --quiet --target "$triple" --target-dir "$target_dir" -p "$b"
  done
  # A small context of its own: the binaries and the one file the compat
  # target copies, instead of the whole source tree.
  context=$(mktemp -d)
  trap 'rm -rf "${tmp:-}" "$context"' EXIT
  mkdir -p "$context/prebuilt" "$context/deploy"
  for b in optimus-plugin optimus-init; do
    case "$(LC_ALL=C file -L "$target_dir/$triple/release/$b" 2>/dev/null || ldd "$target_dir/$triple/release/$b" 2>&1)" in
      *"statically linked"* | *"static-pie linked"* | *"not a dynamic executable"*) ;;
      *) fail "$b is not static: the runtime image has no libc" ;;
    esac
    cp "$target_dir/$triple/release/$b" "$context/prebuilt/"
  done
  cp deploy/entrypoint_init_container.sh "$context/deploy/"
  build_args+=(--build-arg BINARIES=prebuilt)
  ignore=()
else
  # Given even though it is the default: buildah (podman 4.3) resolves a
  # stage named through an ARG only when the ARG comes from the command line.
  build_args+=(--build-arg BINARIES=builder)
fi

case "$triple" in
  aarch64-*) build_args+=(--build-arg TARGETARCH=arm64) ;;
  *) build_args+=(--build-arg TARGETARCH=amd64) ;;
esac
build_args+=(--build-arg "SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 0)")
for target in optimus-plugin:optimus-plugin:$tag optimus-init:optimus-init:$tag optimus-init-compat:optimus-init:$tag-compat; do
  stage=${target%%:*} image=localhost/${target#*:}
  step "$image (target $stage)"
  engine build "${pull[@]}" "${ignore[@]}" --quiet -f deploy/Dockerfile --target "$stage" "${build_args[@]}" \
    -t "$image" "$context" >/dev/null
done
engine images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E "^localhost/optimus-(init|plugin):$tag" || true
