#!/usr/bin/python3
"""RabbitMQ with a quorum queue as a durable queue, the workload `claimq
bench e2e` is compared with: N persistent messages of 400 bytes published
with publisher confirms (a quorum queue confirms a message once it is in
its Raft log, which the WAL fdatasyncs first -- the WAL batches the writes
that arrive together into one sync), consumed by 2 consumers, each on its
own connection, with manual acks (basic_ack for every message).

Starts its own rabbitmq-server -- never the system service -- with
everything in a scratch directory: a unique node name (cqbench-<pid>@localhost),
its own config (AMQP listener on 127.0.0.1 at a kernel-picked free port, no
plugins), mnesia/log/pid/cookie files, and the Erlang distribution port
free and on loopback. It also starts its own epmd on a free loopback port
(ERL_EPMD_PORT), so a system epmd on 4369 is neither used nor started.
At the end (also on SIGTERM or SIGINT) it stops the node by PID (SIGTERM;
then SIGKILL to its process group and to whichever of its helper processes
-- erl_child_setup, inet_gethost -- is still there) and that epmd, and
removes the directory. Prints one JSON line:
  {"peer": "rabbitmq-quorum", "messages": N, "per_s": ..., "p50_ms": ...,
   "p99_ms": ..., "fsync": "...", "confirm_window": W}

Publishing: pika's BlockingConnection with confirm_delivery() waits for the
confirm of every publish before the next one (one message per fsync round
trip), which would understate RabbitMQ. So the producer uses pika's
asynchronous SelectConnection and keeps up to --window messages published
but not yet confirmed: it publishes a new message as each confirm arrives
(confirms may cover several messages, multiple=true). --window 1 gives the
synchronous figure. Consumers use BlockingConnection with basic_qos
prefetch --prefetch. per_s is N / (time from the first publish until every
message is acked); p50/p99 are publish-to-delivery latencies (the publish
time travels in the message's first bytes). At the end the consumers close
their channels and the queue is checked to be empty (a message whose ack
had not taken effect would be back in it).
Usage: rabbitmq_quorum.py [--messages N] [--window W] [--prefetch P]
Needs Debian's rabbitmq-server (which brings erlang) and python3-pika."""
import argparse, json, os, shutil, signal, socket, subprocess, sys, tempfile, time

def free_ports(n):
    """n distinct free ports (each socket stays bound until all are picked)."""
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports

def server_script():
    # /usr/sbin/rabbitmq-server is a wrapper that su's to the rabbitmq user
    # and resets the environment; the script behind it takes ours as is.
    for p in ("/usr/lib/rabbitmq/bin/rabbitmq-server",):
        if os.access(p, os.X_OK):
            return p
    p = shutil.which("rabbitmq-server")
    if not p:
        raise RuntimeError("rabbitmq-server not found (install Debian package rabbitmq-server)")
    return p

def wait_listening(port, proc, what, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError("%s exited with %s" % (what, proc.returncode))
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("%s did not listen on 127.0.0.1:%d within %ds" % (what, port, timeout))

def proc_stat(pid):
    """(ppid, start time) of a live process, or None (gone, or a zombie)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read().rsplit(")", 1)[1].split()
        if st[0] == "Z":
            return None
        return int(st[1]), st[19]
    except (OSError, IndexError, ValueError):
        return None

def descendants(root):
    """{pid: start time} of every process below root (beam.smp puts its
    erl_child_setup and inet_gethost helpers in sessions of their own, so
    the process group alone does not name them)."""
    kids = {}
    for e in os.listdir("/proc"):
        if e.isdigit():
            st = proc_stat(int(e))
            if st:
                kids.setdefault(st[0], []).append((int(e), st[1]))
    out, todo = {}, [root]
    while todo:
        for pid, start in kids.get(todo.pop(), []):
            if pid not in out:
                out[pid] = start
                todo.append(pid)
    return out

def stop(proc, timeout):
    """Stop a process started here in a session of its own: SIGTERM, then
    SIGKILL to its process group if it lingers, then SIGKILL to whichever of
    its descendants (seen before the stop, same PID and start time) is still
    there."""
    below = descendants(proc.pid)
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        pass
    end = time.time() + 5
    while below and time.time() < end:
        below = {p: t for p, t in below.items() if (proc_stat(p) or (0, None))[1] == t}
        if below:
            time.sleep(0.1)
    for pid in below:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=200000)
    ap.add_argument("--window", type=int, default=256,
                    help="messages published but not yet confirmed, at most (1: wait for each confirm)")
    ap.add_argument("--prefetch", type=int, default=256,
                    help="unacked deliveries per consumer (basic_qos prefetch_count)")
    ap.add_argument("--boot-timeout", type=int, default=120,
                    help="seconds to wait for the node to accept AMQP connections")
    a = ap.parse_args()
    # SIGTERM (and SIGINT) run the finally: below, which stops the server
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    import pika
    d = tempfile.mkdtemp(prefix="cq-rabbitmq-")
    port, dist, epmd_port = free_ports(3)
    node = "cqbench-%d@localhost" % os.getpid()
    for sub in ("mnesia", "log", "home"):
        os.mkdir(os.path.join(d, sub))
    conf = os.path.join(d, "rabbitmq.conf")
    with open(conf, "w") as f:
        f.write("listeners.tcp.default = 127.0.0.1:%d\n"
                "loopback_users.guest = true\n"
                "disk_free_limit.absolute = 50MB\n"
                "log.file.level = warning\n"
                "log.console = false\n" % port)
    with open(os.path.join(d, "enabled_plugins"), "w") as f:
        f.write("[].\n")
    env = dict(os.environ)
    env.update({
        "HOME": os.path.join(d, "home"),        # the Erlang cookie goes here
        "RABBITMQ_NODENAME": node,
        "RABBITMQ_USE_LONGNAME": "false",
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(dist),
        "RABBITMQ_CONFIG_FILE": conf,
        "RABBITMQ_ADVANCED_CONFIG_FILE": os.path.join(d, "advanced.config"),
        "RABBITMQ_CONF_ENV_FILE": os.path.join(d, "rabbitmq-env.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": os.path.join(d, "enabled_plugins"),
        "RABBITMQ_MNESIA_BASE": os.path.join(d, "mnesia"),
        "RABBITMQ_LOG_BASE": os.path.join(d, "log"),
        "RABBITMQ_PID_FILE": os.path.join(d, "rabbitmq.pid"),
        # Erlang distribution on loopback only, port fixed, epmd our own
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS":
            "-kernel inet_dist_use_interface {127,0,0,1} "
            "-kernel inet_dist_listen_min %d -kernel inet_dist_listen_max %d" % (dist, dist),
        "ERL_EPMD_ADDRESS": "127.0.0.1",
        "ERL_EPMD_PORT": str(epmd_port),
    })
    for k in ("RABBITMQ_LOGS", "RABBITMQ_MNESIA_DIR", "RABBITMQ_SERVER_START_ARGS",
              "RABBITMQ_SERVER_ERL_ARGS", "RABBITMQ_PLUGINS_EXPAND_DIR",
              "RABBITMQ_FEATURE_FLAGS_FILE", "RABBITMQ_QUORUM_DIR",
              "RABBITMQ_STREAM_DIR", "NOTIFY_SOCKET"):
        env.pop(k, None)
    epmd = srv = logf = None
    try:
        epmd = subprocess.Popen([shutil.which("epmd") or "epmd", "-port", str(epmd_port),
                                 "-address", "127.0.0.1"], env=env, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listening(epmd_port, epmd, "epmd", 10)
        # a session of its own: the process group is the node and its children
        logf = open(os.path.join(d, "log", "stdout"), "wb")
        srv = subprocess.Popen([server_script()], env=env, cwd=d, start_new_session=True,
                               stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT)
        t_boot = time.time()
        params = pika.ConnectionParameters("127.0.0.1", port, heartbeat=0,
                                           connection_attempts=1, socket_timeout=5)
        end = time.time() + a.boot_timeout
        while True:
            if srv.poll() is not None:
                raise RuntimeError("rabbitmq-server exited with %s:\n%s" % (
                    srv.returncode, open(os.path.join(d, "log", "stdout"),
                                         errors="replace").read()[-3000:]))
            try:
                r = pika.BlockingConnection(params)
                break
            except pika.exceptions.AMQPConnectionError:
                if time.time() > end:
                    raise RuntimeError("rabbitmq-server did not accept AMQP within %ds"
                                       % a.boot_timeout)
                time.sleep(0.2)
        boot_s = time.time() - t_boot
        ch = r.channel()
        ch.queue_declare("q", durable=True, arguments={"x-queue-type": "quorum"})

        import multiprocessing as mp
        out = mp.Queue()
        go = mp.Event()
        stopping = mp.Event()
        done = mp.Value("q", 0)
        def consumer():
            c = pika.BlockingConnection(params)
            cch = c.channel()
            cch.basic_qos(prefetch_count=a.prefetch)
            lat = []
            got = [0]
            def on_msg(chan, method, props, body):
                chan.basic_ack(method.delivery_tag)
                lat.append(time.time() - float(body[:20]))
                got[0] += 1
            go.wait()
            cch.basic_consume("q", on_msg, auto_ack=False)
            seen = 0
            while not stopping.is_set():
                c.process_data_events(time_limit=0.05)
                if got[0] != seen:
                    with done.get_lock():
                        done.value += got[0] - seen
                    seen = got[0]
            # closing the channel returns whatever is still unacked to the
            # queue, after the acks sent on it: the check below sees them
            cch.close()
            c.close()
            out.put((got[0], lat))
        # consumers take what comes: the queue hands each message to one of them
        procs = [mp.Process(target=consumer, daemon=True) for _ in range(2)]
        for p in procs: p.start()

        # producer: SelectConnection, at most a.window unconfirmed publishes
        pad = b"x" * 380
        props = pika.BasicProperties(delivery_mode=2)
        st = {"sent": 0, "confirmed": 0, "pending": set(), "low": 1, "err": None, "ch": None}
        def publish_more():
            c = st["ch"]
            while st["sent"] < a.messages and st["sent"] - st["confirmed"] < a.window:
                c.basic_publish("", "q", b"%20.6f" % time.time() + pad, props)
                st["sent"] += 1
                st["pending"].add(st["sent"])
        def on_confirm(frame):
            m = frame.method
            if isinstance(m, pika.spec.Basic.Nack):
                st["err"] = "broker nacked delivery tag %d" % m.delivery_tag
                pconn.close()
                return
            # delivery tags are 1..sent; multiple confirms every tag up to this one
            pend = st["pending"]
            if m.multiple:
                for t in range(st["low"], m.delivery_tag + 1):
                    pend.discard(t)
                st["low"] = max(st["low"], m.delivery_tag + 1)
            else:
                pend.discard(m.delivery_tag)
            st["confirmed"] = st["sent"] - len(pend)
            if st["confirmed"] >= a.messages:
                pconn.close()
            else:
                publish_more()
        def on_channel(c):
            st["ch"] = c
            c.confirm_delivery(on_confirm, callback=lambda _f: publish_more())
        def on_open(conn):
            conn.channel(on_open_callback=on_channel)
        def on_open_err(conn, e):
            st["err"] = "producer connection failed: %r" % (e,)
            conn.ioloop.stop()
        def on_close(conn, reason):
            if st["confirmed"] < a.messages and not st["err"]:
                st["err"] = "producer connection closed: %r" % (reason,)
            conn.ioloop.stop()
        go.set()
        t0 = time.time()
        pconn = pika.SelectConnection(params, on_open_callback=on_open,
                                      on_open_error_callback=on_open_err,
                                      on_close_callback=on_close)
        pconn.ioloop.start()
        if st["err"]:
            raise RuntimeError(st["err"])
        t_pub = time.time() - t0
        # every message acked (a consumer counts a message once it sent its ack)
        while done.value < a.messages:
            if not all(p.is_alive() for p in procs):
                raise RuntimeError("a consumer died")
            time.sleep(0.002)
        el = time.time() - t0
        stopping.set()
        lat = []
        got = 0
        for _ in procs:
            g, l = out.get(timeout=30)
            got += g
            lat += l
        for p in procs: p.join(10)
        left = ch.queue_declare("q", passive=True).method.message_count
        if got != a.messages or left:
            raise RuntimeError("consumed %d of %d, %d left in the queue" % (got, a.messages, left))
        r.close()
        lat.sort()
        q = lambda f: (lat[min(len(lat) - 1, int(f * len(lat)))] * 1000) if lat else -1
        print(json.dumps({"peer": "rabbitmq-quorum", "messages": a.messages,
                          "per_s": round(a.messages / el), "p50_ms": round(q(0.5), 3),
                          "p99_ms": round(q(0.99), 3),
                          "fsync": "raft WAL fdatasync before confirm (batched)",
                          "confirm_window": a.window, "prefetch": a.prefetch,
                          "publish_per_s": round(a.messages / t_pub),
                          "boot_s": round(boot_s, 1)}))
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if srv is not None:
            stop(srv, 60)
        if epmd is not None:
            stop(epmd, 5)
        if logf is not None:
            logf.close()
        shutil.rmtree(d, ignore_errors=True)

if __name__ == "__main__":
    main()
