#!/bin/sh
# Idempotent installer for vigil's Debian 12 build, test and bench dependencies.
# Used by `make run`, `make check` and `.ci/run`. Installs only what is missing;
# a second run does nothing and prints nothing but a one-line summary.
set -eu

# libcairo2-dev, libpango1.0-dev, fonts-dejavu-core: the Circular 20/2017
# reports (src/server/report_c20.c) are PDFs drawn with cairo + pango in a
# font that covers Vietnamese; poppler-utils: its tests read them back with
# pdftotext. libcurl4-openssl-dev: vigil-milter follows vigild's block stream, vigil-agent
# talks to vigild over HTTP(S).
PKGS="
build-essential pkg-config meson ninja-build clang clang-format
libglib2.0-dev libgmime-3.0-dev libarchive-dev libmspack-dev libytnef0-dev
libgsf-1-dev libmagic-dev libyara-dev libssl-dev libjansson-dev libsodium-dev
libcmocka-dev libseccomp-dev zlib1g-dev libpsl-dev
libcairo2-dev libpango1.0-dev fonts-dejavu-core poppler-utils
zip unzip p7zip-full sharutils xz-utils bzip2 cpio genisoimage gcab
python3 yara clamav
libmilter-dev libmicrohttpd-dev libsqlite3-dev libpq-dev sqlite3 libcurl4-openssl-dev
postfix dovecot-core dovecot-imapd dovecot-lmtpd swaks curl
postgresql postgresql-client
chromium nodejs wrk
"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

# npm drives headless Chromium in the UI test (playwright-core); it comes with
# Debian's "npm" package, or inside NodeSource's nodejs (which conflicts with it)
command -v npm >/dev/null 2>&1 || missing="$missing npm"

if [ -z "$missing" ]; then
	echo "install-deps: all $(echo $PKGS | wc -w) packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing" >&2
	echo "install-deps: run as root (or: sudo $0) to install them" >&2
	exit 1
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# Postfix must not configure or start a system mail service: vigil runs its
# own instances under its data folder (scripts/stack.sh).
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
echo "install-deps: done"
