import assert from "node:assert/strict";
import { launchBrowser, waitForPage } from "./browser.ts";
import { FIXTURES, spawnCli, withTimeout } from "./helpers.ts";

/**
 * Makes a test CA and a certificate it signs for localhost and 127.0.0.1,
 * with Debian's openssl. Returns the PEM paths and the leaf's SPKI hash.
 */
async function makeCertificate(
  dir: string,
): Promise<{ ca: string; cert: string; key: string; spki: string }> {
  const ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  const script = [
    `openssl req -x509 ${ec} -keyout ca.key -out ca.pem -days 1 -subj "/CN=liveplot test CA"` +
    ` -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign`,
    `openssl req ${ec} -keyout key.pem -out leaf.csr -subj /CN=localhost`,
    `printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n` +
    `extendedKeyUsage=serverAuth\n' > leaf.ext`,
    "openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1" +
    " -extfile leaf.ext -out cert.pem",
    // The SPKI hash lets Chromium trust exactly this certificate.
    "openssl x509 -in cert.pem -pubkey -noout | openssl pkey -pubin -outform der |" +
    " openssl dgst -sha256 -binary | openssl base64",
  ].join(" && ");
  const made = await new Deno.Command("sh", { args: ["-c", script], cwd: dir }).output();
  const decoder = new TextDecoder();
  assert.ok(made.success, decoder.decode(made.stderr));
  const spki = decoder.decode(made.stdout).trim().split("\n").at(-1) ?? "";
  return { ca: `${dir}/ca.pem`, cert: `${dir}/cert.pem`, key: `${dir}/key.pem`, spki };
}

Deno.test({
  name: "--cert and --key serve https and wss to a client that trusts the certificate",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "liveplot-tls-" });
    try {
      const { ca, cert, key, spki } = await makeCertificate(dir);
      const cli = spawnCli(["--port", "0", "--no-open", "--cert", cert, "--key", key]);
      const url = await cli.url;
      assert.equal(url.protocol, "https:");

      const client = await withTimeout(
        new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", "--cert", ca, `${FIXTURES}tls_client.ts`, url.href],
          env: { NO_COLOR: "1" },
        }).output(),
        15_000,
        "the TLS client",
      );
      const output = new TextDecoder().decode(client.stdout).trim();
      assert.ok(client.success, new TextDecoder().decode(client.stderr));
      assert.deepEqual(JSON.parse(output), { text: "Yes this is a test!", lines: 100, code: 1000 });

      const untrusting = await fetch(new URL("/test", url)).then(
        () => "ok",
        (error) => String(error),
      );
      assert.notEqual(untrusting, "ok", "a client that does not trust the certificate is refused");

      await using browser = await launchBrowser([`--ignore-certificate-errors-spki-list=${spki}`]);
      const { page, problems } = await browser.newPage();
      await page.goto(url.href);
      await page.click("text=Start Plot");
      const state = await waitForPage(
        page,
        (state) =>
          state.received === 100 && state.connection === "done" &&
          state.chart?.data[1]?.length === 100,
        "100 points over wss",
      );
      assert.equal(state.chart?.data[1]?.length, 100);
      assert.deepEqual(problems, []);
      assert.equal((await cli.stop()).code, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "over HTTP/2 with TLS a push refused before or in the middle of its body gets its status",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "liveplot-h2-" });
    const token = "h2-test-token-0123456789";
    const cli = spawnCli([
      "--port",
      "0",
      "--no-open",
      "--token",
      token,
      "--max-body",
      "2MiB",
      "--max-ingest-rate",
      "1000",
      ...(await makeCertificate(dir).then(({ cert, key }) => ["--cert", cert, "--key", key])),
    ]);
    try {
      const url = await cli.url;
      // 4 MB, over --max-body; 1.6 MB under it, 400,000 lines, over the rate in its middle: both
      // more than an HTTP/2 stream's window, so that the client is still sending when refused.
      await Deno.writeTextFile(`${dir}/big`, "v=5\n".repeat(1_000_000));
      await Deno.writeTextFile(`${dir}/fast`, "v=5\n".repeat(400_000));
      /** A push through curl over HTTP/2: its status and HTTP version (000 0: none), its answer. */
      const push = async (authorization: string, body: string, stream: string) => {
        const { stdout } = await new Deno.Command("curl", {
          args: [
            "-s",
            "--http2",
            "--cacert",
            `${dir}/ca.pem`,
            "-w",
            "\n%{http_code} %{http_version}",
            "-H",
            `authorization: ${authorization}`,
            "--data-binary",
            `@${dir}/${body}`,
            new URL(`/s/${stream}`, url).href,
          ],
        }).output();
        const output = new TextDecoder().decode(stdout);
        const end = output.lastIndexOf("\n");
        return { status: output.slice(end + 1), answer: output.slice(0, end) };
      };
      // Answered before the body was read, Deno reset the stream: curl had no status (92).
      for (let i = 0; i < 5; i++) {
        const wrong = await push("Bearer wrong-token-0123456789", "big", "h2");
        assert.equal(wrong.status, "401 2", `try ${i}`);
        assert.equal((await push(`Bearer ${token}`, "big", "h2")).status, "413 2", `try ${i}`);
        // A stream of its own each time: its second's worth (1,000 lines) is taken, then 429.
        const fast = await push(`Bearer ${token}`, "fast", `h2-${i}`);
        assert.equal(fast.status, "429 2", `try ${i}`);
        assert.equal(JSON.parse(fast.answer).taken, 1000, `try ${i}`);
      }
    } finally {
      await cli.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
