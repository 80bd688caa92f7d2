#!/usr/bin/env python3
"""Assertions on rendered Kubernetes manifests (`kubectl kustomize deploy/k8s/...`).

Every workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod):
non-root, read-only root filesystem, no privilege escalation, all capabilities dropped,
seccomp RuntimeDefault, no host namespaces or host paths, no service-account token,
requests and limits, probes on long-running containers, secret-bearing variables only
from Secrets. No Secret carries values in the render.

The vtoc-mcp Deployment besides: 2+ replicas, stateless, its settings ConfigMap present,
the secret files it names mounted at those paths, HTTP probes on /healthz (the image has
no shell), a termination grace above MCP_SHUTDOWN_GRACE_SECS plus the preStop sleep, a
surge-only rollout; and next to it a Service, a PodDisruptionBudget, an autoscaling/v2
HorizontalPodAutoscaler on CPU and a NetworkPolicy (ingress from namespaces only,
egress to the backend and DNS only). An Ingress, when there is one (or --expect-ingress),
serves TLS for a host that MCP_ALLOWED_HOSTS allows and MCP_PUBLIC_URL names. With
--expect-backend, the backend the bridge calls is in the render, reachable under its
NetworkPolicy, and given SUPABASE_URL and a Supabase key (vTOC's data). Whenever
MCP_STATE_URL is set (required with --expect-state), the shared store it names is in the
render: a Service on that port selecting one single-replica workload that persists to an
append-only file on a volume, the password file of the bridge and the store's from the
same Secret key (no password in the URL), the store's NetworkPolicy admitting the bridge's
pods alone on that port and allowing no egress, and the bridge's allowing it. Every
namespaced object is in the bridge's namespace (a Service or an Ingress elsewhere would
not reach it).

Usage: check-k8s.py RENDERED.yaml [--expect-ingress] [--expect-backend] [--expect-state]
Exit code 1 with one "FAIL" line per finding; run by scripts/check-deploy.sh.
"""

import argparse
import sys
from urllib.parse import urlsplit

import yaml

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}
LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}
# Variables whose value is a credential: only ever from a Secret (or as a *_FILE path).
SECRET_VARS = {"MCP_AUTH_TOKENS", "VTOC_API_TOKEN", "MCP_REQUEST_STATE_KEY", "MCP_STATE_PASSWORD", "POSTGRES_PASSWORD",
               "DATABASE_URL", "SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_ANON_KEY"}
MCP = "vtoc-mcp"
MCP_PORT = 8765
SECRET_FILES = ("MCP_AUTH_TOKENS_FILE", "MCP_REQUEST_STATE_KEY_FILE", "VTOC_API_TOKEN_FILE")
# Objects that live in no namespace.
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "StorageClass", "PersistentVolume",
                  "CustomResourceDefinition", "IngressClass", "PriorityClass"}


class Checker:
    def __init__(self, docs):
        self.docs = docs
        self.failures = []
        self.checks = 0

    def expect(self, ok, where, message):
        self.checks += 1
        if not ok:
            self.failures.append(f"FAIL {where}: {message}")
        return ok

    def find(self, kind, name=None):
        return [d for d in self.docs if d.get("kind") == kind and (name is None or d["metadata"]["name"] == name)]

    # ---- every workload -------------------------------------------------------------

    def workloads(self):
        for doc in self.docs:
            if doc.get("kind") in WORKLOADS:
                self.workload(doc)
        for secret in self.find("Secret"):
            where = f"Secret/{secret['metadata']['name']}"
            self.expect(not secret.get("data") and not secret.get("stringData"), where,
                        "carries values; secrets are created out of band and referenced by name only")
        for cm in self.find("ConfigMap"):
            leaked = sorted(SECRET_VARS & set(cm.get("data") or {}))
            self.expect(not leaked, f"ConfigMap/{cm['metadata']['name']}",
                        f"holds secret-bearing settings {leaked}: use a Secret (or the *_FILE variable)")

    @staticmethod
    def pod_spec(doc):
        kind = doc["kind"]
        if kind == "Pod":
            return doc["spec"]
        if kind == "CronJob":
            return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        return doc["spec"]["template"]["spec"]

    def workload(self, doc):
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        spec = self.pod_spec(doc)
        psc = spec.get("securityContext") or {}
        for host in ("hostNetwork", "hostPID", "hostIPC"):
            self.expect(not spec.get(host), where, f"{host} is on")
        for vol in spec.get("volumes") or []:
            self.expect("hostPath" not in vol, where, f"volume {vol.get('name')} is a hostPath")
        self.expect(spec.get("automountServiceAccountToken") is False, where,
                    "automountServiceAccountToken is not false (no workload here talks to the API server)")
        containers = (spec.get("initContainers") or []) + (spec.get("containers") or [])
        self.expect(bool(containers), where, "has no containers")
        for c in containers:
            self.container(doc, where, psc, c, c in (spec.get("initContainers") or []))

    def container(self, doc, where, psc, c, init):
        cw = f"{where} container {c['name']}"
        sc = c.get("securityContext") or {}

        def eff(key):
            return sc[key] if key in sc else psc.get(key)

        self.expect(eff("runAsNonRoot") is True, cw, "runAsNonRoot is not true (pod or container securityContext)")
        self.expect(eff("runAsUser") != 0, cw, "runAsUser is 0 (root)")
        self.expect(sc.get("readOnlyRootFilesystem") is True, cw, "readOnlyRootFilesystem is not true (writable root filesystem)")
        self.expect(sc.get("allowPrivilegeEscalation") is False, cw, "allowPrivilegeEscalation is not false")
        self.expect(sc.get("privileged") is not True, cw, "runs privileged")
        caps = sc.get("capabilities") or {}
        self.expect("ALL" in (caps.get("drop") or []), cw, "capabilities.drop does not include ALL")
        self.expect(not caps.get("add"), cw, f"adds capabilities {caps.get('add')}")
        seccomp = (eff("seccompProfile") or {}).get("type")
        self.expect(seccomp in ("RuntimeDefault", "Localhost"), cw, f"seccompProfile is {seccomp!r}, not RuntimeDefault")
        res = c.get("resources") or {}
        for part in ("requests", "limits"):
            for what in ("cpu", "memory"):
                self.expect(what in (res.get(part) or {}), cw, f"no resources.{part}.{what}")
        image = c.get("image", "")
        self.expect("@" in image or ":" in image.rsplit("/", 1)[-1], cw, f"image {image!r} names no tag or digest")
        for env in c.get("env") or []:
            if env["name"] in SECRET_VARS:
                ref = (env.get("valueFrom") or {}).get("secretKeyRef")
                self.expect(ref is not None and "value" not in env, cw,
                            f"{env['name']} is set as a plain value; reference a Secret")
        if doc["kind"] in LONG_RUNNING and not init:
            for probe in ("readinessProbe", "livenessProbe"):
                self.expect(probe in c, cw, f"no {probe}")

    # ---- the bridge -----------------------------------------------------------------

    def mcp(self, expect_ingress, expect_backend, expect_state=False):
        deployments = self.find("Deployment", MCP)
        if not self.expect(len(deployments) == 1, f"Deployment/{MCP}", "missing from the render"):
            return
        dep = deployments[0]
        where = f"Deployment/{MCP}"
        spec = dep["spec"]
        pod = spec["template"]["spec"]
        labels = spec["template"]["metadata"].get("labels") or {}
        self.expect((spec.get("replicas") or 1) >= 2, where, f"replicas is {spec.get('replicas')}, fewer than 2")
        roll = (spec.get("strategy") or {}).get("rollingUpdate") or {}
        self.expect(roll.get("maxUnavailable") == 0, where,
                    "rollingUpdate.maxUnavailable is not 0 (start the new pod before stopping the old one)")
        c = next((c for c in pod["containers"] if any(p.get("containerPort") == MCP_PORT for p in c.get("ports") or [])), None)
        if not self.expect(c is not None, where, f"no container exposes port {MCP_PORT}"):
            return
        settings = self.settings(dep, c)
        env = {e["name"]: e.get("value") for e in c.get("env") or []}
        self.expect(settings.get("MCP_STATELESS") == "true", where, "MCP_STATELESS is not true: replicas would hold sessions")
        self.expect(settings.get("MCP_TRANSPORT") == "http", where, "MCP_TRANSPORT is not http")
        self.expect(settings.get("MCP_BIND", "").endswith(f":{MCP_PORT}"), where,
                    f"MCP_BIND {settings.get('MCP_BIND')!r} is not the container port {MCP_PORT}")
        self.expect(settings.get("MCP_INSECURE_NO_AUTH", "false") == "false", where, "MCP_INSECURE_NO_AUTH is on")
        for plain in SECRET_VARS & set(env):
            self.expect(False, where, f"{plain} is set in the container environment")
        mounted = self.secret_files(pod, c)
        state_url = settings.get("MCP_STATE_URL", "")
        for var in SECRET_FILES + (("MCP_STATE_PASSWORD_FILE",) if state_url else ()):
            path = env.get(var) or settings.get(var)
            self.expect(path in mounted, where, f"{var}={path!r} is not a file mounted from a Secret ({sorted(mounted)})")
        namespace = dep["metadata"].get("namespace")
        for doc in self.docs:
            if doc.get("kind") not in CLUSTER_SCOPED:
                self.expect(doc["metadata"].get("namespace") == namespace, f"{doc['kind']}/{doc['metadata']['name']}",
                            f"is in namespace {doc['metadata'].get('namespace')!r}, the bridge in {namespace!r}")

        port_names = {p.get("name"): p["containerPort"] for p in c.get("ports") or []}
        for probe_name in ("readinessProbe", "livenessProbe"):
            probe = c.get(probe_name) or {}
            get = probe.get("httpGet")
            if self.expect(get is not None, where, f"{probe_name} is not httpGet (the image is distroless: no shell, no curl)"):
                port = port_names.get(get.get("port"), get.get("port"))
                self.expect(get.get("path") == "/healthz" and port == MCP_PORT, where,
                            f"{probe_name} probes {get.get('path')} on {get.get('port')}, not /healthz on {MCP_PORT}")
        readiness = c.get("readinessProbe") or {}
        self.expect(readiness.get("failureThreshold", 3) * readiness.get("periodSeconds", 10) <= 10, where,
                    "readiness takes more than 10 s to notice draining (failureThreshold x periodSeconds)")
        grace = int(settings.get("MCP_SHUTDOWN_GRACE_SECS") or 10)
        pre = (((c.get("lifecycle") or {}).get("preStop") or {}).get("sleep") or {}).get("seconds", 0)
        tgps = pod.get("terminationGracePeriodSeconds", 30)
        self.expect(tgps > grace + pre, where,
                    f"terminationGracePeriodSeconds {tgps} is not above MCP_SHUTDOWN_GRACE_SECS {grace} + preStop sleep {pre}")

        self.service(labels)
        self.pdb(labels, spec.get("replicas") or 1)
        self.hpa()
        store_port = self.store_port(state_url)
        self.network_policy(labels, store_port)
        ingresses = self.find("Ingress")
        if expect_ingress:
            self.expect(bool(ingresses), "Ingress", "the overlay has no Ingress")
        for ing in ingresses:
            self.ingress(ing, settings)
        if expect_backend:
            self.backend(settings)
        if expect_state:
            self.expect(bool(state_url), where, "MCP_STATE_URL is not set: the overlay gives the bridge no shared store")
        if state_url:
            self.state(settings, labels, mounted, pod, c)

    def settings(self, dep, c):
        data = {}
        for src in c.get("envFrom") or []:
            name = (src.get("configMapRef") or {}).get("name")
            if name is None:
                continue
            cms = self.find("ConfigMap", name)
            if self.expect(len(cms) == 1, f"Deployment/{MCP}", f"envFrom names ConfigMap {name}, which the render lacks"):
                data.update(cms[0].get("data") or {})
        for e in c.get("env") or []:
            if "value" in e:
                data[e["name"]] = e["value"]
        self.expect(bool(data), f"Deployment/{MCP}", "has no settings (envFrom a ConfigMap)")
        return data

    @staticmethod
    def secret_files(pod, c):
        """Files a container sees from Secrets: {path: (secret name, key)}."""
        volumes = {v["name"]: v for v in pod.get("volumes") or []}
        files = {}
        for m in c.get("volumeMounts") or []:
            v = volumes.get(m["name"]) or {}
            sources = []
            if "secret" in v:
                sources = [{"secret": {**v["secret"], "name": v["secret"].get("secretName")}}]
            elif "projected" in v:
                sources = v["projected"].get("sources") or []
            for s in sources:
                sec = s.get("secret")
                if sec is None:
                    continue
                for item in sec.get("items") or []:
                    files[m["mountPath"].rstrip("/") + "/" + item["path"]] = (sec.get("name"), item["key"])
        return files

    def service(self, labels):
        svcs = [s for s in self.find("Service") if s["spec"].get("selector") and
                all(labels.get(k) == v for k, v in s["spec"]["selector"].items())]
        if self.expect(bool(svcs), "Service", f"no Service selects the {MCP} pods"):
            ports = svcs[0]["spec"]["ports"]
            self.expect(any(p.get("targetPort") in ("http", MCP_PORT) for p in ports), f"Service/{svcs[0]['metadata']['name']}",
                        "does not target the MCP port")

    def pdb(self, labels, replicas):
        pdbs = [p for p in self.find("PodDisruptionBudget") if self.selects(p["spec"].get("selector"), labels)]
        if self.expect(bool(pdbs), "PodDisruptionBudget", f"none selects the {MCP} pods"):
            p = pdbs[0]["spec"]
            if "maxUnavailable" in p:
                ok = isinstance(p["maxUnavailable"], int) and 1 <= p["maxUnavailable"] < replicas
            else:
                ok = isinstance(p.get("minAvailable"), int) and 1 <= p["minAvailable"] < replicas
            self.expect(ok, "PodDisruptionBudget", "must keep at least one replica and allow one disruption")

    def hpa(self):
        hpas = [h for h in self.find("HorizontalPodAutoscaler") if h["spec"]["scaleTargetRef"].get("name") == MCP]
        if not self.expect(bool(hpas), "HorizontalPodAutoscaler", f"none scales Deployment/{MCP}"):
            return
        h = hpas[0]
        self.expect(h["apiVersion"] == "autoscaling/v2", "HorizontalPodAutoscaler", f"apiVersion {h['apiVersion']}, not autoscaling/v2")
        self.expect(h["spec"].get("minReplicas", 1) >= 2, "HorizontalPodAutoscaler", "minReplicas below 2")
        cpu = [m for m in h["spec"].get("metrics") or [] if m.get("type") == "Resource" and m["resource"]["name"] == "cpu"]
        self.expect(bool(cpu), "HorizontalPodAutoscaler", "does not scale on CPU")

    @staticmethod
    def selects(selector, labels):
        match = (selector or {}).get("matchLabels") or {}
        return bool(match) and all(labels.get(k) == v for k, v in match.items())

    @staticmethod
    def store_port(url):
        if not url:
            return None
        try:
            return urlsplit(url).port or 6379
        except ValueError:
            return None

    def network_policy(self, labels, store_port=None):
        nps = [n for n in self.find("NetworkPolicy") if self.selects(n["spec"].get("podSelector"), labels)]
        if not self.expect(bool(nps), "NetworkPolicy", f"none selects the {MCP} pods"):
            return
        np = nps[0]["spec"]
        where = f"NetworkPolicy/{nps[0]['metadata']['name']}"
        self.expect(set(np.get("policyTypes") or []) == {"Ingress", "Egress"}, where, "policyTypes must be Ingress and Egress")
        for rule in np.get("ingress") or []:
            peers = rule.get("from") or []
            self.expect(bool(peers), where, "an ingress rule without `from` admits everyone")
            for peer in peers:
                self.expect("namespaceSelector" in peer and "ipBlock" not in peer and
                            (peer["namespaceSelector"].get("matchLabels") or peer["namespaceSelector"].get("matchExpressions")),
                            where, f"ingress peer {peer} is not a named namespace")
            self.expect([p.get("port") for p in rule.get("ports") or []] in (["http"], [MCP_PORT]), where,
                        "ingress must be limited to the MCP port")
        ports = set()
        for rule in np.get("egress") or []:
            self.expect(bool(rule.get("to")), where, "an egress rule without `to` allows any destination")
            rule_ports = [p.get("port") for p in rule.get("ports") or []]
            self.expect(bool(rule_ports), where, "an egress rule without ports allows every port")
            ports.update(rule_ports)
        wanted = {53, 8080} | ({store_port} if store_port else set())
        self.expect(ports == wanted, where, f"egress ports {sorted(map(str, ports))}, expected DNS (53), the backend (8080)"
                    + (f" and the shared store ({store_port})" if store_port else ""))

    def ingress(self, ing, settings):
        where = f"Ingress/{ing['metadata']['name']}"
        spec = ing["spec"]
        tls_hosts = {h for t in spec.get("tls") or [] for h in t.get("hosts") or []}
        allowed = {h.strip() for h in settings.get("MCP_ALLOWED_HOSTS", "").split(",")}
        public = settings.get("MCP_PUBLIC_URL", "")
        for rule in spec.get("rules") or []:
            host = rule.get("host")
            self.expect(host in tls_hosts, where, f"host {host} is not served with TLS")
            self.expect(host in allowed, where, f"host {host} is not in MCP_ALLOWED_HOSTS ({sorted(allowed)}): every request would get 403")
            self.expect(public == f"https://{host}/mcp", where, f"MCP_PUBLIC_URL {public!r} is not https://{host}/mcp")
            for path in rule["http"]["paths"]:
                svc = path["backend"]["service"]["name"]
                self.expect(svc == MCP, where, f"path {path['path']} goes to Service {svc}")

    def backend(self, settings):
        url = urlsplit(settings.get("VTOC_API_BASE_URL", ""))
        svcs = self.find("Service", url.hostname)
        if not self.expect(bool(svcs), "Service", f"VTOC_API_BASE_URL names {url.hostname}, which the render does not define"):
            return
        svc = svcs[0]["spec"]
        self.expect(any(p["port"] == (url.port or 80) for p in svc["ports"]), f"Service/{url.hostname}",
                    f"does not listen on {url.port}")
        pods = [d for d in self.find("Deployment")
                if self.selects({"matchLabels": svc.get("selector")}, d["spec"]["template"]["metadata"].get("labels") or {})]
        if self.expect(bool(pods), f"Service/{url.hostname}", "selects no Deployment's pods"):
            labels = pods[0]["spec"]["template"]["metadata"]["labels"]
            # vTOC's backend serves data only with SUPABASE_URL and a service-role or anon key
            # (backend/app/config.py); the keys come from a Secret (SECRET_VARS above).
            where = f"Deployment/{pods[0]['metadata']['name']}"
            env = {e["name"] for c in pods[0]["spec"]["template"]["spec"]["containers"] for e in c.get("env") or []}
            self.expect("SUPABASE_URL" in env, where, "does not set SUPABASE_URL: every data endpoint would answer 503")
            self.expect(bool(env & {"SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_ANON_KEY"}), where,
                        "sets neither SUPABASE_SERVICE_ROLE_KEY nor SUPABASE_ANON_KEY: every data endpoint would answer 503")
            allowed = [peer for n in self.find("NetworkPolicy", MCP) for rule in n["spec"].get("egress") or []
                       for peer in rule.get("to") or [] if "podSelector" in peer and "namespaceSelector" not in peer
                       and self.selects(peer["podSelector"], labels)]
            self.expect(bool(allowed), f"NetworkPolicy/{MCP}", "egress does not allow the backend's pods")


    # ---- the shared state store (MCP_STATE_URL) --------------------------------------

    def state(self, settings, mcp_labels, mcp_files, mcp_pod, mcp_container):
        url = settings["MCP_STATE_URL"]
        where = "MCP_STATE_URL"
        parts = urlsplit(url)
        self.expect(parts.scheme in ("redis", "rediss"), where, f"{url!r} is not redis:// or rediss://")
        self.expect(parts.password is None, where, "carries a password; use MCP_STATE_PASSWORD_FILE from a Secret")
        port = self.store_port(url)
        svcs = self.find("Service", parts.hostname)
        if not self.expect(bool(svcs), where, f"names {parts.hostname}, which the render does not define"):
            return
        svc = svcs[0]["spec"]
        sw = f"Service/{parts.hostname}"
        svc_ports = [p for p in svc.get("ports") or [] if p.get("port") == port]
        self.expect(bool(svc_ports), sw, f"does not listen on {port} (MCP_STATE_URL)")
        workloads = [d for d in self.docs if d.get("kind") in ("StatefulSet", "Deployment")
                     and self.selects({"matchLabels": svc.get("selector")}, d["spec"]["template"]["metadata"].get("labels") or {})]
        if not self.expect(len(workloads) == 1, sw, f"selects {len(workloads)} workloads' pods, not the store's alone"):
            return
        store = workloads[0]
        ww = f"{store['kind']}/{store['metadata']['name']}"
        # Two independent stores behind one Service would each hold part of the marks.
        self.expect(store["spec"].get("replicas", 1) == 1, ww, f"replicas {store['spec'].get('replicas')}: one store, one writer")
        pod = store["spec"]["template"]["spec"]
        labels = store["spec"]["template"]["metadata"]["labels"]
        self.expect(not self.selects({"matchLabels": labels}, mcp_labels) and not self.selects({"matchLabels": mcp_labels}, labels),
                    ww, "its pods' labels overlap the bridge's: their policies and Services would select each other")
        c = pod["containers"][0]
        # The port the Service reaches, and the persistence flags of the server.
        target = svc_ports[0].get("targetPort", port) if svc_ports else port
        named = {p.get("name"): p["containerPort"] for p in c.get("ports") or []}
        self.expect(named.get(target, target) in [p["containerPort"] for p in c.get("ports") or []], sw,
                    f"targets {target}, which the store's container does not expose")
        script = " ".join((c.get("command") or []) + (c.get("args") or []))
        self.expect("--appendonly yes" in script, ww, "the server does not persist (--appendonly yes): a restart forgets the marks")
        self.expect("--appendfsync always" in script or "--appendfsync everysec" in script, ww,
                    "no --appendfsync always/everysec: how much a crash loses is left to the image")
        data_dir = script.split("--dir ", 1)[1].split()[0] if "--dir " in script else None
        mounts = {m["mountPath"].rstrip("/"): m["name"] for m in c.get("volumeMounts") or []}
        claims = {t["metadata"]["name"] for t in store["spec"].get("volumeClaimTemplates") or []}
        vols = {v["name"]: v for v in pod.get("volumes") or []}
        volume = mounts.get((data_dir or "").rstrip("/"))
        self.expect(volume is not None and (volume in claims or "persistentVolumeClaim" in vols.get(volume, {})
                                            or "emptyDir" in vols.get(volume, {})),
                    ww, f"its data directory {data_dir!r} is not a volume (claim or emptyDir)")
        # The bridge's password file and the store's come from the same Secret key.
        bridge = mcp_files.get(settings.get("MCP_STATE_PASSWORD_FILE"))
        store_refs = set(self.secret_files(pod, c).values())
        self.expect(bridge is not None and bridge in store_refs, ww,
                    f"the bridge reads its password from {bridge}, the store from {sorted(store_refs)}")
        # Only the bridge may reach the store; the store may call nothing.
        nps = [n for n in self.find("NetworkPolicy") if self.selects(n["spec"].get("podSelector"), labels)]
        if self.expect(bool(nps), ww, "no NetworkPolicy selects the store's pods: every pod in the cluster may reach it"):
            for n in nps:
                nw = f"NetworkPolicy/{n['metadata']['name']}"
                spec = n["spec"]
                self.expect({"Ingress", "Egress"} <= set(spec.get("policyTypes") or []), nw, "policyTypes must be Ingress and Egress")
                self.expect(not spec.get("egress"), nw, f"allows egress {spec.get('egress')}; the store calls nothing")
                for rule in spec.get("ingress") or []:
                    peers = rule.get("from") or []
                    self.expect(bool(peers), nw, "an ingress rule without `from` admits every pod")
                    for peer in peers:
                        self.expect(set(peer) == {"podSelector"} and self.selects(peer["podSelector"], mcp_labels)
                                    and not peer["podSelector"].get("matchExpressions"), nw,
                                    f"ingress peer {peer} is not the bridge's pods (this namespace)")
                    rule_ports = [named.get(p.get("port"), p.get("port")) for p in rule.get("ports") or []]
                    self.expect(bool(rule_ports) and all(p in named.values() for p in rule_ports), nw,
                                f"ingress ports {rule_ports} are not the store's port alone")
        allowed = [peer for n in self.find("NetworkPolicy") if self.selects(n["spec"].get("podSelector"), mcp_labels)
                   for rule in n["spec"].get("egress") or [] if port in [p.get("port") for p in rule.get("ports") or []]
                   for peer in rule.get("to") or [] if "podSelector" in peer and self.selects(peer["podSelector"], labels)]
        self.expect(bool(allowed), f"NetworkPolicy/{MCP}", f"egress does not allow the store's pods on {port}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("rendered")
    ap.add_argument("--expect-ingress", action="store_true")
    ap.add_argument("--expect-backend", action="store_true")
    ap.add_argument("--expect-state", action="store_true")
    args = ap.parse_args()
    with open(args.rendered) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    checker = Checker(docs)
    checker.workloads()
    checker.mcp(args.expect_ingress, args.expect_backend, args.expect_state)
    workloads = sum(1 for d in docs if d.get("kind") in WORKLOADS)
    for line in checker.failures:
        print(line)
    if checker.failures:
        print(f"check-k8s: {args.rendered}: {len(checker.failures)} of {checker.checks} checks failed")
        return 1
    print(f"check-k8s: {args.rendered}: {len(docs)} objects, {workloads} workloads, {checker.checks} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
