#!/bin/bash
# bench/milter_bench.sh BUILD - Postfix throughput with and without vigil-milter.
#
# One local stack (scripts/stack.sh, in a temporary folder, on free ports) is
# started three times: without the milter, with vigil-milter and the default
# rules, and with vigil-milter and the public Yara-Rules set. Each time
# smtp-source (Postfix's own load generator) sends the same messages over 8
# parallel SMTP sessions; the rate is messages accepted per second of wall
# time. The milter's added latency per message is the time from end of data
# to its decision (eom_ms in its log): median and 99th percentile. Memory is
# the resident and proportional set size (RSS, PSS) of all vigil-milter
# processes (master, milter, pool, workers) after the run. Writes
# bench/results/milter.md. Needs root (Postfix and Dovecot instances).
set -eu
B=${1:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
case "$B" in /*) ;; *) B="$TOP/$B" ;; esac
SH=${VIGIL_SHARED:-$TOP/../shared}
N_HAM=${N_HAM:-2000}
N_ATT=${N_ATT:-400}
OUT="$TOP/bench/results/milter.md"
WORK=$(mktemp -d /tmp/vigil-mbench-XXXXXX)
chmod 755 "$WORK"
BASE="$WORK/stack"
ports=$(python3 -c 'import socket
s=[socket.socket() for _ in range(4)]
[x.bind(("127.0.0.1",0)) for x in s]
print(" ".join(str(x.getsockname()[1]) for x in s))')
set -- $ports
export VIGIL_SMTP_PORT=$1 VIGIL_LMTP_PORT=$2 VIGIL_IMAP_PORT=$3 VIGIL_METRICS_PORT=$4
export VIGIL_BUILD="$B" VIGIL_WORKERS=${VIGIL_WORKERS:-2}
# Postfix delivers to smtp-sink (Postfix's test server, which accepts and
# drops), so delivery costs the same little in every run and the figures
# compare the SMTP path with and without the milter
SINK_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
smtp-sink -u postfix 127.0.0.1:$SINK_PORT 256 &
SINK_PID=$!
export VIGIL_TRANSPORT="smtp:[127.0.0.1]:$SINK_PORT"
cleanup() { sh "$TOP/scripts/stack.sh" stop "$BASE" >/dev/null 2>&1 || true; kill $SINK_PID 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# the messages: a real ham from the SpamAssassin corpus, and a message with a
# 300 KB clean zip attachment
HAM="$WORK/ham.eml"
ATT="$WORK/attachment.eml"
src=$(ls "$SH"/corpus/spamassassin/easy_ham/* 2>/dev/null | sed -n 100p)
if [ -n "$src" ]; then
	sed '1{/^From /d}' "$src" >"$HAM"
else
	printf 'From: a@doitac.example\nTo: b@bhxh.example\nSubject: ham\n\nhello\n' >"$HAM"
fi
python3 - "$ATT" <<'PY'
import base64, io, random, sys, zipfile
random.seed(7)
words = b"bao hiem xa hoi so lieu thang bao cao tong hop don vi tinh thanh pho ".split()
doc = b" ".join(random.choice(words) for _ in range(120000))
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("BaoCao_T11.txt", doc)
    z.writestr("PhuLuc.csv", doc[:200000])
b64 = base64.encodebytes(buf.getvalue()).decode()
msg = ("From: Doi tac <doitac@doitac.example>\r\nTo: nguyen.van.an@bhxh.example\r\n"
       "Subject: Bao cao thang 11\r\nMIME-Version: 1.0\r\n"
       "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
       "Content-Type: text/plain; charset=utf-8\r\n\r\nKinh gui, bao cao dinh kem.\r\n"
       "--B\r\nContent-Type: application/zip; name=BaoCao.zip\r\n"
       "Content-Disposition: attachment; filename=BaoCao.zip\r\n"
       "Content-Transfer-Encoding: base64\r\n\r\n" + b64 + "--B--\r\n")
open(sys.argv[1], "w").write(msg)
PY

RCPT=nguyen.van.an@bhxh.example
# send FILE N -> seconds
send() {
	start=$(date +%s.%N)
	smtp-source -s 8 -m "$2" -f bench@doitac.example -t "$RCPT" -F "$1" "127.0.0.1:$VIGIL_SMTP_PORT"
	end=$(date +%s.%N)
	awk -v s="$start" -v e="$end" 'BEGIN{printf "%.3f", e-s}'
}

latency() { # LOGFILE SKIP -> "median p99" of eom_ms after the first SKIP messages
	python3 - "$1" "$2" <<'PY'
import json, sys
vals = []
for line in open(sys.argv[1], errors="replace"):
    try:
        j = json.loads(line)
    except ValueError:
        continue
    if j.get("msg") == "message" and "eom_ms" in j:
        vals.append(j["eom_ms"])
vals = sorted(vals[int(sys.argv[2]):])
if not vals:
    print("- -")
else:
    p = lambda q: vals[min(len(vals) - 1, int(q * len(vals)))]
    print("%.2f %.2f" % (p(0.5), p(0.99)))
PY
}

memory() { # -> "rss_mb pss_mb" of the milter's processes
	master=$(cat "$BASE/run/milter.pid" 2>/dev/null || echo 0)
	pids="$master $(ps -o pid= --ppid "$master" 2>/dev/null)"
	for p in $(ps -o pid= --ppid "$master" 2>/dev/null); do
		pids="$pids $(ps -o pid= --ppid "$p" 2>/dev/null)"
	done
	rss=0; pss=0
	for p in $pids; do
		[ -r "/proc/$p/smaps_rollup" ] || continue
		r=$(awk '/^Rss:/{print $2}' "/proc/$p/smaps_rollup")
		s=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup")
		rss=$((rss + r)); pss=$((pss + s))
	done
	awk -v r=$rss -v p=$pss 'BEGIN{printf "%.0f %.0f", r/1024, p/1024}'
}

run_mode() { # LABEL MILTER RULES
	rm -rf "$BASE"
	VIGIL_MILTER=$2 VIGIL_RULES=$3 sh "$TOP/scripts/stack.sh" start "$BASE" >"$WORK/start.log" 2>&1 ||
		{ cat "$WORK/start.log"; exit 1; }
	send "$HAM" 50 >/dev/null # warm up
	t_ham=$(send "$HAM" "$N_HAM")
	t_att=$(send "$ATT" "$N_ATT")
	if [ "$2" = on ]; then
		lat_ham=$(latency "$BASE/log/milter.log" 50)
		mem=$(memory)
	else
		lat_ham="- -"
		mem="- -"
	fi
	sh "$TOP/scripts/stack.sh" stop "$BASE" >/dev/null 2>&1
	echo "$1|$t_ham|$t_att|$lat_ham|$mem"
}

r_off=$(run_mode "Postfix alone" off "$TOP/rules/default")
r_on=$(run_mode "Postfix + vigil-milter (default rules)" on "$TOP/rules/default")
r_yara=$(run_mode "Postfix + vigil-milter (yara-rules email+maldocs)" on "$SH/testdata/rules/yara-rules")

base_ham=$(echo "$r_off" | cut -d'|' -f2)
base_att=$(echo "$r_off" | cut -d'|' -f3)
{
	echo "# Postfix with and without vigil-milter"
	echo
	echo "Machine: $(nproc) cores; $(date -u +%Y-%m-%d). Command: \`bench/milter_bench.sh\` (as root)."
	echo "Postfix $(postconf -d mail_version 2>/dev/null | cut -d' ' -f3): smtp-source (8 parallel SMTP sessions) -> Postfix -> smtp-sink; rate = messages accepted per second."
	echo "Ham: a $(wc -c <"$HAM") byte SpamAssassin message × $N_HAM; attachment: a $(wc -c <"$ATT") byte message with a zip × $N_ATT. $VIGIL_WORKERS scan workers."
	echo
	echo "| setup | ham msg/s | vs alone | attachment msg/s | vs alone | eom latency median ms | p99 ms | RSS MB (all processes) | PSS MB |"
	echo "|---|---|---|---|---|---|---|---|---|"
	for r in "$r_off" "$r_on" "$r_yara"; do
		echo "$r" | awk -F'|' -v bh="$base_ham" -v ba="$base_att" -v nh="$N_HAM" -v na="$N_ATT" '{
			split($4, l, " "); split($5, m, " ");
			printf "| %s | %.0f | %.0f%% | %.0f | %.0f%% | %s | %s | %s | %s |\n", $1, nh/$2, 100*bh/$2, na/$3, 100*ba/$3, l[1], l[2], m[1], m[2] }'
	done
	echo
	echo "PSS divides pages the scan workers share with the pool supervisor (compiled rules are"
	echo "inherited copy-on-write), so it is the memory the gateway really adds; RSS counts them once per process."
} >"$OUT"
cat "$OUT"
