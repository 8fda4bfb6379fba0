/**
 * A fatal error after start (a `--record-required` recording that cannot be
 * written) stops liveplot as a signal does: the command stopped, viewers
 * closed with 1001, the stop logged, then exit 1.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  isRunning,
  openRecorded,
  socketUrl,
  spawnCli,
  START_FLAGS,
  underScript,
  waitFor,
  withTimeout,
} from "./helpers.ts";

/** True when this process may mount a tmpfs (root, with the right to mount: CI's root). */
function canMount(): boolean {
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) return false;
  const dir = Deno.makeTempDirSync({ prefix: "liveplot-mount-" });
  try {
    if (!mount(dir, "size=64k")) return false;
    unmount(dir);
    return true;
  } finally {
    Deno.removeSync(dir);
  }
}

function mount(dir: string, options: string): boolean {
  return new Deno.Command("mount", { args: ["-t", "tmpfs", "-o", options, "tmpfs", dir] })
    .outputSync().success;
}

function unmount(dir: string): void {
  new Deno.Command("umount", { args: [dir] }).outputSync();
}

/** Lines at about 4 KB a second: a recording of them fills a page of its disk within a second. */
const STEADY = "while :; do echo a=1 b=2 c=3 d=4 e=5; sleep 0.01; done";

Deno.test({
  name: "--record-required on a disk that fills up stops as a signal does, then exits 1",
  ignore: !canMount(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "liveplot-full-" });
    assert.ok(mount(dir, "size=1m"), "a tmpfs of 1 MiB");
    const pids: number[] = [];
    try {
      const cli = spawnCli(
        ["--port", "0", "--no-open", "--record", `${dir}/rec.lpr`, "--record-required"]
          .concat(["--", "sh", "-c", STEADY]),
        { denoArgs: START_FLAGS },
      );
      const url = await cli.url;
      const { script, command } = await underScript(cli);
      pids.push(script, command);
      const viewer = await openRecorded(socketUrl(url, "/data"));
      await waitFor(
        () => Deno.statSync(`${dir}/rec.lpr`).size > 200,
        10_000,
        "recorded lines in the file",
      );
      // The disk fills up: liveplot's next write past its file's last page fails.
      try {
        Deno.writeFileSync(`${dir}/filler`, new Uint8Array(2 * 1024 * 1024));
      } catch (error) {
        assert.match(String(error), /No space left/);
      }
      const status = await withTimeout(cli.process.status, 10_000, "liveplot to exit");
      const closed = await withTimeout(viewer.closed, 5000, "the viewer to be closed");
      await cli.stop();
      const log = cli.stderr.join("\n");
      assert.equal(status.code, 1, log);
      assert.equal(closed.code, 1001, log);
      assert.match(log, /^Cannot write recording ".*rec\.lpr": No space left on device/m);
      assert.match(log, /level=info event=source-stopped command=sh/);
      assert.match(log, /level=info event=stop url=/);
      await waitFor(
        () => !isRunning(script) && !isRunning(command),
        5000,
        "script and the command to end",
      );
    } finally {
      for (const pid of pids) if (isRunning(pid)) Deno.kill(pid, "SIGKILL");
      unmount(dir);
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "--record-required to /dev/full (no disk to fill here) stops the command too, exit 1",
  ignore: Deno.build.os !== "linux",
  async fn() {
    // Every permission: Deno opens a device only with them (the start task's refuse /dev/full).
    const cli = spawnCli(
      ["--port", "0", "--no-open", "--record", "/dev/full", "--record-required", "--"]
        .concat(["sh", "-c", STEADY]),
    );
    const status = await withTimeout(cli.process.status, 10_000, "liveplot to exit");
    await cli.stop();
    const log = cli.stderr.join("\n");
    const script = Number(/event=source-started .*child=(\d+)/.exec(log)?.[1]);
    try {
      assert.equal(status.code, 1, log);
      assert.match(log, /^Cannot write recording "\/dev\/full": No space left on device/m);
      assert.match(log, /level=info event=source-stopped command=sh/);
      assert.match(log, /level=info event=stop url=/);
      await waitFor(() => !isRunning(script), 5000, "script to end");
    } finally {
      if (script > 0 && isRunning(script)) Deno.kill(script, "SIGKILL");
    }
  },
});
