#!/bin/sh
# scripts/stack.sh start|stop|status [BASE_DIR] - vigil's local mail stack.
#
#   Postfix (SMTP, 127.0.0.1:$VIGIL_SMTP_PORT) -> vigil-milter -> Dovecot (LMTP
#   127.0.0.1:$VIGIL_LMTP_PORT, IMAP 127.0.0.1:$VIGIL_IMAP_PORT) with the
#   mailboxes of a demo organisation (bhxh.example).
#
# Everything lives under BASE_DIR (default: var/ in the repository; `make run`
# and `make stop` use it): the configuration this script writes, the Postfix
# queue, the Dovecot mailboxes, vigil's store, spool, quarantine and journal,
# sockets, pid files and logs. Nothing outside BASE_DIR is written: no file in
# /etc, no system service, no user. Postfix runs as its own instance
# (`postfix -c BASE/postfix/etc`, reading /etc/postfix/postfix-files only as
# meta_directory), Dovecot as its own instance (`dovecot -c
# BASE/dovecot/dovecot.conf`). Runs as root (Postfix and Dovecot start as root
# and drop to their own users: postfix, dovecot, dovenull; mail is owned by
# nobody:nogroup).
#
# vigil-milter is started when $VIGIL_BUILD/src/vigil-milter exists, and
# waited for (socket present) before Postfix starts; Postfix then refuses mail
# with a 4xx when the milter does not answer (milter_default_action =
# tempfail). Without the binary Postfix runs WITHOUT a milter and `status`
# says so loudly. The milter stays root here (user = empty): only root may
# run this Postfix instance's sendmail (-C), which quarantine release uses;
# see docs/operations.md.
#
# start  generates the configuration (re-generated on every start; a running
#        service whose configuration changed is reloaded), starts what is not
#        running, waits until SMTP, LMTP and IMAP greet, and prints how to use
#        the stack. Idempotent.
# stop   stops Postfix, vigil-milter and Dovecot cleanly, then kills what is
#        left, by this stack's pid files only (never by process name).
# status what runs; exit 0 when everything this stack should run runs, 3 if not.
#
# Environment (recorded in BASE/stack.env by start; later commands on the same
# BASE reuse the recorded values unless the environment sets them again):
#   VIGIL_SMTP_PORT (10025) VIGIL_LMTP_PORT (10024) VIGIL_IMAP_PORT (10143)
#   VIGIL_METRICS_PORT (9425)  VIGIL_BUILD (build/ of the repository)
#   VIGIL_DEMO_PASSWORD (the password of every demo mailbox: vigil-demo)
#   VIGIL_MAX_MESSAGE_SIZE (vigil-milter's max_message_size: 25m)
#   VIGIL_SCAN_TIMEOUT (vigil-milter's scan_timeout: 60)  VIGIL_WORKERS (2)
#   VIGIL_RULES (vigil-milter's rules: default the repository's rules/default)
#   VIGIL_MILTER (off: no milter, for benchmarks; not recorded)
#   VIGIL_INBOUND_MALICIOUS (the inbound action for malicious mail, default
#   quarantine; e.g. hold for Postfix's hold queue; not recorded)
#   VIGIL_TRANSPORT (where Postfix delivers, default Dovecot's LMTP; benchmarks
#   use smtp:[127.0.0.1]:PORT of an smtp-sink; not recorded)
#   VIGIL_DB (vigil-milter's store: default a SQLite file under BASE; or a
#   postgresql://... URL)
#   VIGIL_WORKER_MEMORY (vigil-milter's worker_memory: 2g; 0 = no limit, which
#   AddressSanitizer builds need)
#   VIGIL_BLOCKS_URL, VIGIL_BLOCKS_TOKEN_FILE (vigil-milter's [vigild] url and
#   token_file: follow that vigild's block list, docs/blocks.md; default none;
#   the token file defaults to BASE/vigil/gateway.token and may be written
#   after start: the milter retries)
#   VIGIL_VIGILD (off: no vigild in this stack, e.g. a second gateway that
#   follows another stack's vigild; not recorded)
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
HERE="$TOP/scripts/stack"
CMD=${1:-}
BASE_ARG=${2:-$TOP/var}
ME="stack"

usage() {
	echo "usage: $0 start|stop|status [BASE_DIR]" >&2
	exit 2
}
say() { echo "$ME: $*"; }
die() {
	echo "$ME: $*" >&2
	exit 1
}

case "$CMD" in
start | stop | status) ;;
*) usage ;;
esac

if [ "$CMD" = start ]; then
	[ "$(id -u)" -eq 0 ] || die "run as root (Postfix and Dovecot instances start as root)"
	mkdir -p "$BASE_ARG"
elif [ ! -d "$BASE_ARG" ]; then
	say "no stack in $BASE_ARG (nothing was started there)"
	[ "$CMD" = stop ] && exit 0
	exit 3
fi
BASE=$(cd "$BASE_ARG" && pwd)

# Unix sockets are limited to 107 bytes; Dovecot's deepest is about 40 bytes
# below BASE (dovecot/run/login/imap-urlauth...).
[ "${#BASE}" -le 60 ] || die "BASE_DIR path too long for Unix sockets (${#BASE} > 60): $BASE"

PF_ETC="$BASE/postfix/etc"
PF_QUEUE="$BASE/postfix/queue"
PF_DATA="$BASE/postfix/data"
DC_DIR="$BASE/dovecot"
DC_CONF="$DC_DIR/dovecot.conf"
DC_RUN="$DC_DIR/run"
RUN="$BASE/run"
LOG="$BASE/log"
MAILDIR="$BASE/mail"
VG="$BASE/vigil"
MILTER_CONF="$VG/milter.conf"
MILTER_SOCK="$RUN/milter.sock"
VIGILD_CONF="$VG/vigild.conf"
VIGILD_PIDFILE="$RUN/vigild.pid"
MILTER_PIDFILE="$RUN/milter.pid"
ENVFILE="$BASE/stack.env"
DOMAIN=bhxh.example
MAIL_USER=nobody
MAIL_GROUP=nogroup

# settings: from the environment, else from the last start, else defaults
unset REC_SMTP_PORT REC_LMTP_PORT REC_IMAP_PORT REC_METRICS_PORT REC_HTTP_PORT REC_BUILD_DIR REC_PASSWORD \
	REC_MAX_MESSAGE_SIZE REC_SCAN_TIMEOUT REC_WORKERS REC_WORKER_MEMORY REC_DB REC_BLOCKS_URL \
	REC_BLOCKS_TOKEN_FILE
if [ -f "$ENVFILE" ]; then
	# shellcheck disable=SC1090
	. "$ENVFILE"
fi
SMTP_PORT=${VIGIL_SMTP_PORT:-${REC_SMTP_PORT:-10025}}
LMTP_PORT=${VIGIL_LMTP_PORT:-${REC_LMTP_PORT:-10024}}
IMAP_PORT=${VIGIL_IMAP_PORT:-${REC_IMAP_PORT:-10143}}
METRICS_PORT=${VIGIL_METRICS_PORT:-${REC_METRICS_PORT:-9425}}
HTTP_PORT=${VIGIL_HTTP_PORT:-${REC_HTTP_PORT:-8480}}
BUILD_DIR=${VIGIL_BUILD:-${REC_BUILD_DIR:-$TOP/build}}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$TOP/$BUILD_DIR" ;; esac
PASSWORD=${VIGIL_DEMO_PASSWORD:-${REC_PASSWORD:-vigil-demo}}
MAX_MESSAGE_SIZE=${VIGIL_MAX_MESSAGE_SIZE:-${REC_MAX_MESSAGE_SIZE:-25m}}
SCAN_TIMEOUT=${VIGIL_SCAN_TIMEOUT:-${REC_SCAN_TIMEOUT:-60}}
WORKERS=${VIGIL_WORKERS:-${REC_WORKERS:-2}}
WORKER_MEMORY=${VIGIL_WORKER_MEMORY:-${REC_WORKER_MEMORY:-2g}}
DB=${VIGIL_DB:-${REC_DB:-}}
BLOCKS_URL=${VIGIL_BLOCKS_URL:-${REC_BLOCKS_URL:-}}
BLOCKS_TOKEN_FILE=${VIGIL_BLOCKS_TOKEN_FILE:-${REC_BLOCKS_TOKEN_FILE:-}}
MILTER_BIN="$BUILD_DIR/src/vigil-milter"
VIGILD_BIN="$BUILD_DIR/src/vigild"
DRILL_KEY="$VG/drill.key"
VIGIL_BIN="$BUILD_DIR/src/vigil"
# the sendmail of this Postfix instance (quarantine release re-injects with it)
SENDMAIL="/usr/sbin/sendmail -C $PF_ETC"

case "$PASSWORD" in '' | *[\':\ \"\\]*) die "VIGIL_DEMO_PASSWORD: no quotes, colons, spaces or backslashes" ;; esac
case "$BLOCKS_URL$BLOCKS_TOKEN_FILE" in *[\'\ \"\\]*) die "VIGIL_BLOCKS_URL, VIGIL_BLOCKS_TOKEN_FILE: no quotes, spaces or backslashes" ;; esac
if [ -n "$BLOCKS_URL" ] && [ -z "$BLOCKS_TOKEN_FILE" ]; then
	BLOCKS_TOKEN_FILE="$BASE/vigil/gateway.token"
fi
for p in "$SMTP_PORT" "$LMTP_PORT" "$IMAP_PORT" "$METRICS_PORT" "$HTTP_PORT"; do
	case "$p" in '' | *[!0-9]*) die "not a port number: '$p'" ;; esac
done

# ---------------------------------------------------------------- processes

# alive PID: the process exists and is not a zombie
alive() {
	[ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$st" ] && [ "$st" != Z ]
}

pidof_file() { # pid file -> pid (Postfix pads it with spaces)
	[ -f "$1" ] && tr -dc '0-9' <"$1" 2>/dev/null || true
}

# The pid in each pid file is only trusted when the process is this stack's:
# Postfix's master runs in its queue directory, Dovecot and vigil-milter
# carry their configuration path on the command line.
postfix_pid() {
	pid=$(pidof_file "$PF_QUEUE/pid/master.pid")
	alive "$pid" || return 1
	[ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$PF_QUEUE" ] || return 1
	echo "$pid"
}
cmdline_has() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"; }
dovecot_pid() {
	pid=$(pidof_file "$DC_RUN/master.pid")
	alive "$pid" && cmdline_has "$pid" "$DC_CONF" || return 1
	echo "$pid"
}
milter_pid() {
	pid=$(pidof_file "$MILTER_PIDFILE")
	alive "$pid" && cmdline_has "$pid" "$MILTER_CONF" || return 1
	echo "$pid"
}

# wait_gone PID SECONDS: 0 once the process is gone
wait_gone() {
	n=0
	while alive "$1"; do
		[ "$n" -lt $(($2 * 10)) ] || return 1
		sleep 0.1
		n=$((n + 1))
	done
}

# port_busy PORT: something listens on 127.0.0.1:PORT
port_busy() {
	python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
# like the servers: TIME_WAIT left by earlier connections is no conflict
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(0)
sys.exit(1)
EOF
}

# ------------------------------------------------------------ configuration

# install_file NEW DEST: move NEW over DEST when it differs; 0 if changed
install_file() {
	if [ -f "$2" ] && cmp -s "$1" "$2"; then
		rm -f "$1"
		return 1
	fi
	mv -f "$1" "$2"
	return 0
}

# VIGIL_MILTER=off runs the stack without the milter (benchmarks compare the two)
milter_enabled() { [ "${VIGIL_MILTER:-on}" != off ] && [ -x "$MILTER_BIN" ]; }

gen_dirs() {
	# Dovecot's and Postfix's unprivileged processes walk into BASE
	chmod 755 "$BASE"
	# (Postfix creates its data_directory itself, owned by postfix)
	mkdir -p "$PF_ETC" "$PF_QUEUE" "$DC_DIR" "$DC_RUN" "$DC_DIR/state" \
		"$RUN" "$LOG" "$MAILDIR" "$VG" "$VG/spool" "$VG/quarantine" "$VG/journal"
	chmod 755 "$PF_QUEUE" "$DC_DIR" "$RUN" "$LOG"
	# Postfix's smtpd (user postfix) connects to the milter socket: BASE/run
	# is setgid postfix, so the socket the milter creates there belongs to
	# group postfix (the milter starts with umask 007: mode 0770).
	chown root:postfix "$RUN"
	chmod 2750 "$RUN"
	chown "$MAIL_USER:$MAIL_GROUP" "$MAILDIR"
	chmod 750 "$MAILDIR"
	chmod 700 "$VG/spool" "$VG/quarantine" "$VG/journal"
}

gen_org() {
	n=$(python3 "$HERE/org.py" "$BASE" "$PASSWORD" "$(id -u $MAIL_USER)" "$(id -g $MAIL_USER)")
	chgrp dovecot "$DC_DIR/users"
	STAFF_COUNT=$n
	# the Dovecot master user (claw-back reads every mailbox with it):
	# log in as "user@bhxh.example*vigil-admin" with this password
	if [ ! -s "$DC_DIR/master-password" ]; then
		(umask 077 && od -An -tx1 -N12 /dev/urandom | tr -d ' \n' >"$DC_DIR/master-password")
	fi
	chmod 600 "$DC_DIR/master-password"
	mh=$(python3 - "$DC_DIR/master-password" <<'EOF'
import base64, hashlib, os, sys
pw = open(sys.argv[1]).read().strip().encode()
salt = os.urandom(16)
print("{SSHA512}" + base64.b64encode(hashlib.sha512(pw + salt).digest() + salt).decode())
EOF
)
	# keep the file (and its salt) while the password is the same
	if ! [ -f "$DC_DIR/master-users" ] || ! python3 - "$DC_DIR/master-password" "$DC_DIR/master-users" <<'EOF'; then
import base64, hashlib, sys
pw = open(sys.argv[1]).read().strip().encode()
line = open(sys.argv[2]).read().split(":")
raw = base64.b64decode(line[1][len("{SSHA512}"):])
sys.exit(0 if line[0] == "vigil-admin" and hashlib.sha512(pw + raw[64:]).digest() == raw[:64] else 1)
EOF
		(umask 027 && echo "vigil-admin:$mh::::::" >"$DC_DIR/master-users")
	fi
	chgrp dovecot "$DC_DIR/master-users"
	chmod 640 "$DC_DIR/master-users"
}

gen_postfix() {
	if milter_enabled; then
		milters="# vigil-milter: every message passes it before Postfix accepts it.
smtpd_milters = unix:$MILTER_SOCK
non_smtpd_milters = \$smtpd_milters
# the milter down or not answering: 4xx, the sender retries. Never accept
# mail that was not scanned.
milter_default_action = tempfail
milter_protocol = 6
# vigil's scan_timeout is $SCAN_TIMEOUT s; Postfix must wait longer than that
# for the end-of-message answer or it would give up first.
milter_connect_timeout = 10s
milter_command_timeout = 30s
milter_content_timeout = $((SCAN_TIMEOUT + 60))s
# the macros vigil reads: {i} queue id, {auth_authen} SMTP AUTH user,
# {client_addr}, {daemon_name}, {mail_addr}, {rcpt_addr}
milter_connect_macros = j {daemon_name} {daemon_addr} v _ {client_addr}
milter_helo_macros = {tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}
milter_mail_macros = i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer} {client_addr} {daemon_name}
milter_rcpt_macros = i {rcpt_addr} {rcpt_host} {rcpt_mailer}
milter_data_macros = i
milter_end_of_header_macros = i
milter_end_of_data_macros = i {auth_authen} {client_addr} {daemon_name}"
	else
		milters="# vigil-milter is NOT built ($MILTER_BIN missing):
# mail is delivered WITHOUT scanning. Build it and run start again.
smtpd_milters =
non_smtpd_milters ="
	fi
	cat >"$PF_ETC/main.cf.new" <<EOF
# Postfix instance of vigil's local stack. Generated by scripts/stack.sh on
# every start: edit the script, not this file.
#   postfix -c $PF_ETC start|stop|reload|status
#   postqueue -c $PF_ETC -p        the queue;  -f  flush it
#   $SENDMAIL -f FROM -- TO        submit a message (as root)
compatibility_level = 3.6

# everything of this instance lives under $BASE; /etc/postfix is only read
# (postfix-files, dynamicmaps.cf)
queue_directory = $PF_QUEUE
data_directory = $PF_DATA
meta_directory = /etc/postfix
# no syslog here: the postlog service (master.cf) writes this file
maillog_file = $LOG/postfix.log
maillog_file_prefixes = $LOG

myhostname = gw.$DOMAIN
mydomain = $DOMAIN
myorigin = \$mydomain
# no local(8) delivery: no aliases file, no passwd lookups (the defaults
# would read /etc/aliases and NIS)
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
smtpd_banner = \$myhostname ESMTP vigil demo gateway
biff = no
append_dot_mydomain = no
readme_directory = no
smtputf8_enable = yes
message_size_limit = 52428800

# 127.0.0.2 plays the agency's internal network (mail from it may go out,
# and vigil applies [policy.outbound]); 127.0.0.1 plays the Internet (it
# may only send to $DOMAIN; vigil applies [policy.inbound]).
#   swaks --local-interface 127.0.0.2 ...   sends as an internal host
mynetworks = 127.0.0.2/32
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination

# the demo organisation's mailboxes live in Dovecot (LMTP)
virtual_mailbox_domains = $DOMAIN
virtual_mailbox_maps = texthash:$PF_ETC/vmailbox
virtual_alias_maps = texthash:$PF_ETC/virtual
virtual_transport = ${VIGIL_TRANSPORT:-lmtp:inet:127.0.0.1:$LMTP_PORT}
# nothing ever leaves this machine: mail for other domains (already scanned
# by vigil) is discarded, and the log says so
default_transport = discard:the vigil demo stack does not send mail off this machine
relay_transport = \$default_transport

$milters
EOF
	cat >"$PF_ETC/master.cf.new" <<EOF
# Postfix services of vigil's local stack (generated by scripts/stack.sh).
# No chroot (column 5 = n): the instance has no files under a chroot.
# service type private unpriv chroot wakeup maxproc command
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	PF_CHANGED=0
	install_file "$PF_ETC/main.cf.new" "$PF_ETC/main.cf" && PF_CHANGED=1
	install_file "$PF_ETC/master.cf.new" "$PF_ETC/master.cf" && PF_CHANGED=1
	return 0
}

gen_dovecot() {
	cat >"$DC_CONF.new" <<EOF
# Dovecot instance of vigil's local stack. Generated by scripts/stack.sh on
# every start: edit the script, not this file.
#   doveadm -c $DC_CONF who|reload|stop|fetch|search ...
instance_name = vigil-$(echo "$BASE" | cksum | cut -d' ' -f1)
base_dir = $DC_RUN
state_dir = $DC_DIR/state
log_path = $LOG/dovecot.log
info_log_path = $LOG/dovecot.log
debug_log_path = $LOG/dovecot.log

protocols = imap lmtp
listen = 127.0.0.1
ssl = no
# plaintext logins: the stack only listens on the loopback interface
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
login_greeting = vigil demo IMAP ready.

# Maildir per user under $MAILDIR, owned by $MAIL_USER:$MAIL_GROUP (uid and
# gid come from the users file)
mail_location = maildir:~/Maildir
postmaster_address = postmaster@$DOMAIN
recipient_delimiter = +

# master user for claw-back: LOGIN "user@$DOMAIN*vigil-admin" with the
# password in $DC_DIR/master-password
auth_master_user_separator = *
passdb {
  driver = passwd-file
  args = $DC_DIR/master-users
  master = yes
  result_success = continue
}
passdb {
  driver = passwd-file
  args = scheme=SSHA512 $DC_DIR/users
}
userdb {
  driver = passwd-file
  args = $DC_DIR/users
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $LMTP_PORT
  }
}
EOF
	DC_CHANGED=0
	install_file "$DC_CONF.new" "$DC_CONF" && DC_CHANGED=1
	return 0
}

gen_milter() {
	# the drill key (decision 0014): vigild signs drill mail with it, the
	# milter verifies; made once, kept across restarts
	if [ ! -f "$DRILL_KEY" ] && [ -x "$VIGIL_BIN" ]; then
		"$VIGIL_BIN" drill key "$DRILL_KEY" >/dev/null || die "cannot create the drill key $DRILL_KEY"
	fi
	cat >"$MILTER_CONF.new" <<EOF
# vigil-milter of vigil's local stack (docs/milter.md). Generated by
# scripts/stack.sh on every start: edit the script, not this file.
#   $MILTER_BIN --config $MILTER_CONF --check
#   $VIGIL_BIN quarantine list --config $MILTER_CONF
[milter]
socket = unix:$MILTER_SOCK
workers = $WORKERS
scan_timeout = $SCAN_TIMEOUT
max_message_size = $MAX_MESSAGE_SIZE
worker_memory = $WORKER_MEMORY
spool_dir = $VG/spool
quarantine_dir = $VG/quarantine
journal_dir = $VG/journal
# the scan workers' socket (kept apart from BASE/run, which Postfix can enter)
run_dir = $VG/run
db = ${DB:-sqlite:$VG/vigil.db}
control_socket = $RUN/control.sock
metrics = 127.0.0.1:$METRICS_PORT
log = $LOG/milter.log
log_level = info
# empty: stay root (the stack runs as root; nothing is installed for a
# dedicated user). Production: user = vigil (docs/operations.md).
user =
gateway = vigil-demo
sendmail = $SENDMAIL
# drill mail carries X-Vigil-Drill signed with this key (docs/scenarios.md)
drill_key_file = $DRILL_KEY

[engine]
rules = ${VIGIL_RULES:-$TOP/rules/default}
indicators = $TOP/rules/indicators.txt;$TOP/rules/samples/iocs.txt
rule_severity = $TOP/rules/severity.conf
options = $TOP/rules/options.conf
limit.time_ms = 30000

[analyzers]
# engine options (docs/analyzers.md): the demo organisation's domain and
# staff are what look-alike and display-name checks protect
protected_domains = $DOMAIN
staff_directory = $BASE/org.json
brand_list = $TOP/rules/brands.txt

[network]
# 127.0.0.1 plays the Internet, 127.0.0.2 the agency's network (see the
# Postfix main.cf of this stack)
internal_networks = 127.0.0.2/32
internal_domains = $DOMAIN

[policy.inbound]
clean = tag
suspicious = tag
malicious = ${VIGIL_INBOUND_MALICIOUS:-quarantine}
severity.critical = ${VIGIL_INBOUND_MALICIOUS:-quarantine}
finding.ioc.hash = reject
# vigild's block list (docs/blocks.md): refused like a listed hash
finding.ioc.block = reject
error = tempfail
oversize = reject
reject_reply = 550 5.7.1 Message refused: it carries malware (vigil %s). Contact the IT Centre.
tempfail_reply = 451 4.7.1 Message could not be scanned now; please retry later (vigil %s)

[policy.outbound]
clean = tag
suspicious = tag
malicious = reject
error = tempfail
oversize = reject
EOF
	if [ -n "$BLOCKS_URL" ]; then
		cat >>"$MILTER_CONF.new" <<EOF

[vigild]
# follow this vigild's block list (docs/blocks.md); the token is a gateway
# token from its administrator (POST /api/v1/tokens, kind gateway)
url = $BLOCKS_URL
token_file = $BLOCKS_TOKEN_FILE
state_file = $VG/blocks.json
EOF
	fi
	MILTER_CHANGED=0
	install_file "$MILTER_CONF.new" "$MILTER_CONF" && MILTER_CHANGED=1
	return 0
}

vigild_enabled() { [ "${VIGIL_VIGILD:-on}" != off ] && [ -x "$VIGILD_BIN" ]; }

vigild_pid() {
	pid=$(pidof_file "$VIGILD_PIDFILE") && alive "$pid" && cmdline_has "$pid" "$VIGILD_CONF" &&
		echo "$pid"
}

# vigild shares the milter's store: the records of suspicious and malicious
# mail become alerts and incidents (src/server/feeder.c)
gen_vigild() {
	cat >"$VIGILD_CONF" <<EOF
# vigild of vigil's local stack (docs/vigild.md). Generated by scripts/stack.sh.
[server]
listen = 127.0.0.1:$HTTP_PORT
db = ${DB:-sqlite:$VG/vigil.db}
org = $BASE/org.json
web_dir = $TOP/web
admin_password_file = $VG/admin-password
log = $LOG/vigild.log
user =
# notifications by email, and quarantine releases, go through this stack's Postfix
sendmail = $SENDMAIL
quarantine_dir = $VG/quarantine
mail_from = vigil@$DOMAIN
public_url = http://127.0.0.1:$HTTP_PORT

[reports]
# who files the Circular 20/2017 reports (docs/reports.md)
address = Số 7 Tràng Thi, phường Hàng Trống, quận Hoàn Kiếm, Hà Nội
name = Nguyễn Văn An
title = Giám đốc Trung tâm Công nghệ thông tin
phone = 024 3000 0000
email = nguyen.van.an@$DOMAIN
recipients = Cục An toàn thông tin (VNCERT/CC);Bảo hiểm xã hội Việt Nam

[clawback]
# this stack's Dovecot, entered with its master user (docs/containment.md)
imap_host = 127.0.0.1
imap_port = $IMAP_PORT
master_user = vigil-admin
master_password_file = $DC_DIR/master-password

[drills]
# the scenario library a drill round's start loads (docs/drills.md)
scenarios = $TOP/rules/scenarios
EOF
}

start_vigild() {
	vigild_enabled || return 0
	if pid=$(vigild_pid); then
		say "vigild: already running (pid $pid)"
		return 0
	fi
	port_busy "$HTTP_PORT" && die "port 127.0.0.1:$HTTP_PORT is in use by another program (set VIGIL_HTTP_PORT)"
	"$VIGILD_BIN" -c "$VIGILD_CONF" --check >"$LOG/vigild.check" 2>&1 ||
		{ cat "$LOG/vigild.check" >&2; die "vigild --check failed: $VIGILD_CONF"; }
	(exec setsid "$VIGILD_BIN" -c "$VIGILD_CONF" </dev/null >>"$LOG/vigild.out" 2>&1) &
	echo $! >"$VIGILD_PIDFILE"
	n=0
	until curl -sf "http://127.0.0.1:$HTTP_PORT/api/v1/health" >/dev/null 2>&1; do
		if ! alive "$(pidof_file "$VIGILD_PIDFILE")"; then
			tail -n 20 "$LOG/vigild.out" "$LOG/vigild.log" 2>/dev/null >&2 || true
			die "vigild exited at start (logs: $LOG/vigild.out, $LOG/vigild.log)"
		fi
		[ "$n" -lt 200 ] || die "vigild: no answer on 127.0.0.1:$HTTP_PORT after 20 s"
		sleep 0.1
		n=$((n + 1))
	done
	say "vigild: started (pid $(pidof_file "$VIGILD_PIDFILE"))"
}

write_env() {
	cat >"$ENVFILE.new" <<EOF
# settings of the last 'scripts/stack.sh start' (read by stop and status)
REC_SMTP_PORT=$SMTP_PORT
REC_LMTP_PORT=$LMTP_PORT
REC_IMAP_PORT=$IMAP_PORT
REC_METRICS_PORT=$METRICS_PORT
REC_HTTP_PORT=$HTTP_PORT
REC_BUILD_DIR='$BUILD_DIR'
REC_PASSWORD='$PASSWORD'
REC_MAX_MESSAGE_SIZE=$MAX_MESSAGE_SIZE
REC_SCAN_TIMEOUT=$SCAN_TIMEOUT
REC_WORKERS=$WORKERS
REC_WORKER_MEMORY=$WORKER_MEMORY
REC_DB='$DB'
REC_BLOCKS_URL='$BLOCKS_URL'
REC_BLOCKS_TOKEN_FILE='$BLOCKS_TOKEN_FILE'
EOF
	mv -f "$ENVFILE.new" "$ENVFILE"
}

# ------------------------------------------------------------------- start

start_dovecot() {
	if pid=$(dovecot_pid); then
		if [ "$DC_CHANGED" = 1 ]; then
			doveadm -c "$DC_CONF" reload && say "dovecot: configuration changed, reloaded"
		else
			say "dovecot: already running (pid $pid)"
		fi
		return 0
	fi
	for p in "$IMAP_PORT" "$LMTP_PORT"; do
		port_busy "$p" && die "port 127.0.0.1:$p is in use by another program (set VIGIL_IMAP_PORT / VIGIL_LMTP_PORT)"
	done
	dovecot -c "$DC_CONF" </dev/null >"$LOG/dovecot.start" 2>&1 ||
		{ cat "$LOG/dovecot.start" >&2; die "dovecot did not start (log: $LOG/dovecot.log)"; }
	say "dovecot: started"
}

start_milter() {
	if ! milter_enabled; then
		if pid=$(milter_pid); then
			say "vigil-milter: $MILTER_BIN is gone; stopping the running one (pid $pid)"
			kill -TERM "$pid" 2>/dev/null || true
			stop_wait vigil-milter "$pid" 30
			rm -f "$MILTER_PIDFILE"
		fi
		return 0
	fi
	if pid=$(milter_pid); then
		if [ "$MILTER_CHANGED" = 1 ]; then
			kill -HUP "$pid"
			say "vigil-milter: configuration changed; sent SIGHUP (socket, workers and" \
				"store need 'make stop' and 'make run')"
		else
			say "vigil-milter: already running (pid $pid)"
		fi
		return 0
	fi
	port_busy "$METRICS_PORT" && die "port 127.0.0.1:$METRICS_PORT is in use by another program (set VIGIL_METRICS_PORT)"
	"$MILTER_BIN" --config "$MILTER_CONF" --check >"$LOG/milter.check" 2>&1 ||
		{ cat "$LOG/milter.check" >&2; die "vigil-milter --check failed: $MILTER_CONF"; }
	rm -f "$MILTER_SOCK"
	# umask 007: the socket is rw for root and group postfix only (BASE/run
	# is setgid postfix)
	(umask 007 && exec setsid "$MILTER_BIN" --config "$MILTER_CONF" --foreground \
		</dev/null >>"$LOG/milter.out" 2>&1) &
	echo $! >"$MILTER_PIDFILE"
	n=0
	while [ ! -S "$MILTER_SOCK" ]; do
		if ! alive "$(pidof_file "$MILTER_PIDFILE")"; then
			tail -n 20 "$LOG/milter.out" "$LOG/milter.log" 2>/dev/null >&2 || true
			die "vigil-milter exited at start (logs: $LOG/milter.out, $LOG/milter.log)"
		fi
		[ "$n" -lt 300 ] || die "vigil-milter: no socket $MILTER_SOCK after 30 s"
		sleep 0.1
		n=$((n + 1))
	done
	say "vigil-milter: started (pid $(pidof_file "$MILTER_PIDFILE"))"
}

start_postfix() {
	out=$(postfix -c "$PF_ETC" check 2>&1) || { echo "$out" >&2; die "postfix check failed"; }
	[ -z "$out" ] || echo "$out"
	if pid=$(postfix_pid); then
		if [ "$PF_CHANGED" = 1 ]; then
			postfix -c "$PF_ETC" reload >/dev/null 2>&1 && say "postfix: configuration changed, reloaded"
		else
			say "postfix: already running (pid $pid)"
		fi
		return 0
	fi
	port_busy "$SMTP_PORT" && die "port 127.0.0.1:$SMTP_PORT is in use by another program (set VIGIL_SMTP_PORT)"
	postfix -c "$PF_ETC" start </dev/null >"$LOG/postfix.start" 2>&1 ||
		{ cat "$LOG/postfix.start" >&2; die "postfix did not start (log: $LOG/postfix.log)"; }
	say "postfix: started"
}

sample() { # the first generated sample that exists, or nothing
	for f in "$@"; do
		if [ -f "$BUILD_DIR/samples/$f" ]; then
			echo "$BUILD_DIR/samples/$f"
			return 0
		fi
	done
	return 0
}

show_info() {
	first=$(python3 -c 'import json,sys; o=json.load(open(sys.argv[1]))
for u in o["units"]:
    s=[x for x in o["staff"] if x["unit"]==u["id"]]
    print("    %-22s %-18s %2d staff, e.g. %s" % (u["short"], u["region"], len(s), s[0]["email"]))' "$BASE/org.json")
	eicar=$(sample wrapped/zip_in_zip.eml)
	lure=$(sample demo/01_congvan_123.eml)
	news=$(sample demo/03_bantin_noibo.eml)
	cat <<EOF

== vigil mail stack ($BASE)
  SMTP   127.0.0.1:$SMTP_PORT   Postfix  -> $(if milter_enabled; then echo "vigil-milter ($MILTER_SOCK)"; else echo "NO MILTER (vigil-milter not built)"; fi)
  LMTP   127.0.0.1:$LMTP_PORT   Dovecot delivery
  IMAP   127.0.0.1:$IMAP_PORT   Dovecot mailboxes (plaintext login, loopback only)
EOF
	milter_enabled && echo "  HTTP   127.0.0.1:$METRICS_PORT    vigil-milter metrics: curl -s http://127.0.0.1:$METRICS_PORT/metrics"
	cat <<EOF

  demo organisation: $BASE/org.json ($STAFF_COUNT mailboxes @$DOMAIN, password: $PASSWORD)
$first
    postmaster@, abuse@, security@$DOMAIN -> $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["aliases"]["postmaster@bhxh.example"])' "$BASE/org.json")
  master user (claw-back): LOGIN "nguyen.van.an@$DOMAIN*vigil-admin", password in $DC_DIR/master-password

== send a test message (127.0.0.1 is "the Internet"; add --local-interface 127.0.0.2 to send from inside)
  swaks --server 127.0.0.1:$SMTP_PORT --from doitac@doitac.example --to nguyen.van.an@$DOMAIN \\
        --header "Subject: Cong van so 123" --body "Kinh gui anh An" --attach @$TOP/README.md
EOF
	if [ -n "$lure" ]; then
		cat <<EOF
  the generated samples (outcome with vigil-milter and the default policy):
  swaks --server 127.0.0.1:$SMTP_PORT --from ttcntt@doitac.example --to nguyen.van.an@$DOMAIN --data @$news
        # an internal newsletter: clean, delivered with X-Vigil-Verdict: clean
  swaks --server 127.0.0.1:$SMTP_PORT --from vanthu@bhxh-gov-vn.example --to tran.thi.binh@$DOMAIN --data @$lure
        # a forged official dispatch carrying CongVan_123.pdf.exe: malicious, quarantined
  swaks --server 127.0.0.1:$SMTP_PORT --from x@attacker.example --to le.hoang.cuong@$DOMAIN --data @$eicar
        # EICAR and a known spyware hash in a zip in a zip: rejected with 550
EOF
	else
		echo "  (scripts/run.sh generates sample messages into $BUILD_DIR/samples/ to send)"
	fi
	cat <<EOF

== look at the result (IMAP with curl; UIDs count from 1)
  curl -s --url "imap://127.0.0.1:$IMAP_PORT/INBOX" -X "UID SEARCH ALL" --user "nguyen.van.an@$DOMAIN:$PASSWORD"
  curl -s --url "imap://127.0.0.1:$IMAP_PORT/INBOX;UID=1;SECTION=HEADER.FIELDS%20(FROM%20SUBJECT%20X-VIGIL-VERDICT%20X-VIGIL-SCORE%20X-VIGIL-REASONS)" \\
       --user "nguyen.van.an@$DOMAIN:$PASSWORD"
  curl -s --url "imap://127.0.0.1:$IMAP_PORT/INBOX;UID=1" --user "nguyen.van.an@$DOMAIN:$PASSWORD"   # the whole message
  doveadm -c $DC_CONF fetch -u nguyen.van.an@$DOMAIN "uid hdr.subject hdr.x-vigil-verdict" mailbox INBOX
EOF
	if milter_enabled; then
		cat <<EOF
  $VIGIL_BIN quarantine list --config $MILTER_CONF      (files: $VG/quarantine/msg/)
  $VIGIL_BIN quarantine release ID --config $MILTER_CONF --yes
  $VIGIL_BIN milter status --config $MILTER_CONF         (workers, rules, store)
EOF
	fi
	cat <<EOF
$(if vigild_enabled; then echo "
  web UI and API: http://127.0.0.1:$HTTP_PORT/  user admin, password in $VG/admin-password:
                  $(cat "$VG/admin-password" 2>/dev/null)
  curl -s http://127.0.0.1:$HTTP_PORT/api/v1/health"; fi)
  logs:   $LOG/postfix.log  $LOG/dovecot.log$(milter_enabled && echo "  $LOG/milter.log")
  queue:  postqueue -c $PF_ETC -p
  status: $0 status $BASE
  stop:   $(if [ "$BASE" = "$TOP/var" ]; then echo "make stop"; else echo "$0 stop $BASE"; fi)
EOF
	if ! milter_enabled; then
		cat <<EOF

!! vigil-milter is NOT built ($MILTER_BIN): Postfix delivers mail WITHOUT scanning.
EOF
	fi
}

do_start() {
	command -v postfix >/dev/null && command -v dovecot >/dev/null ||
		die "postfix or dovecot missing: run scripts/install-deps.sh"
	gen_dirs
	gen_org
	gen_postfix
	gen_dovecot
	gen_milter
	gen_vigild
	write_env
	start_dovecot
	start_milter
	start_vigild
	start_postfix
	if ! python3 "$HERE/probe.py" 20 "smtp:$SMTP_PORT:220" "lmtp:$LMTP_PORT:220" \
		"imap:$IMAP_PORT:* OK" >"$LOG/probe.out"; then
		cat "$LOG/probe.out" >&2
		die "the stack did not come up; logs in $LOG"
	fi
	show_info
}

# -------------------------------------------------------------------- stop

# stop_pid NAME PID SECONDS: after a clean stop was asked for, wait; then
# SIGKILL that pid (only that pid, from this stack's pid file)
stop_wait() {
	if ! wait_gone "$2" "$3"; then
		say "$1: still running after $3 s, killing pid $2"
		kill -KILL "$2" 2>/dev/null || true
		wait_gone "$2" 5 || say "$1: pid $2 did not die"
	fi
}

do_stop() {
	if pid=$(postfix_pid); then
		postfix -c "$PF_ETC" stop >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
		stop_wait postfix "$pid" 15
		say "postfix: stopped"
	else
		say "postfix: not running"
	fi
	if pid=$(milter_pid); then
		# SIGTERM: messages in flight are finished first
		kill -TERM "$pid" 2>/dev/null || true
		stop_wait vigil-milter "$pid" 30
		rm -f "$MILTER_PIDFILE"
		say "vigil-milter: stopped"
	else
		rm -f "$MILTER_PIDFILE"
		milter_enabled && say "vigil-milter: not running"
	fi
	if pid=$(vigild_pid); then
		kill -TERM "$pid" 2>/dev/null || true
		stop_wait vigild "$pid" 15
		rm -f "$VIGILD_PIDFILE"
		say "vigild: stopped"
	fi
	if pid=$(dovecot_pid); then
		kill -TERM "$pid" 2>/dev/null || true
		stop_wait dovecot "$pid" 15
		say "dovecot: stopped"
	else
		say "dovecot: not running"
	fi
}

# ------------------------------------------------------------------ status

do_status() {
	rc=0
	echo "vigil stack in $BASE"
	if pid=$(postfix_pid); then
		m=$(postconf -c "$PF_ETC" -h smtpd_milters 2>/dev/null || true)
		echo "  postfix       running (pid $pid)  smtp 127.0.0.1:$SMTP_PORT  milters: ${m:-NONE}"
	else
		echo "  postfix       not running"
		rc=3
	fi
	if milter_enabled; then
		if pid=$(milter_pid); then
			echo "  vigil-milter  running (pid $pid)  $MILTER_SOCK  metrics 127.0.0.1:$METRICS_PORT"
		else
			echo "  vigil-milter  not running (Postfix answers 4xx to all mail while it is down)"
			rc=3
		fi
	else
		echo "  vigil-milter  NOT BUILT ($MILTER_BIN)"
	fi
	if vigild_enabled; then
		if pid=$(vigild_pid); then
			echo "  vigild        running (pid $pid)  http://127.0.0.1:$HTTP_PORT/"
		else
			echo "  vigild        not running"
			rc=3
		fi
	fi
	if pid=$(dovecot_pid); then
		echo "  dovecot       running (pid $pid)  imap 127.0.0.1:$IMAP_PORT  lmtp 127.0.0.1:$LMTP_PORT"
	else
		echo "  dovecot       not running"
		rc=3
	fi
	if [ -d "$PF_QUEUE/pid" ] && postfix_pid >/dev/null; then
		q=$(postqueue -c "$PF_ETC" -j 2>/dev/null | wc -l)
		echo "  postfix queue $q message(s)"
	fi
	if ! milter_enabled || ! grep -q '^smtpd_milters = unix:' "$PF_ETC/main.cf" 2>/dev/null; then
		echo
		echo "  !!! WARNING: Postfix runs WITHOUT vigil-milter: mail is delivered UNSCANNED."
		milter_enabled || echo "  !!! Build vigil-milter (make build) and start again."
		milter_enabled && echo "  !!! vigil-milter is built now: run start again to put it in front."
	fi
	return "$rc"
}

case "$CMD" in
start) do_start ;;
stop) do_stop ;;
status) do_status ;;
esac
