/**
 * `--cert` and `--key`, read at start. An empty file is named (Deno would
 * say only that both must be given), and a certificate that has expired, or
 * expires within `EXPIRY_WARNING_DAYS`, is a warning naming the date: liveplot
 * serves it all the same, but clients refuse it. The date is read from the
 * certificate's DER with a few lines of ASN.1 rather than a dependency.
 *
 * @module
 */

import { StartError } from "./values.ts";

/** A certificate expiring within this many days is warned about at start. */
export const EXPIRY_WARNING_DAYS = 7;
const DAY_MS = 86_400_000;

/** What `--cert` and `--key` hold, and the warnings they give (`event`, `note`). */
export interface TlsFiles {
  tls: { cert: string; key: string };
  warnings: { event: string; note: string }[];
}

/**
 * Reads the two files with `read` (which throws a `StartError` naming a file it cannot read);
 * throws a `StartError` for an empty one.
 */
export function readTls(
  paths: { cert: string; key: string },
  read: (label: string, file: string) => string,
  now = Date.now(),
): TlsFiles {
  const tls = { cert: read("--cert", paths.cert), key: read("--key", paths.key) };
  for (const name of ["cert", "key"] as const) {
    if (tls[name].trim() === "") {
      throw new StartError(`Cannot use --${name} "${paths[name]}": the file is empty`);
    }
  }
  const expiry = certificateExpiry(tls.cert);
  if (expiry === undefined) return { tls, warnings: [] };
  const date = expiry.toISOString().replace(/\.000Z$/, "Z");
  const days = Math.ceil((expiry.getTime() - now) / DAY_MS);
  const named = `The --cert "${paths.cert}" certificate`;
  if (expiry.getTime() <= now) {
    const note = `${named} expired on ${date}: clients refuse it (renew it)`;
    return { tls, warnings: [{ event: "certificate-expired", note }] };
  }
  if (days > EXPIRY_WARNING_DAYS) return { tls, warnings: [] };
  const note = `${named} expires on ${date}, in ${days} day${days === 1 ? "" : "s"} (renew it)`;
  return { tls, warnings: [{ event: "certificate-expires-soon", note }] };
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*?)-----END CERTIFICATE-----/;
const SEQUENCE = 0x30;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;

/**
 * When the first certificate of `pem` (the server's own; a chain follows it) stops being
 * valid: its notAfter. Undefined when there is none, or it cannot be read.
 */
export function certificateExpiry(pem: string): Date | undefined {
  const body = PEM_CERTIFICATE.exec(pem)?.[1]?.replace(/\s+/g, "");
  if (!body) return undefined;
  try {
    const der = Uint8Array.fromBase64(body);
    // Certificate { tbsCertificate { [0] version?, serial, signature, issuer, validity } … }
    const certificate = element(der, 0, SEQUENCE);
    const tbs = element(der, certificate.start, SEQUENCE);
    let field = element(der, tbs.start);
    if (field.tag === 0xa0) field = element(der, field.end);
    for (let skipped = 0; skipped < 2; skipped++) field = element(der, field.end);
    const validity = element(der, field.end, SEQUENCE);
    const notAfter = element(der, element(der, validity.start).end);
    return timeOf(notAfter.tag, String.fromCharCode(...der.subarray(notAfter.start, notAfter.end)));
  } catch {
    return undefined;
  }
}

/** The DER element at `at`: its tag and where its contents start and end. */
function element(der: Uint8Array, at: number, tag?: number) {
  const found = der[at];
  let length = der[at + 1];
  let start = at + 2;
  if (found === undefined || length === undefined || (tag !== undefined && found !== tag)) {
    throw new RangeError("not the DER of a certificate");
  }
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4) throw new RangeError("a DER length past 4 bytes");
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + (der[start++] ?? NaN);
  }
  const end = start + length;
  if (!(end <= der.length)) throw new RangeError("a DER element past the end");
  return { tag: found, start, end };
}

/** A UTCTime (`YYMMDDHHMMSSZ`, 1950–2049) or GeneralizedTime (`YYYYMMDDHHMMSSZ`). */
function timeOf(tag: number, text: string): Date | undefined {
  const digits = tag === UTC_TIME ? 2 : tag === GENERALIZED_TIME ? 4 : 0;
  const match = new RegExp(`^(\\d{${digits}})(\\d\\d)(\\d\\d)(\\d\\d)(\\d\\d)(\\d\\d)Z$`).exec(
    text,
  );
  if (digits === 0 || !match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as number[];
  const fullYear = digits === 4 ? year! : year! < 50 ? 2000 + year! : 1900 + year!;
  return new Date(Date.UTC(fullYear, month! - 1, day, hour, minute, second));
}
