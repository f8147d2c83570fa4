#!/usr/bin/python3
"""Redis Streams as a durable queue, the workload `claimq bench e2e` is
compared with: N messages of 400 bytes enqueued durably (XADD; Redis
started here with appendonly yes, appendfsync always: a reply follows the
AOF fsync), consumed by 2 consumers of one group (XREADGROUP) and
acknowledged (XACK). Starts its own redis-server on 127.0.0.1 with a
kernel-picked free port in a scratch directory, stops only that process
(by PID), and prints one JSON line:
  {"peer": "redis-streams", "messages": N, "per_s": ..., "p50_ms": ...,
   "p99_ms": ..., "fsync": "always"}
Usage: redis_streams.py [--messages N] [--pipeline K]
Needs Debian's redis-server and python3-redis."""
import argparse, json, shutil, signal, socket, subprocess, tempfile, time

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port

def on_term(signum, frame):
    raise KeyboardInterrupt  # (the finally: below stops our redis-server)

def main():
    signal.signal(signal.SIGTERM, on_term)
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=200000)
    ap.add_argument("--pipeline", type=int, default=128,
                    help="XADDs in flight per round trip (the producer waits for each batch's replies)")
    a = ap.parse_args()
    import redis
    d = tempfile.mkdtemp(prefix="cq-redis-")
    port = free_port()
    srv = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                            "--dir", d, "--appendonly", "yes", "--appendfsync", "always",
                            "--save", "", "--protected-mode", "yes", "--daemonize", "no"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        r = redis.Redis(port=port)
        for _ in range(100):
            try:
                r.ping(); break
            except Exception:
                time.sleep(0.05)
        r.xgroup_create("q", "g", id="0", mkstream=True)
        import multiprocessing as mp
        out = mp.Queue()
        go = mp.Event()
        stop = mp.Event()
        def consumer(name, share):
            c = redis.Redis(port=port)
            lat = []
            got = 0
            go.wait()
            while not stop.is_set():
                res = c.xreadgroup("g", name, {"q": ">"}, count=256, block=50)
                if not res:
                    continue
                ids = [i for i, f in res[0][1]]
                c.xack("q", "g", *ids)
                now = time.time()
                for i, f in res[0][1]:
                    lat.append(now - float(f[b"t"]))
                got += len(ids)
            out.put((got, lat))
        # consumers take what comes: each stops once all are consumed (the
        # group hands each message to one of them); shares are only a bound
        procs = [mp.Process(target=consumer, args=("c%d" % k, a.messages))
                 for k in range(2)]
        for p in procs: p.start()
        payload = b"x" * 400
        go.set()
        t0 = time.time()
        n = 0
        while n < a.messages:
            p = r.pipeline(transaction=False)
            k = min(a.pipeline, a.messages - n)
            now = time.time()
            for _ in range(k):
                p.xadd("q", {"t": repr(now), "b": payload})
            p.execute()
            n += k
        # every message acknowledged: the group has nothing pending
        last = r.xinfo_stream("q")["last-generated-id"]
        while True:
            info = r.xinfo_groups("q")[0]
            if info["pending"] == 0 and info["last-delivered-id"] == last:
                break
            time.sleep(0.002)
        el = time.time() - t0
        stop.set()
        lat = []
        for _ in procs:
            lat += out.get(timeout=30)[1]
        for p in procs: p.join(10)
        lat.sort()
        q = lambda f: (lat[min(len(lat) - 1, int(f * len(lat)))] * 1000) if lat else -1
        print(json.dumps({"peer": "redis-streams", "messages": a.messages,
                          "per_s": round(a.messages / el), "p50_ms": round(q(0.5), 3),
                          "p99_ms": round(q(0.99), 3), "fsync": "always",
                          "pipeline": a.pipeline}))
    finally:
        srv.terminate()
        try:
            srv.wait(10)
        except Exception:
            srv.kill()
        shutil.rmtree(d, ignore_errors=True)

if __name__ == "__main__":
    main()
