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

/** What `deno task start` runs, split into its environment, permissions and script. */
export function startTask(task: string = manifest.tasks.start): {
  env: string[];
  permissions: string[];
} {
  const words = task.split(" ");
  const run = words.indexOf("deno");
  return {
    env: words.slice(0, run),
    // Permissions, and `--unstable-net` (Deno.serve's `reusePort` needs it in Deno 2.9).
    permissions: words.filter((word) =>
      word.startsWith("--allow-") || word.startsWith("--unstable-")
    ),
  };
}

/** The shell script installed as `liveplot`. */
export function shimFor(deno: string, root: string = ROOT): string {
  const { env, permissions } = startTask();
  const quoted = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
  return [
    "#!/bin/sh",
    `# liveplot, installed by \`deno task install\` from ${root}`,
    `exec env ${env.join(" ")} ${quoted(deno)} run ${permissions.join(" ")} ` +
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
