#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tests/system/alg_client.py -- raw-socket clients for the ALG system tests
import hashlib, os, socket, struct, sys, time

def hello(name, pos="first"):
    """A TLS 1.2/1.3-style ClientHello handshake message (no record header)."""
    ext = b""
    sni = b""
    if name is not None:
        n = name.encode()
        sni = struct.pack("!HHHBH", 0, len(n) + 5, len(n) + 3, 0, len(n)) + n
    other = struct.pack("!HH", 10, 4) + b"\x00\x02\x00\x1d"  # supported_groups x25519
    other += struct.pack("!HH", 43, 5) + b"\x04\x03\x04\x03\x03"  # supported_versions 1.3, 1.2
    other += struct.pack("!HH", 11, 2) + b"\x01\x00"  # ec_point_formats uncompressed
    # signature_algorithms: rsa_pss_rsae_sha256, rsa_pkcs1_sha256, ecdsa_secp256r1_sha256
    other += struct.pack("!HH", 13, 8) + b"\x00\x06\x08\x04\x04\x01\x04\x03"
    ks = os.urandom(32)
    other += struct.pack("!HHHHH", 51, 38, 36, 0x1d, 32) + ks  # key_share
    ext = (sni + other) if pos == "first" else (other + sni)
    body = b"\x03\x03" + os.urandom(32) + b"\x20" + os.urandom(32)
    # TLS 1.3 suites and ECDHE-RSA-AES128/256-GCM for TLS 1.2-only servers
    body += b"\x00\x0a\x13\x01\x13\x02\x13\x03\xc0\x2f\xc0\x30" + b"\x01\x00"
    body += struct.pack("!H", len(ext)) + ext
    return b"\x01" + struct.pack("!I", len(body))[1:] + body

def records(msg, frag):
    out = b""
    for i in range(0, len(msg), frag):
        part = msg[i:i + frag]
        out += b"\x16\x03\x01" + struct.pack("!H", len(part)) + part
    return out

def answering_backend(bport, body):
    """A one-shot HTTP backend on bport: the accepted socket, once it has read a request head
    and answered `body` then FIN (a function to call in the backend thread)."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", bport))
    ls.listen(1)
    ls.settimeout(10)
    def serve():
        b, _ = ls.accept()
        b.settimeout(10)
        head = b""
        while b"\r\n\r\n" not in head:
            d = b.recv(4096)
            if not d:
                break
            head += d
        b.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        b.shutdown(socket.SHUT_WR)
        return b
    return serve

def read_all(s, timeout=10):
    """Everything s receives until its end, and how it ended: eof, timeout or reset."""
    got, how = b"", "eof"
    s.settimeout(timeout)
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
    except socket.timeout:
        how = "timeout"
    except ConnectionResetError:
        how = "reset"
    return got, how

def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s

def read_some(s, timeout=5):
    s.settimeout(timeout)
    try:
        return s.recv(65536)
    except (socket.timeout, ConnectionResetError):
        return b""

def main():
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "dribble-tls":
        # ClientHello in 1-byte TCP writes over 1-byte... records of `frag` bytes
        name, frag, pos = sys.argv[3], int(sys.argv[4]), sys.argv[5]
        step = int(sys.argv[6]) if len(sys.argv) > 6 else 1  # bytes per TCP write
        data = records(hello(name, pos), frag)
        s = connect(port)
        for i in range(0, len(data), step):
            s.send(data[i:i + step])
            time.sleep(0.001)
        r = read_some(s)
        # 0x16 = the backend answered with a handshake record (ServerHello); 0x15 = alert
        print("reply %s" % (r[:1].hex() + (r[5:7].hex() if r[:1] == b"\x15" else "")))
    elif cmd == "send-tls":
        name = None if sys.argv[3] == "-" else sys.argv[3]
        s = connect(port)
        s.sendall(records(hello(name), 16384))
        r = read_some(s)
        print("reply %s" % (r[:1].hex() + (r[5:7].hex() if r[:1] == b"\x15" else "")))
    elif cmd == "raw":
        # send bytes from a hex string or a file, print the first reply bytes (hex)
        data = bytes.fromhex(sys.argv[3]) if sys.argv[3] != "-" else sys.stdin.buffer.read()
        s = connect(port)
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        r = read_some(s)
        print("reply %s" % r[:16].hex())
    elif cmd == "silent":
        # connect, send nothing (or a partial request), report when the server closes
        partial = sys.argv[3].encode() if len(sys.argv) > 3 else b""
        t0 = time.time()
        s = connect(port)
        if partial:
            try:
                for ch in partial:
                    s.send(bytes([ch]))
                    time.sleep(0.05)
            except (BrokenPipeError, ConnectionResetError):
                pass
        s.settimeout(10)
        try:
            while s.recv(4096):
                pass
        except (socket.timeout, ConnectionResetError):
            pass
        print("closed %.2f" % (time.time() - t0))
    elif cmd == "serverfirst":
        # the server finishes first: a backend of our own on backend_port answers `size`
        # bytes, then FIN, and keeps reading; the client reads the whole answer to EOF,
        # then sends more. Prints whether the answer was whole and what the finished
        # backend got after its FIN: "eof 0" when the ALG closed its side and relayed
        # nothing more (the client's socket still open meanwhile)
        import threading
        host, size, bport = sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        body = os.urandom(size)
        serve = answering_backend(bport, body)
        res = {}
        def backend():
            b = serve()
            extra, how = 0, "timeout"
            b.settimeout(float(os.environ.get("SF_WAIT", "5")))
            try:
                while True:
                    d = b.recv(65536)
                    if not d:
                        how = "eof"
                        break
                    extra += len(d)
            except socket.timeout:
                pass
            except ConnectionResetError:
                how = "reset"
            res["after"] = "%s %d" % (how, extra)
        t = threading.Thread(target=backend)
        t.start()
        s = connect(port)
        s.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % host.encode())
        got, _ = read_all(s)
        whole = got.endswith(body) and len(got) > size
        try:
            s.sendall(b"EXTRA" * 100)
        except OSError:
            pass
        t.join(15)
        s.close()
        print("answer %s after %s" % ("whole" if whole else "short %d" % len(got),
                                      res.get("after", "none")))
    elif cmd == "lingertail":
        # the server finishes first while most of its answer still waits in the ALG's socket
        # (the client reads nothing and its receive buffer is tiny); once the ALG has closed
        # the server's side, the client sends more bytes, then reads: the answer must be whole
        # and end with an EOF. A client socket closed by the ALG before the client's last
        # bytes would make the kernel answer them with a reset, dropping the unsent tail.
        # An optional delay (s) models a client whose late bytes come after the ALG's first
        # look at its lingering socket.
        import threading
        host, size, bport = sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        delay = float(sys.argv[6]) if len(sys.argv) > 6 else 0
        body = os.urandom(size)
        serve = answering_backend(bport, body)
        closed = threading.Event()
        def backend():
            b = serve()
            try:
                while b.recv(65536):
                    pass
                closed.set()  # the ALG closed the finished server's side: it lingers now
            except OSError:
                pass
        t = threading.Thread(target=backend)
        t.start()
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        s.settimeout(5)
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % host.encode())
        if not closed.wait(10):
            print("server side never closed")
            sys.exit(0)
        time.sleep(delay)  # the client's own pace, not a wait for a condition
        s.sendall(b"EXTRA" * 20)
        got, how = read_all(s)
        t.join(15)
        s.close()
        whole = got.endswith(body) and len(got) > size
        print("answer %s, %s" % ("whole" if whole else "short %d" % len(got), how))
    elif cmd == "upload":
        # HTTP request head, then `size` bytes, then half-close; the backend replies
        # with the sha256 of everything it read, after our EOF
        host, size = sys.argv[3], int(sys.argv[4])
        payload = b"PUT / HTTP/1.1\r\nHost: %s\r\n\r\n" % host.encode() + os.urandom(size)
        s = connect(port)
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        got = b""
        s.settimeout(20)
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
        want = hashlib.sha256(payload).hexdigest()
        print("upload %s" % ("ok" if got.decode(errors="replace").startswith(want) else "bad " + got[:80].decode(errors="replace")))
    elif cmd == "hold":
        # groups "src:n,src:n": open n connections from each source address, each sending a
        # partial request; report how many the ALG kept and how many it closed at once;
        # then complete the kept ones and count the answered
        host = sys.argv[4]
        conns = []
        for g in sys.argv[3].split(","):
            src, n = g.split(":")
            for _ in range(int(n)):
                s = socket.socket()
                s.bind((src, 0))
                s.settimeout(5)
                try:
                    s.connect(("127.0.0.1", port))
                    s.sendall(b"GET / HTTP/1.1\r\n")
                except OSError:
                    pass
                conns.append(s)
                time.sleep(0.01)
        time.sleep(0.5)
        held, refused = [], 0
        for s in conns:
            s.setblocking(False)
            try:
                d = s.recv(1)
                refused += 1 if d == b"" else 0
            except BlockingIOError:
                held.append(s)
            except OSError:
                refused += 1
        # HOLD_FILE: tell the test what is held and keep holding until it removes the file
        pause = os.environ.get("HOLD_FILE")
        if pause:
            with open(pause, "w") as f:
                f.write("held %d\n" % len(held))
            end = time.monotonic() + 20
            while os.path.exists(pause) and time.monotonic() < end:
                time.sleep(0.05)
        served = 0
        for s in held:
            s.setblocking(True)
            s.settimeout(5)
            try:
                s.sendall(b"Host: %s\r\nConnection: close\r\n\r\n" % host.encode())
                if s.recv(12).startswith(b"HTTP/1.1 200"):
                    served += 1
            except OSError:
                pass
        print("held %d refused %d served %d" % (len(held), refused, served))
    else:
        sys.exit("unknown command")

main()
