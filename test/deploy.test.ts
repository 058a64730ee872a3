import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { HTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { Service } from "kubernetes-models/v1";
import { parseAllDocuments } from "yaml";

const root = (path: string): string => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const HERMES = root("bin/hermes.cjs");

type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; spec: Record<string, unknown> };

function manifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(root(file), "utf8")).map((doc) => {
    assert.deepEqual(doc.errors, [], `${file} parses`);
    return doc.toJS() as Manifest;
  });
}

/** The InferencePool CRD's published schema (vendored), as a validator. */
function inferencePoolSchema(): (value: unknown) => boolean {
  const [crd] = parseAllDocuments(readFileSync(root("test/fixtures/k8s/inference.networking.k8s.io_inferencepools.yaml"), "utf8")).map((d) => d.toJS());
  const schema = (crd as { spec: { versions: Array<{ name: string; schema: { openAPIV3Schema: object } }> } }).spec.versions.find((v) => v.name === "v1")!.schema.openAPIV3Schema;
  // Kubernetes' own keywords (x-kubernetes-*) and formats (int32) are not JSON Schema's: allowed, not checked
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const validate = ajv.compile(schema);
  return (value) => validate(value) || assert.fail(`InferencePool: ${ajv.errorsText(validate.errors)}`);
}

/** Runs `bin/hermes.cjs` with `args`; resolves to its exit code and output (bounded: 60 s). */
function hermes(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HERMES, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, HERMES_HOME: mkdtempSync(join(os.tmpdir(), "hermes-home-")) } });
    let output = "";
    child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`hermes ${args.join(" ")} did not exit within 60 s:\n${output}`));
    }, 60_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

test("the Kubernetes manifests validate offline against the Kubernetes, Gateway API and InferencePool schemas", () => {
  const all = [...manifests("deploy/kubernetes/hermes-serve.yaml"), ...manifests("deploy/kubernetes/hpa.yaml")];
  assert.deepEqual(
    all.map((m) => m.kind),
    ["Deployment", "Service", "InferencePool", "HTTPRoute", "HorizontalPodAutoscaler"],
  );
  const validPool = inferencePoolSchema();
  for (const manifest of all) {
    // each model class validates against the schema of its API version (it throws naming the field)
    if (manifest.kind === "Deployment") new Deployment(manifest as never).validate();
    else if (manifest.kind === "Service") new Service(manifest as never).validate();
    else if (manifest.kind === "HTTPRoute") new HTTPRoute(manifest as never).validate();
    else if (manifest.kind === "HorizontalPodAutoscaler") new HorizontalPodAutoscaler(manifest as never).validate();
    else if (manifest.kind === "InferencePool") assert.ok(validPool(manifest));
  }
  // the validators do catch a mistake
  assert.throws(() => validPool({ ...all[2], spec: { selector: { matchLabels: {} }, targetPorts: [{ number: 70_000 }] } }));
  const broken = structuredClone(all[0]!) as unknown as { spec: { template: { spec: { containers: Array<{ ports: Array<{ containerPort: unknown }> }> } } } };
  broken.spec.template.spec.containers[0]!.ports[0]!.containerPort = "eighty";
  assert.throws(() => new Deployment(broken as never).validate());
});

test("the manifests agree with each other and with the server: ports, labels, probes on the server's routes, the drain within the pod's grace", async () => {
  const [deployment, service, pool, route] = manifests("deploy/kubernetes/hermes-serve.yaml") as unknown as [
    { metadata: { name: string }; spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } } },
    { spec: { selector: Record<string, string>; ports: Array<{ targetPort: string }> } },
    { metadata: { name: string }; spec: { selector: { matchLabels: Record<string, string> }; targetPorts: Array<{ number: number }> } },
    { spec: { rules: Array<{ backendRefs: Array<{ kind: string; name: string }> }> } },
  ];
  const [hpa] = manifests("deploy/kubernetes/hpa.yaml") as unknown as [{ spec: { scaleTargetRef: { name: string } } }];
  const labels = deployment.spec.template.metadata.labels;
  assert.deepEqual(deployment.spec.selector.matchLabels, labels);
  assert.deepEqual(service.spec.selector, labels);
  assert.deepEqual(pool.spec.selector.matchLabels, labels);
  const container = deployment.spec.template.spec.containers[0]!;
  const port = container.ports.find((p) => p.name === "http")!.containerPort;
  assert.equal(pool.spec.targetPorts[0]!.number, port);
  assert.equal(service.spec.ports[0]!.targetPort, "http");
  assert.deepEqual(route.spec.rules[0]!.backendRefs[0], { group: "inference.networking.k8s.io", kind: "InferencePool", name: pool.metadata.name });
  assert.equal(hpa.spec.scaleTargetRef.name, deployment.metadata.name);
  // probes on the routes the server answers: /health (503 while draining) for readiness, /health/live for liveness
  assert.equal(container.readinessProbe.httpGet.path, "/health");
  assert.equal(container.startupProbe.httpGet.path, "/health");
  assert.equal(container.livenessProbe.httpGet.path, "/health/live");
  // the drain fits the pod's grace: preStop's sleep, then --shutdown-grace
  const args = container.args;
  const grace = Number(args[args.indexOf("--shutdown-grace") + 1]);
  const preStop = Number(container.lifecycle.preStop.exec.command[1]);
  assert.ok(deployment.spec.template.spec.terminationGracePeriodSeconds >= preStop + grace + 5, "terminationGracePeriodSeconds covers preStop + --shutdown-grace");
  // every flag of the container's command line is one `hermes serve` knows (--help after them: checked, not run)
  const checked = await hermes(["serve", ...args, "--help"]);
  assert.equal(checked.code, 0, checked.output);
});

interface PodSpec {
  terminationGracePeriodSeconds: number;
  containers: Array<{
    args: string[];
    ports: Array<{ name: string; containerPort: number }>;
    readinessProbe: { httpGet: { path: string } };
    startupProbe: { httpGet: { path: string } };
    livenessProbe: { httpGet: { path: string } };
    lifecycle: { preStop: { exec: { command: string[] } } };
  }>;
}

/** The Dockerfile's instruction `name` (its last), its JSON-array form parsed. */
function dockerfile(name: string): string[] {
  const line = readFileSync(root("Dockerfile"), "utf8")
    .split("\n")
    .filter((l) => l.startsWith(`${name} `))
    .at(-1);
  assert.ok(line, `the Dockerfile has ${name}`);
  return JSON.parse(line.slice(name.length + 1).replace(/^--\S+ /g, "")) as string[];
}

test("the image's command line, run directly (no container engine here): its entrypoint serves, and its HEALTHCHECK command passes once it is ready", async () => {
  const dockerfileText = readFileSync(root("Dockerfile"), "utf8");
  assert.match(dockerfileText, /^USER hermes$/m, "runs as a non-root user");
  assert.match(dockerfileText, /^STOPSIGNAL SIGTERM$/m);
  assert.match(dockerfileText, /^EXPOSE 8080$/m);
  assert.match(dockerfileText, /^VOLUME \/data$/m);
  const entrypoint = dockerfile("ENTRYPOINT");
  assert.deepEqual(entrypoint.slice(0, 3), ["node", "bin/hermes.cjs", "serve"]);
  const healthLine = dockerfileText.split("\n").find((l) => l.startsWith("HEALTHCHECK "))!;
  const healthCommand = JSON.parse(healthLine.slice(healthLine.indexOf("CMD ") + 4)) as string[];
  // the entrypoint's flags, on a free port, with the demo model instead of the 13B the image fetches by default
  const flags = entrypoint.slice(3).map((flag, i, all) => (all[i - 1] === "--port" ? "0" : all[i - 1] === "--host" ? "127.0.0.1" : flag));
  const child = spawn(process.execPath, [HERMES, "serve", ...flags, "--demo"], { stdio: ["ignore", "pipe", "pipe"] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let output = "";
      const timer = setTimeout(() => reject(new Error(`not ready within 60 s:\n${output}`)), 60_000);
      const read = (d: Buffer): void => {
        output += d.toString();
        const match = /ready at (http:\/\/\S+)\/v1/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      };
      child.stdout!.on("data", read);
      child.stderr!.on("data", read);
    });
    const port = new URL(url).port;
    // the HEALTHCHECK command as the container runs it, pointed at this port
    const check = spawn(healthCommand[0] === "node" ? process.execPath : healthCommand[0]!, healthCommand.slice(1).map((arg) => arg.replace("127.0.0.1:8080", `127.0.0.1:${port}`)));
    const code = await new Promise<number | null>((resolve) => check.once("exit", resolve));
    assert.equal(code, 0, "HEALTHCHECK passes on a ready server");
  } finally {
    child.kill("SIGKILL");
  }
});
