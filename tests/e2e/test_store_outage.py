"""The store goes away while mail flows: nothing is lost.

A real PostgreSQL server (started here, on a free port, as the 'postgres'
user, in a temporary folder) is vigil-milter's store in a real local stack.
Messages sent while it runs are recorded in it; the server is then stopped,
more messages are sent and must still be delivered (records go to the
journal); the server comes back and the journal must drain into it, so that
every message sent has exactly one record. Also: the milter process killed
with SIGKILL is restarted by the master and mail keeps flowing; and with the
policy's "hold" action a malicious message waits in Postfix's hold queue.
"""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_mail_stack as tms  # noqa: E402

C = tms.vtest.Checks("store-outage")


def pg_bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return os.path.dirname(found[-1]) if found else None


class Postgres:
    def __init__(self, bindir):
        self.bin = bindir
        self.dir = tempfile.mkdtemp(prefix="vigil-pg-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.port = tms.free_ports(1)[0]
        self.as_ = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = os.path.join(self.dir, "data")
        self.opts = "-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off" % (self.port, self.dir)

    def run(self, args, timeout=90):
        return tms.run(self.as_ + args, timeout=timeout)

    def init(self):
        rc, out = self.run([os.path.join(self.bin, "initdb"), "-D", self.data, "-A", "trust",
                            "-U", "vigil", "-E", "UTF8", "--locale=C.UTF-8"])
        return rc == 0 or print(out)

    def start(self):
        rc, out = self.run([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-l",
                            os.path.join(self.dir, "log"), "-o", self.opts, "-w", "-t", "60",
                            "start"])
        return rc == 0 or print(out)

    def stop(self, mode="fast"):
        self.run([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m", mode, "-w", "stop"])

    def url(self):
        return "postgresql://vigil@127.0.0.1:%d/postgres" % self.port

    def count(self, where=""):
        rc, out = self.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "vigil",
                            "-d", "postgres", "-At", "-c",
                            "select count(*) from messages " + where], timeout=30)
        return int(out.strip()) if rc == 0 and out.strip().isdigit() else None

    def remove(self):
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


def send(st, n, tag):
    """n clean messages to one mailbox; returns their tokens (all must get 250)."""
    rcpt = "nguyen.van.an@" + tms.DOMAIN
    toks = []
    for i in range(n):
        tok = tms.token("%s%d" % (tag, i))
        r = st.swaks(rcpt, tms.msg(tok, rcpt, tms.ms.text("Nội dung %s\n" % tok)))
        C.check(r.code == "250", "%s message %d accepted while %s" % (tag, i, tag), repr(r))
        toks.append(tok)
    return toks


def delivered(st, toks):
    rcpt = "nguyen.van.an@" + tms.DOMAIN
    msgs = st.messages(rcpt)
    return all(sum(1 for m in msgs if t.encode() in m) == 1 for t in toks)


def main():
    tms.vtest.need_vigil()
    if os.getuid() != 0 or shutil.which("postfix") is None or not os.path.exists(tms.MILTER):
        print("SKIP: needs root, Postfix and a built vigil-milter")
        sys.exit(77)
    bindir = pg_bin()
    if bindir is None:
        print("SKIP: PostgreSQL server binaries not installed")
        sys.exit(77)
    pg = Postgres(bindir)
    st = tms.Stack()
    signal.signal(signal.SIGALRM, tms.on_signal)
    signal.alarm(tms.BUDGET)
    try:
        if not (C.check(pg.init() and pg.start(), "PostgreSQL starts")):
            C.finish()
        st.env["VIGIL_DB"] = pg.url()
        st.env["VIGIL_INBOUND_MALICIOUS"] = "hold"
        rc, out = st.cmd("start")
        if not C.check(rc == 0, "the stack starts with the PostgreSQL store", out[-2000:]):
            C.finish()
        status = tms.milter_status(st)
        C.check(status.get("store") == "postgresql", "vigil-milter uses PostgreSQL", status)

        before = send(st, 3, "up")
        C.check(tms.wait_for(lambda: pg.count() == 3, 15) is not None,
                "3 messages, 3 records in PostgreSQL", pg.count())

        pg.stop("fast")
        during = send(st, 4, "down")
        C.check(tms.wait_for(lambda: delivered(st, during), 30) is not None,
                "mail keeps flowing while the store is down")
        pending = tms.milter_status(st).get("journal_pending")
        C.check(pending == 4, "the 4 records wait in the journal", pending)

        # the milter process dies hard; the master starts another
        child = tms.milter_status(st).get("milter_pid")
        os.kill(child, signal.SIGKILL)
        back = tms.wait_for(lambda: (tms.milter_status(st).get("milter_pid") or child) != child,
                            20)
        C.check(back is not None, "the master restarts a killed milter process")
        after_kill = send(st, 2, "restarted")
        C.check(tms.wait_for(lambda: delivered(st, after_kill), 30) is not None,
                "mail flows through the restarted milter")

        C.check(pg.start(), "PostgreSQL comes back")
        drained = tms.wait_for(lambda: tms.milter_status(st).get("journal_pending") == 0, 40)
        C.check(drained is not None, "the journal drains into the store",
                tms.milter_status(st))
        total = len(before) + len(during) + len(after_kill)
        C.check(tms.wait_for(lambda: pg.count() == total, 20) is not None,
                "every message sent has exactly one record (%d)" % total, pg.count())
        C.check(delivered(st, before + during + after_kill), "every message delivered once")

        # the policy's other quarantine: Postfix's hold queue (this stack runs
        # with malicious = hold)
        tok = tms.token("hold")
        rcpt = "le.hoang.cuong@" + tms.DOMAIN
        r = st.swaks(rcpt, tms.eicar_zip_msg(tok, rcpt))
        C.check(r.code == "250", "EICAR in a zip is accepted into the hold queue", repr(r))
        rc, out = tms.run(["postqueue", "-c", st.etc, "-j"], timeout=10)
        held = [json.loads(ln) for ln in out.splitlines() if r.queue_id and r.queue_id in ln]
        C.check(len(held) == 1 and held[0].get("queue_name") == "hold" and st.quarantined() == [],
                "policy 'hold': the message waits in Postfix's hold queue, not vigil's", out[:400])
        C.check(tms.wait_for(lambda: pg.count("where action = 'hold'") == 1, 10) is not None,
                "its record says action hold")
    finally:
        st.cmd("stop")
        shutil.rmtree(st.base, ignore_errors=True)
        pg.remove()
    C.finish()


if __name__ == "__main__":
    main()
