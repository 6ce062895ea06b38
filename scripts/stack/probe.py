#!/usr/bin/env python3
"""scripts/stack/probe.py SECONDS NAME:PORT:GREETING... - wait until services answer.

For each argument, connects to 127.0.0.1:PORT and reads the greeting line;
the service is up once the line starts with GREETING ("220" for SMTP and
LMTP, "* OK" for IMAP). Retries every 0.2 s until SECONDS have passed in
total. Prints "NAME ok" or "NAME: no answer on PORT (last error)" per
service; exit 0 when all answered, 1 otherwise. A listening socket alone is
not enough: Postfix's master accepts before smtpd is ready to greet.
"""
import socket
import sys
import time


def greeting(port, timeout):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.settimeout(timeout)
        data = b""
        while b"\n" not in data and len(data) < 4096:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        line = data.split(b"\n", 1)[0].decode("latin-1").strip()
        # say goodbye so the services do not log lost connections
        try:
            s.sendall(b"a LOGOUT\r\n" if line.startswith("* OK") else b"QUIT\r\n")
        except OSError:
            pass
        return line


def main():
    deadline = time.monotonic() + float(sys.argv[1])
    ok = True
    for spec in sys.argv[2:]:
        name, port, want = spec.split(":", 2)
        last = "not tried"
        while True:
            try:
                line = greeting(int(port), 2.0)
                if line.startswith(want):
                    print("%s ok" % name)
                    break
                last = "greeting %r" % line[:80]
            except OSError as e:
                last = str(e)
            if time.monotonic() >= deadline:
                print("%s: no answer on 127.0.0.1:%s (%s)" % (name, port, last))
                ok = False
                break
            time.sleep(0.2)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
