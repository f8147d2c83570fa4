#!/usr/bin/env python3
"""Checks the rendered Kubernetes manifests of deploy/k8s (it_k8s.c).

usage: check.py RENDERED.yaml BIN_DIR DEPLOY_K8S_DIR
       check.py --files BIN_DIR DEPLOY_K8S_DIR   (no kubectl: the
       kustomization's resources read as files, its ConfigMaps made here)

Offline, what `kubectl apply --validate` would need a cluster for, and what
it cannot know: every object has apiVersion, kind and a name; a
StatefulSet's selector matches its pod labels and names a Service of the
set; every volumeMount names a volume or a claim template; every probe's
port is a named container port; each container's command is one of the
three programs, and its arguments (with --print-config added, the
configuration files of deploy/k8s in place of their mount points) are
accepted by the program itself. Prints one line per problem; exits 1 when
there is one.
"""
import os
import subprocess
import sys

import yaml

problems = []


def bad(msg):
    problems.append(msg)
    print("k8s: " + msg)


def main():
    rendered, bin_dir, k8s_dir = sys.argv[1:4]
    if rendered == "--files":
        docs = []
        with open(os.path.join(k8s_dir, "kustomization.yaml")) as f:
            kust = yaml.safe_load(f)
        for res in kust.get("resources", []):
            with open(os.path.join(k8s_dir, res)) as f:
                docs += [d for d in yaml.safe_load_all(f) if d]
        for gen in kust.get("configMapGenerator", []):
            for fn in gen.get("files", []):
                if not os.path.exists(os.path.join(k8s_dir, fn)):
                    bad("configMapGenerator %s: no file %s" % (gen["name"], fn))
            docs.append({"apiVersion": "v1", "kind": "ConfigMap",
                         "metadata": {"name": gen["name"]}})
    else:
        with open(rendered) as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
    if not docs:
        bad("no objects rendered")
    by_kind = {}
    for d in docs:
        for key in ("apiVersion", "kind"):
            if not d.get(key):
                bad("an object without %s" % key)
        name = (d.get("metadata") or {}).get("name")
        if not name:
            bad("a %s without metadata.name" % d.get("kind"))
        by_kind.setdefault(d.get("kind"), {})[name] = d
    services = by_kind.get("Service", {})
    configmaps = by_kind.get("ConfigMap", {})
    for want in ("claimq-broker", "claimq-worker"):
        if want not in by_kind.get("StatefulSet", {}):
            bad("no StatefulSet %s" % want)
    for name, ss in by_kind.get("StatefulSet", {}).items():
        spec = ss["spec"]
        tmpl = spec["template"]
        labels = tmpl["metadata"].get("labels", {})
        for k, v in spec["selector"]["matchLabels"].items():
            if labels.get(k) != v:
                bad("%s: selector %s=%s not on its pods" % (name, k, v))
        if spec.get("serviceName") not in services:
            bad("%s: serviceName %s is no Service" % (name, spec.get("serviceName")))
        pod = tmpl["spec"]
        if pod.get("securityContext", {}).get("fsGroup") is not None:
            bad("%s: fsGroup makes secret keys group-readable" % name)
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        claims = {c["metadata"]["name"] for c in spec.get("volumeClaimTemplates", [])}
        for v in volumes.values():
            cm = v.get("configMap")
            if cm and cm["name"] not in configmaps:
                bad("%s: volume %s: no ConfigMap %s" % (name, v["name"], cm["name"]))
        for c in pod.get("initContainers", []) + pod["containers"]:
            ports = {p["name"] for p in c.get("ports", [])}
            for m in c.get("volumeMounts", []):
                if m["name"] not in volumes and m["name"] not in claims:
                    bad("%s/%s: mount %s names no volume" % (name, c["name"], m["name"]))
            for probe in ("livenessProbe", "readinessProbe"):
                p = c.get(probe)
                if p is None:
                    continue
                port = p.get("httpGet", {}).get("port")
                if port not in ports:
                    bad("%s/%s: %s port %s is not a container port" % (name, c["name"], probe, port))
        main_c = pod["containers"][0]
        for probe in ("livenessProbe", "readinessProbe"):
            if probe not in main_c:
                bad("%s: no %s" % (name, probe))
        prog = main_c["command"][0]
        if prog not in ("claimq-broker", "claimq-worker"):
            bad("%s: command %s is not a claimq daemon" % (name, prog))
            continue
        if prog == "claimq-worker":
            env = {e["name"]: e for e in main_c.get("env", [])}
            if env.get("OMP_THREAD_LIMIT", {}).get("value") != "1":
                bad("%s: OMP_THREAD_LIMIT is not 1" % name)
            if "preStop" not in main_c.get("lifecycle", {}):
                bad("%s: no preStop hook" % name)
        # the program accepts its arguments and its file
        args = []
        for a in main_c.get("args", []):
            a = a.replace("$(POD_NAME)", "claimq-worker-0")
            if a.startswith("/etc/claimq/") and a.endswith(".conf"):
                a = os.path.join(k8s_dir, os.path.basename(a))
            args.append(a)
        for m in main_c.get("volumeMounts", []):
            if m.get("subPath", "").endswith(".conf") and \
                    not os.path.exists(os.path.join(k8s_dir, m["subPath"])):
                bad("%s: %s is not in deploy/k8s" % (name, m["subPath"]))
        env = dict(os.environ)
        for k in list(env):
            if k.startswith("CLAIMQ_"):
                del env[k]
        r = subprocess.run([os.path.join(bin_dir, prog)] + args + ["--print-config"],
                           capture_output=True, text=True, env=env, timeout=60)
        if r.returncode != 0:
            bad("%s: %s refuses its arguments: %s" % (name, prog, r.stderr.strip()))
        elif "configuration" not in r.stdout:
            bad("%s: %s --print-config printed nothing" % (name, prog))
        # every key the pod's file names: a mount point that the pod has
        if r.returncode == 0:
            mounts = [m["mountPath"] for m in main_c.get("volumeMounts", [])]
            for line in r.stdout.splitlines():
                if "=" not in line or line.startswith("#"):
                    continue
                value = line.split("=", 1)[1].strip()
                if value.startswith("/etc/claimq/") or value.startswith("/var/lib/claimq"):
                    if not any(value == p or value.startswith(p.rstrip("/") + "/") for p in mounts):
                        bad("%s: %s is on no mounted volume" % (name, value))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
