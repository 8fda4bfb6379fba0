/**
 * `deno task install`: puts a `liveplot` command on the PATH that runs this
 * checkout's `main.ts` exactly as `deno task start` does (its environment
 * and permissions, read from deno.json's `start` task), with this checkout's
 * deno.json and deno.lock. Nothing is downloaded: the command uses what
 * Deno's cache already holds for the lock. (`deno install -g` resolves the
 * npm packages again into a lock of its own, which can name versions that
 * were never cached, and then needs the network.)
 *
 * @module
 */

import manifest from "../deno.json" with { type: "json" };

/** The checkout this command runs. */
const ROOT = new URL("../", import.meta.url).pathname;

/** What `deno task start` runs, split into its environment, permissions and Deno's own flags. */
export function startTask(task: string = manifest.tasks.start): {
  /** The `NAME=value` words before `deno run`. */
  env: Record<string, string>;
  permissions: string[];
  /**
   * `--unstable-net` (Deno.serve's `reusePort` needs it in Deno 2.9),
   * `--unstable-lazy-dynamic-imports` (what is imported on first use is not
   * read at start) and `--v8-flags=--min-semi-space-size=2`: V8's young
   * generation starts at 2 MiB, not 1, so a start runs no collection (two,
   * of 3–10 ms, before; docs/benchmarks.md "Start-up"). 8 MiB cost idle
   * sockets about 2 KiB each in the bench; 2 MiB is what a start needs.
   */
  runtime: string[];
} {
  const words = task.split(" ");
  const run = words.indexOf("deno");
  return {
    env: Object.fromEntries(
      words.slice(0, run).map((word) => {
        const at = word.indexOf("=");
        return [word.slice(0, at), word.slice(at + 1)];
      }),
    ),
    permissions: words.filter((word) => word.startsWith("--allow-")),
    runtime: words.filter((word) =>
      word.startsWith("--unstable-") || word.startsWith("--v8-flags=")
    ),
  };
}

/** The shell script installed as `liveplot`. */
export function shimFor(deno: string, root: string = ROOT): string {
  const { env, permissions, runtime } = startTask();
  const quoted = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
  const assignments = Object.entries(env).map(([name, value]) => `${name}=${value}`).join(" ");
  return [
    "#!/bin/sh",
    `# liveplot, installed by \`deno task install\` from ${root}`,
    `exec env ${assignments} ${quoted(deno)} run ${[...runtime, ...permissions].join(" ")} ` +
    `--config ${quoted(`${root}deno.json`)} ${quoted(`${root}main.ts`)} "$@"`,
    "",
  ].join("\n");
}

if (import.meta.main) {
  const home = Deno.env.get("DENO_INSTALL_ROOT") ?? `${Deno.env.get("HOME") ?? "."}/.deno`;
  const bin = `${home}/bin`;
  const target = `${bin}/liveplot`;
  await Deno.mkdir(bin, { recursive: true });
  await Deno.writeTextFile(target, shimFor(Deno.execPath()), { mode: 0o755 });
  await Deno.chmod(target, 0o755);
  console.log(`Installed liveplot as ${target}`);
  const path = (Deno.env.get("PATH") ?? "").split(":");
  if (!path.includes(bin)) console.log(`Add it to your PATH: export PATH="${bin}:$PATH"`);
}
