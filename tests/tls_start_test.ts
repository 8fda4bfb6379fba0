/**
 * What `--cert` and `--key` are checked for at start: a certificate that
 * has expired or soon will (a warning naming the date), an empty file (named),
 * and the exit code of every file problem: 1, as a replay's, since the
 * command line itself is right.
 *
 * @module
 */

import assert from "node:assert/strict";
import { certificateExpiry } from "../cli/tls_files.ts";
import { EXIT_CODES } from "../cli/usage.ts";
import { runCli, spawnCli, waitForLine } from "./helpers.ts";

/** `openssl ca`'s least configuration (it alone sets any validity dates on openssl 3.0), v3. */
const CA_CONFIG = `[ca]
default_ca = d
[d]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = p
unique_subject = no
x509_extensions = x
[p]
commonName = supplied
[x]
basicConstraints = critical,CA:FALSE
subjectAltName = DNS:localhost,IP:127.0.0.1
`;

/**
 * A self-signed certificate for localhost valid from `start` to `end` (`YYYYMMDDHHMMSSZ`),
 * made with openssl in `dir` as `NAME.pem` and `NAME.key`.
 */
async function makeCertificate(dir: string, name: string, start: string, end: string) {
  await Deno.writeTextFile(`${dir}/ca.cnf`, CA_CONFIG);
  await Deno.writeTextFile(`${dir}/index.txt`, "");
  await Deno.writeTextFile(`${dir}/serial`, "01\n");
  const script = [
    `openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ${name}.key` +
    ` -out ${name}.csr -subj /CN=localhost`,
    `openssl ca -batch -notext -selfsign -config ca.cnf -keyfile ${name}.key -in ${name}.csr` +
    ` -out ${name}.pem -startdate ${start} -enddate ${end}`,
  ].join(" && ");
  const made = await new Deno.Command("sh", { args: ["-c", script], cwd: dir }).output();
  assert.ok(made.success, new TextDecoder().decode(made.stderr));
  return { cert: `${dir}/${name}.pem`, key: `${dir}/${name}.key` };
}

async function usingTempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "liveplot-tls-start-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** `date` as openssl's `YYYYMMDDHHMMSSZ`. */
function opensslDate(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, "").replace(/\.\d+Z$/, "Z");
}

Deno.test("a certificate's expiry is read from its PEM, as UTCTime and as GeneralizedTime", async () => {
  await using dir = await usingTempDir();
  const old = await makeCertificate(dir.path, "old", "20200101000000Z", "20200201123456Z");
  const late = await makeCertificate(dir.path, "late", "20200101000000Z", "20510301000000Z");
  const pem = await Deno.readTextFile(old.cert);
  assert.equal(certificateExpiry(pem)?.toISOString(), "2020-02-01T12:34:56.000Z");
  // A chain: the first certificate (the server's own) is the one read.
  const chain = `${pem}${await Deno.readTextFile(late.cert)}`;
  assert.equal(certificateExpiry(chain)?.toISOString(), "2020-02-01T12:34:56.000Z");
  const pemLate = await Deno.readTextFile(late.cert);
  assert.equal(certificateExpiry(pemLate)?.toISOString(), "2051-03-01T00:00:00.000Z");
  // Not a certificate, or a damaged one: no date, and no error (rustls says what is wrong).
  for (const text of ["", await Deno.readTextFile(old.key), pem.replace(/[A-Za-z]{8}\n/, "\n")]) {
    assert.equal(certificateExpiry(text), undefined);
  }
});

Deno.test("an expired --cert, or one expiring within a week, starts with a warning naming the date", async () => {
  await using dir = await usingTempDir();
  const soon = opensslDate(new Date(Date.now() + 2 * 86_400_000));
  const cases = [
    ["expired", "20200201000000Z", /^level=warn event=certificate-expired .*2020-02-01T00:00:00Z/],
    ["soon", soon, /^level=warn event=certificate-expires-soon .*in [12] days?/],
    ["fine", opensslDate(new Date(Date.now() + 30 * 86_400_000)), undefined],
  ] as const;
  for (const [name, end, warning] of cases) {
    const { cert, key } = await makeCertificate(dir.path, name, "20200101000000Z", end);
    await using cli = spawnCli(["--port", "0", "--no-open", "--cert", cert, "--key", key]);
    assert.equal((await cli.url).protocol, "https:");
    await waitForLine(cli.stderr, "start", 10_000, "the start line");
    const said = cli.stderr.filter((line) => line.includes("event=certificate-"));
    if (warning === undefined) assert.deepEqual(said, [], name);
    else {
      assert.equal(said.length, 1, cli.stderr.join("\n"));
      assert.match(said[0]!, warning);
      assert.ok(said[0]!.includes(cert), said[0]);
    }
  }
});

Deno.test("an empty, missing or mismatched --cert or --key is one line naming it, exit 1", async () => {
  await using dir = await usingTempDir();
  const one = await makeCertificate(dir.path, "one", "20200101000000Z", "20510101000000Z");
  const two = await makeCertificate(dir.path, "two", "20200101000000Z", "20510101000000Z");
  // Deno's own words for an empty one: "Both 'cert' and 'key' must be provided to enable HTTPS".
  const empty = `${dir.path}/empty.pem`;
  const blank = `${dir.path}/blank.pem`;
  await Deno.writeTextFile(empty, "");
  await Deno.writeTextFile(blank, "\n");
  const cases: [string[], string][] = [
    [["--cert", empty, "--key", one.key], `Cannot use --cert "${empty}": the file is empty`],
    [["--cert", one.cert, "--key", empty], `Cannot use --key "${empty}": the file is empty`],
    [["--cert", blank, "--key", one.key], `Cannot use --cert "${blank}": the file is empty`],
    [
      ["--cert", `${dir.path}/no.pem`, "--key", one.key],
      `Cannot read --cert "${dir.path}/no.pem": not found`,
    ],
    [["--cert", one.cert, "--key", dir.path], `Cannot read --key "${dir.path}": is a directory`],
    [
      ["--cert", one.cert, "--key", two.key],
      "Cannot listen on 127.0.0.1:0: the certificate and key do not match",
    ],
  ];
  for (const [args, line] of cases) {
    const { code, stdout, stderr } = await runCli(["--port", "0", "--no-open", ...args]);
    assert.deepEqual([code, stdout, stderr], [1, "", `${line}\n`], args.join(" "));
  }
  // The table --help and cli.md give says so.
  assert.match(EXIT_CODES.find(({ code }) => code === 1)?.what ?? "", /--cert/);
});
