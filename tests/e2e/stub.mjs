// Stub third-party sites for the disclosure tests: one HTTPS server on an ephemeral
// 127.0.0.1 port answers for every third-party host. Chromium reaches it through
// `--host-resolver-rules` (facebook.com, vk.com, ... resolve to 127.0.0.1) and accepts
// its self-signed certificate (made with openssl at start) with
// `--ignore-certificate-errors`. HTTPS because facebook.com and google.com are
// HSTS-preloaded: Chromium rewrites an http:// link to them before sending anything.
import https from "node:https";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** Domains (and their subdomains) that resolve to the stub. */
export const STUB_DOMAINS = ["facebook.com", "instagram.com", "vk.com", "google.com", "example.org"];

/** Chromium arguments that send the stub domains to 127.0.0.1. */
export const stubArgs = [
  "--ignore-certificate-errors",
  `--host-resolver-rules=${STUB_DOMAINS.flatMap((d) => [`MAP ${d} 127.0.0.1`, `MAP *.${d} 127.0.0.1`]).join(", ")}`,
];

function certificate() {
  const dir = mkdtempSync(path.join(tmpdir(), "kelisim-stub-"));
  try {
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=kelisim-stub",
      "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"),
    ], { stdio: "ignore" });
  } catch (e) {
    throw new Error(`the disclosure tests need openssl to make the stub sites' certificate: ${e.message}`);
  }
  const pair = { key: readFileSync(path.join(dir, "key.pem")), cert: readFileSync(path.join(dir, "cert.pem")) };
  rmSync(dir, { recursive: true, force: true });
  return pair;
}

/**
 * Starts the stub; resolves to { port, url(host, path), requests, stop }.
 * Every request is recorded as { host, path, method, referer }, and answered with a
 * page whose `#where` says which host and path it was.
 */
export async function startStub() {
  const requests = [];
  const server = https.createServer(certificate(), (req, res) => {
    requests.push({ host: req.headers.host, path: req.url, method: req.method, referer: req.headers.referer ?? null });
    res.setHeader("content-type", "text/html; charset=utf-8");
    res.end(`<!doctype html><html><head><title>stub</title></head><body><p id="where">${req.headers.host}${req.url}</p></body></html>`);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    port,
    requests,
    url: (host, p = "/") => `https://${host}:${port}${p}`,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}
