#!/bin/sh
# queuectl installer: downloads the release binary for this OS and CPU, checks its SHA-256
# against the release's .sha256 file, and installs it.
#
#   curl -fsSL https://github.com/queuectl/queuectl/releases/latest/download/install.sh | sh
#   sh install.sh --version 0.1.0
#
# Plain POSIX sh (dash, busybox, macOS's sh), since `| sh` runs whatever /bin/sh is.
set -eu

usage() {
	cat <<'EOF'
Install queuectl from a GitHub release.

Usage: install.sh [--version X.Y.Z]

Options:
  --version X.Y.Z   install that release (default: the latest)
  -h, --help        show this help

Environment:
  QUEUECTL_VERSION       the release to install, as --version (the flag wins)
  QUEUECTL_INSTALL_DIR   where to put queuectl (default: $HOME/.local/bin)
  QUEUECTL_REPO          the GitHub repository (default: queuectl/queuectl)
  QUEUECTL_RELEASE_URL   the releases URL (default: https://github.com/$QUEUECTL_REPO/releases);
                         assets are read from URL/latest/download/ or URL/download/vX.Y.Z/
EOF
}

say() {
	printf '%s\n' "$*"
}

die() {
	printf 'queuectl install: %s\n' "$*" >&2
	exit 1
}

# The Rust target triple of this machine, named as the release assets are.
detect_target() {
	os=$(uname -s)
	arch=$(uname -m)
	case "$os" in
	Linux)
		os_part=unknown-linux-gnu
		# The Linux binaries link glibc: on musl (Alpine) they cannot start at all.
		if is_musl; then
			die "this system's C library is musl (Alpine?), but the release binaries need glibc: use a glibc-based system or image (Debian, Ubuntu, Fedora)"
		fi
		;;
	Darwin)
		os_part=apple-darwin
		# A shell under Rosetta sees x86_64 on an Apple silicon Mac: take the native binary.
		if [ "$arch" = x86_64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || true)" = 1 ]; then
			arch=arm64
		fi
		;;
	MINGW* | MSYS* | CYGWIN* | Windows_NT)
		die "this script installs on Linux and macOS; on Windows, download queuectl-x86_64-pc-windows-msvc.zip from $releases"
		;;
	*) die "unsupported OS \"$os\": release binaries exist for Linux and macOS only" ;;
	esac
	case "$arch" in
	x86_64 | amd64) arch_part=x86_64 ;;
	aarch64 | arm64) arch_part=aarch64 ;;
	*) die "unsupported CPU \"$arch\" on $os: release binaries exist for x86_64 and aarch64 (arm64) only" ;;
	esac
	printf '%s-%s\n' "$arch_part" "$os_part"
}

# Whether the C library is musl: its loader is there, or ldd says so.
is_musl() {
	for loader in /lib/ld-musl-*.so.1; do
		[ -e "$loader" ] && return 0
	done
	ldd --version 2>&1 | grep -qi musl
}

# download URL FILE: with curl (which also reads file:// URLs), else wget. HTTPS only: curl
# follows no redirect off it (a file:// release, for testing, stays file://); wget refuses only
# a URL that is not https (its --https-only governs recursive downloads alone).
download() {
	case "$1" in
	file://*) proto='=file' ;;
	https://*) proto='=https' ;;
	*) die "refusing to download $1: only https:// URLs are used" ;;
	esac
	if command -v curl >/dev/null 2>&1; then
		curl -fsSL --proto "$proto" --proto-redir "$proto" -o "$2" "$1" || die "cannot download $1"
	elif command -v wget >/dev/null 2>&1; then
		if [ "$proto" = '=https' ]; then
			wget -q --https-only -O "$2" "$1" || die "cannot download $1"
		else
			wget -q -O "$2" "$1" || die "cannot download $1"
		fi
	else
		die "neither curl nor wget is installed: install one of them and run this again"
	fi
}

sha256_of() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | cut -d ' ' -f 1
	elif command -v shasum >/dev/null 2>&1; then
		shasum -a 256 "$1" | cut -d ' ' -f 1
	else
		die "cannot verify the download: neither sha256sum nor shasum is installed"
	fi
}

# verify FILE CHECKSUM_FILE: the first word of the .sha256 file must be FILE's SHA-256.
verify() {
	expected=$(cut -d ' ' -f 1 "$2" | head -n 1 | tr 'A-F' 'a-f')
	actual=$(sha256_of "$1")
	if [ "$expected" != "$actual" ]; then
		die "checksum mismatch for $(basename "$1"): expected ${expected:-nothing}, got $actual; nothing was installed"
	fi
}

main() {
	version=${QUEUECTL_VERSION:-}
	while [ $# -gt 0 ]; do
		case "$1" in
		--version)
			[ $# -ge 2 ] || die "--version needs a value, such as --version 0.1.0"
			version=$2
			shift 2
			;;
		--version=*)
			version=${1#--version=}
			shift
			;;
		-h | --help)
			usage
			exit 0
			;;
		*) die "unknown argument \"$1\" (see --help)" ;;
		esac
	done
	version=${version#v}
	# A version number only: anything else would become part of the download URL.
	case "$version" in
	'') ;;
	[0-9]*.[0-9]*.[0-9]*)
		case "$version" in
		*[!0-9A-Za-z.+-]* | *..*) die "--version must be a version number such as 0.1.0, not \"$version\"" ;;
		esac
		;;
	*) die "--version must be a version number such as 0.1.0, not \"$version\"" ;;
	esac
	releases=${QUEUECTL_RELEASE_URL:-https://github.com/${QUEUECTL_REPO:-queuectl/queuectl}/releases}
	releases=${releases%/}
	target=$(detect_target)
	asset=queuectl-$target.tar.gz
	if [ -n "$version" ]; then
		url=$releases/download/v$version/$asset
	else
		url=$releases/latest/download/$asset
	fi
	install_dir=${QUEUECTL_INSTALL_DIR:-${HOME:?HOME is not set: set QUEUECTL_INSTALL_DIR}/.local/bin}

	work=$(mktemp -d 2>/dev/null || mktemp -d -t queuectl)
	trap 'rm -rf "$work"' EXIT
	trap 'exit 130' INT TERM
	say "Downloading $url"
	download "$url" "$work/$asset"
	download "$url.sha256" "$work/$asset.sha256"
	verify "$work/$asset" "$work/$asset.sha256"
	tar -xzf "$work/$asset" -C "$work" queuectl || die "$asset holds no queuectl binary"
	chmod 755 "$work/queuectl"
	# Run it before it replaces anything: a binary that cannot start here is not installed.
	# (In a subshell of its own, so that a shell's "Killed" goes to the same file.)
	# (--version also looks at the database: point it at none, so the user's is never touched.)
	if ! installed_version=$( (QUEUECTL_DB="$work/probe.db" "$work/queuectl" --version || exit) 2>"$work/stderr"); then
		die "the downloaded queuectl does not start on this machine ($(head -n 1 "$work/stderr")); nothing was installed"
	fi
	installed_version=$(printf '%s\n' "$installed_version" | head -n 1)

	mkdir -p "$install_dir" || die "cannot create $install_dir"
	# Copy beside the target, then rename: a running queuectl keeps its old file intact.
	cp "$work/queuectl" "$install_dir/.queuectl.new" || die "cannot write to $install_dir"
	chmod 755 "$install_dir/.queuectl.new"
	mv -f "$install_dir/.queuectl.new" "$install_dir/queuectl"
	say "Installed $installed_version to $install_dir/queuectl"
	case ":$PATH:" in
	*":$install_dir:"*) ;;
	*)
		say "$install_dir is not on your PATH: add it, for example in ~/.profile:"
		say "  export PATH=\"$install_dir:\$PATH\""
		;;
	esac
}

main "$@"
