#!/usr/bin/env bash
# install-deps.sh: install the Debian 12 packages postdesk builds and tests with (only what is missing).
set -euo pipefail

# libcurl4-gnutls-dev, not -openssl-dev: the OpenSSL one conflicts with
# libetpan-dev, and apt would silently remove libetpan-dev to install it.
PACKAGES=(
	build-essential autoconf automake libtool pkg-config
	libglib2.0-dev libgmime-3.0-dev libytnef0-dev libjson-glib-dev libxml2-dev libetpan-dev libdb5.3-dev
	libpcre2-dev libcurl4-gnutls-dev libgnutls28-dev
	db5.3-util python3 openssl
	dovecot-imapd dovecot-pop3d python3-aiosmtpd
	libsasl2-modules  # the PLAIN mechanism behind IMAP AUTHENTICATE PLAIN (libetpan uses Cyrus SASL)
)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root (or: sudo apt-get install ${missing[*]})" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
