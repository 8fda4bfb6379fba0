/**
 * The shape a newcomer relies on: imports go one way (the command line, then
 * the server, then the routes, then streams and the backplane, then log and
 * config), no module imports itself back through others, no source file is
 * over 400 lines (read from the files themselves, as text), and a start loads
 * only what serving needs (read from Deno's graph and from a running start).
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { ROOT, spawnCli, START_FLAGS } from "./helpers.ts";

/** Layers, outermost first: a module may import its own layer's or an inner one's. */
const LAYERS: readonly (readonly string[])[] = [
  ["main.ts"],
  ["cli/"],
  ["server.ts", "listener.ts"],
  ["handlers/"],
  ["stream/", "backplane/"],
  ["log.ts", "config.ts", "host.ts"],
  // The page's files, which handlers/assets.ts embeds as text: data to the server.
  ["static/"],
];
/** The longest a source file may be. */
const MAX_LINES = 400;
const IMPORT =
  /^(?:import|export)\s[^;]*?\bfrom\s+"(\.{1,2}\/[^"]+)"|^import\s+"(\.{1,2}\/[^"]+)"|\bimport\(\s*"(\.{1,2}\/[^"]+)"\s*\)/gm;

/** The files below `folder` (relative to ROOT) whose names end in one of `endings`. */
async function filesIn(folder: string, endings: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(join(ROOT, folder))) {
    const path = folder === "" ? entry.name : `${folder}/${entry.name}`;
    if (entry.isDirectory) {
      if (!["node_modules", "fixtures", ".git", ".tmp", "results", "vendor"].includes(entry.name)) {
        found.push(...await filesIn(path, endings));
      }
    } else if (endings.some((ending) => entry.name.endsWith(ending))) found.push(path);
  }
  return found;
}

/** Each module's relative imports, as paths from ROOT. */
async function importGraph(files: readonly string[]): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = await Deno.readTextFile(join(ROOT, file));
    const targets = [...text.matchAll(IMPORT)]
      .map((match) => match[1] ?? match[2] ?? match[3] ?? "")
      .filter((specifier) => /\.(ts|js)$/.test(specifier))
      .map((specifier) => relative(ROOT, join(ROOT, dirname(file), specifier)));
    graph.set(file, targets);
  }
  return graph;
}

function layerOf(file: string): number {
  return LAYERS.findIndex((layer) => layer.some((part) => file === part || file.startsWith(part)));
}

/** A cycle in `graph` as a list of files, or undefined. */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (file: string): string[] | undefined => {
    if (state.get(file) === "done") return undefined;
    if (state.get(file) === "open") return [...path.slice(path.indexOf(file)), file];
    state.set(file, "open");
    path.push(file);
    for (const target of graph.get(file) ?? []) {
      const cycle = visit(target);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(file, "done");
    return undefined;
  };
  for (const file of graph.keys()) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return undefined;
}

const SERVER_FILES = (await filesIn("", [".ts"])).filter((file) =>
  !file.startsWith("tests/") && !file.startsWith("bench/") && !file.startsWith("static/") &&
  !file.startsWith("docs/")
);

Deno.test("every server module belongs to a layer, and imports only its own or inner layers", async () => {
  const graph = await importGraph(SERVER_FILES);
  const wrong: string[] = [];
  for (const [file, targets] of graph) {
    const layer = layerOf(file);
    assert.notEqual(layer, -1, `${file} is in no layer: add it to LAYERS`);
    for (const target of targets) {
      if (layerOf(target) < layer) wrong.push(`${file} imports ${target}`);
    }
  }
  assert.deepEqual(wrong, [], "imports against the grain");
});

Deno.test("no module imports itself back, on the server or in the page", async () => {
  for (const files of [SERVER_FILES, await filesIn("static", [".js"])]) {
    const cycle = findCycle(await importGraph(files));
    assert.equal(cycle, undefined, `an import cycle: ${cycle?.join(" → ")}`);
  }
});

Deno.test("no source file is over 400 lines (fixtures and vendored builds aside)", async () => {
  const files = (await filesIn("", [".ts", ".js"])).filter((file) => !file.endsWith(".min.js"));
  const long: string[] = [];
  for (const file of files) {
    const lines = (await Deno.readTextFile(join(ROOT, file))).split("\n").length - 1;
    if (lines > MAX_LINES) long.push(`${file} (${lines})`);
  }
  assert.deepEqual(long, [], `files over ${MAX_LINES} lines`);
});

/** Modules start-up leaves to their first use: each a route, a source or a flag few runs take. */
const ON_DEMAND = [
  "cli/usage.ts",
  "cli/browser.ts",
  // WebSocket routes: the first upgrade waits for its module, the first answer for none.
  "handlers/echo.ts",
  "handlers/data.ts",
  "handlers/stream_viewer.ts",
  "stream/viewer_budget.ts",
  "handlers/ingest.ts",
  "handlers/data_csv.ts",
  "handlers/range.ts",
  "handlers/streams_index.ts",
  "stream/main_source.ts",
  "stream/formats/mod.ts",
  "backplane/redis.ts",
  "backplane/feed.ts",
  "stream/hub.ts",
  "stream/history.ts",
  "stream/push_status.ts",
];

Deno.test("start-up loads what serving needs; sockets, pushes, exports, sources and --help load on first use", async () => {
  // Deno's own graph of main.ts: every module, and whether each import is a static one.
  const { stdout, success } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "main.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(success, "deno info main.ts");
  const info: {
    roots: string[];
    modules: {
      specifier: string;
      dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
    }[];
  } = JSON.parse(new TextDecoder().decode(stdout));
  const modules = new Map(info.modules.map((module) => [module.specifier, module]));
  const atStart = new Set<string>();
  const visit = (specifier: string) => {
    if (atStart.has(specifier)) return;
    atStart.add(specifier);
    for (const dependency of modules.get(specifier)?.dependencies ?? []) {
      if (dependency.code && !dependency.isDynamic) visit(dependency.code.specifier);
    }
  };
  visit(info.roots[0]!);
  const local = (file: string) => new URL(`../${file}`, import.meta.url).href;
  for (const file of ON_DEMAND) {
    // In the graph (so deno compile embeds it), but not loaded before the first request.
    assert.ok(modules.has(local(file)), `${file} is imported by main.ts's graph`);
    assert.ok(!atStart.has(local(file)), `${file} is loaded at start`);
  }
  assert.ok(atStart.has(local("handlers/test_route.ts")), "the walk follows static imports");
});

Deno.test("a start, GET /test and the page read no global Deno loads on first use (node:timers alone is about 7 ms)", async () => {
  // The preload prints `lazy-global-read` the first time one of them is read.
  const preload = new URL("./fixtures/lazy_globals.ts", import.meta.url).pathname;
  const cli = spawnCli(["--port", "0", "--no-open"], {
    denoArgs: ["--preload", preload, ...START_FLAGS],
  });
  try {
    const url = await cli.url;
    for (const path of ["test", "", "static/app.js"]) {
      const response = await fetch(new URL(path, url));
      await response.body?.cancel();
      assert.equal(response.status, 200, `GET /${path}`);
    }
  } finally {
    await cli.stop();
  }
  const reads = cli.stderr.filter((line) => line.startsWith("lazy-global-read"));
  // The first read must be the stop's exit deadline (main.ts), after the start and the answers.
  assert.match(reads[0] ?? "none", /name=setTimeout at stop .*main\.ts/, reads.join("\n"));
});
