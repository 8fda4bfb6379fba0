/**
 * The registry of `deno task bench`'s cases, in the order they run and their
 * tables print. Adding a case is one line here: a `BenchCase` (see
 * `lib/case.ts`), or a stand-alone script that prints a Markdown table via
 * `scriptCase(name, file, about)`.
 *
 * @module
 */

import type { BenchCase } from "../lib/case.ts";
import { scriptCase } from "../lib/script.ts";
import { fanOutCases } from "./fan_out.ts";
import { idleCase } from "./idle.ts";
import { ingestCase } from "./ingest.ts";
import { pageCase } from "./page.ts";
import { redisCase } from "./redis.ts";
import { routesCase } from "./routes.ts";
import { startupCase } from "./startup.ts";

/** Every case; those marked `optIn` run only when named with `--case`. */
export const CASES: BenchCase<unknown>[] = [
  ...fanOutCases,
  redisCase,
  routesCase,
  startupCase,
  ingestCase,
  pageCase,
  idleCase,
  scriptCase("parse", "cases/parse.ts", "Ingest in process, every format's reader", {
    quickArgs: ["200000"],
  }),
  scriptCase("history", "cases/history.ts", "History store: memory, appends, ranges, CSV"),
  scriptCase("ingest-sources", "cases/ingest_sources.ts", "Ingest by network source (MQTT, UDP)", {
    optIn: false,
    quickArgs: ["20000"],
  }),
];
