#!/usr/bin/python3
"""beanstalkd as a durable queue, the workload `claimq bench e2e` is
compared with: N jobs of 400 bytes put durably (beanstalkd started here with
a binlog, -b DIR, and -f 0: it fsyncs the binlog after every write -- each
put and each delete -- before it replies), reserved by 2 consumers, each on
its own connection, and deleted (the ack). Starts its own beanstalkd on
127.0.0.1 with a kernel-picked free port and a binlog in a scratch
directory, stops only that process (by PID; also on SIGTERM or SIGINT),
and prints one JSON line:
  {"peer": "beanstalkd", "messages": N, "per_s": ..., "p50_ms": ...,
   "p99_ms": ..., "fsync": "every write"}
Speaks beanstalkd's text protocol over a raw socket (no client library).
The producer pipelines --pipeline puts per round trip (sends them all, then
reads their INSERTED replies); each consumer sends a job's delete together
with its next reserve-with-timeout. p50/p99 are put-to-reserve latencies
(the put time travels in the job's first bytes).
Usage: beanstalkd.py [--messages N] [--pipeline K]
Needs Debian's beanstalkd."""
import argparse, json, shutil, signal, socket, subprocess, sys, tempfile, time

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port

class Conn:
    """A beanstalkd connection: buffered reads of lines and job bodies."""
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def _fill(self):
        chunk = self.s.recv(1 << 16)
        if not chunk:
            raise EOFError("beanstalkd closed the connection")
        self.buf += chunk

    def line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                ln, self.buf = self.buf[:i], self.buf[i + 2:]
                return ln
            self._fill()

    def body(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        b, self.buf = self.buf[:n], self.buf[n + 2:]
        return b

    def yaml(self, cmd):
        """A command answered with OK <bytes> + a YAML dict (stats...)."""
        self.send(cmd)
        ln = self.line()
        if not ln.startswith(b"OK "):
            raise RuntimeError("%r: %r" % (cmd, ln))
        out = {}
        for row in self.body(int(ln.split()[1])).decode().splitlines():
            if ": " in row:
                k, v = row.split(": ", 1)
                out[k.strip()] = v.strip()
        return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=200000)
    ap.add_argument("--pipeline", type=int, default=128,
                    help="puts in flight per round trip (the producer waits for each batch's replies)")
    a = ap.parse_args()
    # SIGTERM (and SIGINT) run the finally: below, which stops the server
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    d = tempfile.mkdtemp(prefix="cq-beanstalkd-")
    port = free_port()
    srv = subprocess.Popen(["beanstalkd", "-l", "127.0.0.1", "-p", str(port),
                            "-b", d, "-f", "0"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                r = Conn(port); break
            except OSError:
                if srv.poll() is not None:
                    raise RuntimeError("beanstalkd exited with %s" % srv.returncode)
                time.sleep(0.05)
        else:
            raise RuntimeError("beanstalkd did not listen on 127.0.0.1:%d" % port)
        import multiprocessing as mp
        out = mp.Queue()
        go = mp.Event()
        stop = mp.Event()
        done = mp.Value("q", 0)
        def consumer():
            c = Conn(port)
            lat = []
            got = 0
            go.wait()
            c.send(b"reserve-with-timeout 1\r\n")
            while True:
                ln = c.line()
                if ln == b"TIMED_OUT":
                    if stop.is_set():
                        break
                    c.send(b"reserve-with-timeout 1\r\n")
                    continue
                if not ln.startswith(b"RESERVED "):
                    raise RuntimeError("reserve: %r" % ln)
                _, jid, n = ln.split()
                job = c.body(int(n))
                # the delete (the ack) and the next reserve in one round trip
                c.send(b"delete " + jid + b"\r\nreserve-with-timeout 1\r\n")
                now = time.time()
                lat.append(now - float(job[:20]))
                ln = c.line()
                if ln != b"DELETED":
                    raise RuntimeError("delete %s: %r" % (jid.decode(), ln))
                got += 1
                with done.get_lock():
                    done.value += 1
            out.put((got, lat))
        # consumers take what comes: beanstalkd hands each job to one of them
        procs = [mp.Process(target=consumer, daemon=True) for _ in range(2)]
        for p in procs: p.start()
        pad = b"x" * 380
        go.set()
        t0 = time.time()
        n = 0
        while n < a.messages:
            k = min(a.pipeline, a.messages - n)
            now = b"%20.6f" % time.time()        # 20 bytes + 380 = 400
            job = b"put 1024 0 60 400\r\n" + now + pad + b"\r\n"
            r.send(job * k)
            for _ in range(k):
                ln = r.line()
                if not ln.startswith(b"INSERTED "):
                    raise RuntimeError("put: %r" % ln)
            n += k
        # every job deleted (a consumer counts a job once beanstalkd said DELETED)
        while done.value < a.messages:
            if not all(p.is_alive() for p in procs):
                raise RuntimeError("a consumer died")
            time.sleep(0.002)
        el = time.time() - t0
        st = r.yaml(b"stats-tube default\r\n")
        if (int(st["total-jobs"]) != a.messages or int(st["current-jobs-ready"])
                or int(st["current-jobs-reserved"]) or int(st["cmd-delete"]) != a.messages):
            raise RuntimeError("beanstalkd's counts disagree: %r" % st)
        stop.set()
        lat = []
        for _ in procs:
            lat += out.get(timeout=30)[1]
        for p in procs: p.join(10)
        lat.sort()
        q = lambda f: (lat[min(len(lat) - 1, int(f * len(lat)))] * 1000) if lat else -1
        print(json.dumps({"peer": "beanstalkd", "messages": a.messages,
                          "per_s": round(a.messages / el), "p50_ms": round(q(0.5), 3),
                          "p99_ms": round(q(0.99), 3), "fsync": "every write",
                          "pipeline": a.pipeline}))
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        srv.terminate()
        try:
            srv.wait(10)
        except Exception:
            srv.kill()
            srv.wait(10)
        shutil.rmtree(d, ignore_errors=True)

if __name__ == "__main__":
    main()
