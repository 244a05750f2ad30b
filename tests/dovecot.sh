# dovecot.sh: a throwaway, rootless Dovecot (IMAP + POP3, TLS from a throwaway CA) on free loopback ports, for shell tests and benchmarks.
#
#   dovecot_available                 is Dovecot (imapd and pop3d) installed?
#   dovecot_start DIR                 make the CA and certificates, pick free ports, start; sets
#       DOVECOT_IMAP_PORT DOVECOT_IMAPS_PORT DOVECOT_POP3_PORT DOVECOT_POP3S_PORT (loopback),
#       DOVECOT_CA (the CA file), DOVECOT_USER / DOVECOT_PASSWORD, DOVECOT_MAILDIR (the user's Maildir)
#   dovecot_stop DIR                  stop it and wait until it is gone (idempotent)
#   dovecot_restart DIR               stop, then start again on the same ports
#
# Certificates: 127.0.0.1 presents a certificate for DNS:localhost and IP:127.0.0.4 signed
# by the CA (so host = localhost verifies and host = 127.0.0.1 is the wrong host);
# 127.0.0.2 presents a self-signed one; 127.0.0.3 one signed by the CA that expired in 2020.
# 127.0.0.4 is an older server: IMAP without IDLE and MOVE (UIDPLUS only).
# Started by root, Dovecot runs as nobody (setpriv); otherwise as the caller.

DOVECOT_BIN=${DOVECOT_BIN:-/usr/sbin/dovecot}
DOVECOT_USER=tester
DOVECOT_PASSWORD=secret

dovecot_available() {
	[ -x "$DOVECOT_BIN" ] && [ -x /usr/lib/dovecot/imap ] && [ -x /usr/lib/dovecot/pop3 ] && command -v openssl >/dev/null
}

# A port nobody listens on now (the kernel's choice); a race with other programs is
# possible but rare, and dovecot_start tries again with new ports when it happens.
_dovecot_free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

_dovecot_certs() {  # _dovecot_certs TLSDIR
	(
		cd "$1" || exit 1
		ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
		openssl req -x509 $ec -keyout ca.key -out ca.pem -days 3 -subj "/CN=postdesk test CA" \
			-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign || exit 1
		openssl req $ec -keyout server.key -out server.csr -subj /CN=localhost || exit 1
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.4\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > server.ext
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3 \
			-extfile server.ext -out server.pem || exit 1
		openssl req -x509 $ec -keyout self.key -out self.pem -days 3 -subj /CN=localhost \
			-addext subjectAltName=DNS:localhost,IP:127.0.0.2 || exit 1
		# An expired certificate needs explicit dates, which only `openssl ca` takes.
		openssl req $ec -keyout expired.key -out expired.csr -subj /CN=localhost \
			-addext subjectAltName=DNS:localhost,IP:127.0.0.3 || exit 1
		: > index.txt
		echo 01 > serial
		cat > ca.cnf <<-CNF
			[ca]
			default_ca = test
			[test]
			database = index.txt
			new_certs_dir = .
			certificate = ca.pem
			private_key = ca.key
			serial = serial
			default_md = sha256
			policy = any
			copy_extensions = copy
			[any]
			commonName = supplied
		CNF
		openssl ca -batch -notext -config ca.cnf -startdate 20200101000000Z -enddate 20200201000000Z \
			-in expired.csr -out expired.pem || exit 1
	) >"$1/openssl.log" 2>&1
}

_dovecot_config() {  # _dovecot_config DIR UID GID
	_dd=$1
	_dh=
	[ -f /usr/share/dovecot/dh.pem ] && _dh="ssl_dh = </usr/share/dovecot/dh.pem"
	printf '%s:{PLAIN}%s:%s:%s::%s/home/%s\n' "$DOVECOT_USER" "$DOVECOT_PASSWORD" "$2" "$3" "$_dd" "$DOVECOT_USER" > "$_dd/passwd"
	cat > "$_dd/dovecot.conf" <<CONF
base_dir = $_dd/run
state_dir = $_dd/state
instance_name = pd-dovecot-$$-$(basename "$_dd")
log_path = $_dd/dovecot.log
protocols = imap pop3
listen = 127.0.0.1, 127.0.0.2, 127.0.0.3, 127.0.0.4
ssl = yes
ssl_cert = <$_dd/tls/server.pem
ssl_key = <$_dd/tls/server.key
$_dh
local 127.0.0.2 {
  ssl_cert = <$_dd/tls/self.pem
  ssl_key = <$_dd/tls/self.key
}
local 127.0.0.3 {
  ssl_cert = <$_dd/tls/expired.pem
  ssl_key = <$_dd/tls/expired.key
}
local 127.0.0.4 {
  protocol imap {
    imap_capability = IMAP4rev1 LITERAL+ UIDPLUS
  }
}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = $4
default_internal_group = $5
default_login_user = $4
first_valid_uid = 1
mail_location = maildir:~/Maildir
pop3_uidl_format = %08Xv%08Xu
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $_dd/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $_dd/passwd
}
service imap-login {
  chroot =
  inet_listener imap {
    port = $DOVECOT_IMAP_PORT
  }
  inet_listener imaps {
    port = $DOVECOT_IMAPS_PORT
    ssl = yes
  }
}
service pop3-login {
  chroot =
  inet_listener pop3 {
    port = $DOVECOT_POP3_PORT
  }
  inet_listener pop3s {
    port = $DOVECOT_POP3S_PORT
    ssl = yes
  }
}
service anvil {
  chroot =
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
CONF
}

_dovecot_listening() {  # all four ports accept connections
	# shellcheck disable=SC2046
	/usr/bin/python3 - $(cat "$1/ports") <<'PY'
import socket, sys
for p in sys.argv[1:]:
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", int(p)))
    except OSError:
        sys.exit(1)
    finally:
        s.close()
PY
}

_dovecot_run() {  # _dovecot_run DIR: start the master and wait for the ports; 1 if it did not come up
	_dd=$1
	if [ "$(id -u)" -eq 0 ]; then
		chown -R nobody:nogroup "$_dd"
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$DOVECOT_BIN" -c "$_dd/dovecot.conf" 2>>"$_dd/start.log"
	else
		"$DOVECOT_BIN" -c "$_dd/dovecot.conf" 2>>"$_dd/start.log"
	fi || return 1
	_di=0
	until _dovecot_listening "$_dd"; do
		if [ "$_di" -ge 100 ] || ! [ -s "$_dd/run/master.pid" ]; then
			return 1
		fi
		_di=$((_di + 1))
		sleep 0.05
	done
	return 0
}

dovecot_start() {  # dovecot_start DIR
	_dd=$1
	mkdir -p "$_dd/tls" "$_dd/home/$DOVECOT_USER/Maildir/new" "$_dd/home/$DOVECOT_USER/Maildir/cur" \
		"$_dd/home/$DOVECOT_USER/Maildir/tmp" || return 1
	# mktemp makes 0700 directories: the unprivileged Dovecot must reach its files.
	_dp=$_dd
	while [ "$_dp" != / ] && [ "$_dp" != "${TMPDIR:-/tmp}" ]; do
		chmod a+x "$_dp" 2>/dev/null || true
		_dp=$(dirname "$_dp")
	done
	_dovecot_certs "$_dd/tls" || { echo "dovecot.sh: cannot make certificates; see $_dd/tls/openssl.log" >&2; return 1; }
	DOVECOT_CA=$_dd/tls/ca.pem
	DOVECOT_MAILDIR=$_dd/home/$DOVECOT_USER/Maildir
	if [ "$(id -u)" -eq 0 ]; then
		set -- "$_dd" 65534 65534 nobody nogroup
	else
		set -- "$_dd" "$(id -u)" "$(id -g)" "$(id -un)" "$(id -gn)"
	fi
	for _try in 1 2 3; do
		DOVECOT_IMAP_PORT=$(_dovecot_free_port) DOVECOT_IMAPS_PORT=$(_dovecot_free_port)
		DOVECOT_POP3_PORT=$(_dovecot_free_port) DOVECOT_POP3S_PORT=$(_dovecot_free_port)
		_dovecot_config "$@"
		echo "$DOVECOT_IMAP_PORT $DOVECOT_IMAPS_PORT $DOVECOT_POP3_PORT $DOVECOT_POP3S_PORT" > "$_dd/ports"
		_dovecot_run "$_dd" && return 0
		dovecot_stop "$_dd"
	done
	echo "dovecot.sh: Dovecot did not start; see $_dd/dovecot.log and $_dd/start.log" >&2
	return 1
}

dovecot_stop() {  # dovecot_stop DIR
	_dd=$1
	[ -s "$_dd/run/master.pid" ] || return 0
	_dpid=$(cat "$_dd/run/master.pid")
	# The master leads its own process group (it called setsid); the mail
	# processes that outlive it (IMAP sessions do) go with the group, as
	# they would with the service's cgroup under systemd.
	kill -TERM "$_dpid" 2>/dev/null || true
	_di=0
	while kill -0 "$_dpid" 2>/dev/null && [ "$_di" -lt 200 ]; do  # 10 s; it normally takes 2-3 s
		_di=$((_di + 1))
		sleep 0.05
	done
	kill -TERM -- "-$_dpid" 2>/dev/null || true
	_di=0
	while kill -0 -- "-$_dpid" 2>/dev/null; do
		[ "$_di" -ne 40 ] || kill -KILL -- "-$_dpid" 2>/dev/null || true
		_di=$((_di + 1))
		sleep 0.05
	done
	rm -f "$_dd/run/master.pid"
}

dovecot_restart() {  # dovecot_restart DIR
	dovecot_stop "$1" && _dovecot_run "$1"
}
