#!/usr/bin/env bash
# The three base images the Dockerfile names, made on this machine from Debian's packages
# and the local Rust toolchain, for hosts that reach no container registry (air-gapped
# sites, and CI here). docs/deployment.md ("Building without a registry") explains it.
#
#   scripts/base-images.sh [--made FILE]
#
#   debian:bookworm-slim                      debootstrap --variant=minbase bookworm, imported
#   rust:1.95-bookworm                        that, plus gcc/libc6-dev/make/pkg-config/git/
#                                             curl/ca-certificates from Debian, this machine's
#                                             Rust toolchain (rustc --print sysroot, without
#                                             its HTML docs) under /usr/local/rustup with
#                                             rustup's proxies in /usr/local/cargo/bin, and
#                                             this machine's extra CA certificates
#   gcr.io/distroless/cc-debian12:nonroot     a distroless-like runtime: libc6, libgcc-s1,
#                                             libstdc++6, libssl3, ca-certificates, tzdata,
#                                             base-files, netbase, media-types unpacked with
#                                             dpkg-deb -x, user nonroot (65532), imported
#
# An image that already exists is left alone (a real one pulled from a registry is used as
# it is). Needs root, debootstrap and apt-get (Debian 12), a running Docker engine, and
# Debian's mirror (the one apt uses; MIRROR overrides it). --made FILE appends the name of
# each image this run created to FILE (the container test removes only those).
# DOCKER picks the client (default /usr/bin/docker, Debian's docker.io).
set -euo pipefail
cd "$(dirname "$0")/.."
DOCKER=${DOCKER:-/usr/bin/docker}
MADE=/dev/null
[ "${1:-}" = "--made" ] && MADE=$2
RUST_VERSION=$(sed -n 's/^ARG RUST_VERSION=//p' Dockerfile)
SLIM=debian:bookworm-slim
BUILDER="rust:${RUST_VERSION}-bookworm"
RUNTIME=$(sed -n 's/^FROM \(gcr.io[^ ]*\) AS runtime$/\1/p' Dockerfile)
[ -n "$RUST_VERSION" ] && [ -n "$RUNTIME" ] || { echo "base-images: cannot read the builder and runtime images from the Dockerfile" >&2; exit 2; }
WORK=$(mktemp -d /tmp/vtoc-base-images.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
if [ -z "${MIRROR:-}" ]; then
  MIRROR=$(apt-get indextargets --format '$(REPO_URI)' 'Identifier: Packages' 2>/dev/null \
    | grep -m1 -E '/debian/?$' || true)
  MIRROR=${MIRROR:-http://deb.debian.org/debian}
fi
exists() { "$DOCKER" image inspect "$1" > /dev/null 2>&1; }
took() { echo "base-images: $1 made in $(( $(date +%s) - $2 )) s ($("$DOCKER" image inspect -f '{{.Size}}' "$1" | awk '{printf "%.1f MB", $1/1e6}'))"; }

# 1. debian:bookworm-slim
if exists "$SLIM"; then
  echo "base-images: $SLIM is present; using it"
else
  t=$(date +%s)
  echo "base-images: debootstrap --variant=minbase bookworm from $MIRROR"
  debootstrap --variant=minbase bookworm "$WORK/slim" "$MIRROR" > "$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log"; exit 1; }
  rm -rf "$WORK"/slim/var/cache/apt/archives/*.deb "$WORK"/slim/var/lib/apt/lists/*
  tar -C "$WORK/slim" -c . | "$DOCKER" import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' -c 'CMD ["bash"]' - "$SLIM" > /dev/null
  rm -rf "$WORK/slim"
  echo "$SLIM" >> "$MADE"
  took "$SLIM" "$t"
fi

# 2. the Rust builder: this machine's toolchain, which must be the Dockerfile's version.
if exists "$BUILDER"; then
  echo "base-images: $BUILDER is present; using it"
else
  t=$(date +%s)
  sysroot=$(rustc --print sysroot)
  have=$(rustc --version | awk '{print $2}')
  case "$have" in
    "$RUST_VERSION"|"$RUST_VERSION".*) ;;
    *) echo "base-images: the Dockerfile builds with Rust $RUST_VERSION, this machine has $have" >&2; exit 2 ;;
  esac
  rustup_bin=$(command -v rustup)
  name=$(basename "$sysroot")
  mkdir -p "$WORK/builder/certs"
  cp /usr/local/share/ca-certificates/*.crt "$WORK/builder/certs/" 2>/dev/null || true
  cp "$rustup_bin" "$WORK/builder/rustup"
  cat > "$WORK/builder/Dockerfile" <<EOF
FROM $SLIM
RUN apt-get update \\
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
       gcc libc6-dev make pkg-config git curl ca-certificates \\
    && rm -rf /var/lib/apt/lists/*
COPY certs/ /usr/local/share/ca-certificates/
RUN update-ca-certificates > /dev/null
COPY toolchain/ /usr/local/rustup/toolchains/$name/
COPY rustup /usr/local/cargo/bin/rustup
RUN for p in cargo rustc rustdoc; do ln -s rustup /usr/local/cargo/bin/\$p; done \\
    && printf 'version = "12"\\ndefault_toolchain = "$name"\\nprofile = "minimal"\\nauto_self_update = "disable"\\n' > /usr/local/rustup/settings.toml
ENV RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo \\
    PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
    RUST_VERSION=$have
RUN cargo --version && rustc --version
EOF
  # The context is streamed as one tar: the recipe, the certificates and the toolchain
  # (read in place, without its HTML documentation).
  tar -c -C "$WORK/builder" Dockerfile certs rustup \
      -C "$(dirname "$sysroot")" --exclude="$name/share/doc" \
      --transform "s|^$name|toolchain|" "$name" \
    | DOCKER_BUILDKIT=1 "$DOCKER" build -q -t "$BUILDER" - > /dev/null
  echo "$BUILDER" >> "$MADE"
  took "$BUILDER" "$t"
fi

# 3. the distroless-like runtime.
if exists "$RUNTIME"; then
  echo "base-images: $RUNTIME is present; using it"
else
  t=$(date +%s)
  mkdir -p "$WORK/debs" "$WORK/runtime"
  (cd "$WORK/debs" && apt-get download -q -o APT::Sandbox::User=root libc6 libgcc-s1 libstdc++6 libssl3 ca-certificates tzdata \
     base-files netbase media-types > /dev/null)
  for deb in "$WORK"/debs/*.deb; do dpkg-deb -x "$deb" "$WORK/runtime"; done
  r="$WORK/runtime"
  rm -rf "$r/usr/share/doc" "$r/usr/share/man" "$r/usr/share/lintian" "$r/usr/share/info"
  mkdir -p "$r/etc/ssl/certs" "$r/tmp" "$r/home/nonroot" "$r/root"
  chmod 1777 "$r/tmp"
  chown 65532:65532 "$r/home/nonroot"
  cat "$r"/usr/share/ca-certificates/mozilla/*.crt > "$r/etc/ssl/certs/ca-certificates.crt"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > "$r/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' > "$r/etc/group"
  printf 'hosts: files dns\n' > "$r/etc/nsswitch.conf"
  tar -C "$r" -c . | "$DOCKER" import -c 'USER 65532' -c 'WORKDIR /home/nonroot' \
    -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' - "$RUNTIME" > /dev/null
  echo "$RUNTIME" >> "$MADE"
  took "$RUNTIME" "$t"
fi
