/**
 * The nginx + nchan peer of `deno task bench`: writes an nginx configuration
 * into a temporary folder (one worker, loopback only, no logs) where the
 * source publishes each read with `POST /pub` and viewers subscribe to
 * `/data` by WebSocket, and says how to run it.
 *
 * @module
 */

/** Where Debian's libnginx-mod-nchan puts the module. */
export const NCHAN_MODULE = "/usr/lib/nginx/modules/ngx_nchan_module.so";

/** A ready-to-run nginx + nchan setup in `dir`, listening on `port`. */
export interface NchanSetup {
  command: string[];
  publishUrl: string;
  subscribeUrl: string;
}

/** Says why nginx + nchan cannot run here, or undefined when it can. */
export async function nchanMissing(): Promise<string | undefined> {
  try {
    await Deno.stat(NCHAN_MODULE);
  } catch {
    return `nchan module not found at ${NCHAN_MODULE}`;
  }
  try {
    const { success } = await new Deno.Command("nginx", { args: ["-v"], stderr: "null" }).output();
    if (!success) return "nginx -v failed";
  } catch {
    return 'Cannot run "nginx": not found';
  }
  return undefined;
}

/** Writes the configuration for a bench run into `dir` and returns the command. */
export async function writeNchanConfig(dir: string, port: number): Promise<NchanSetup> {
  for (const sub of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) {
    await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
  }
  const config = `load_module ${NCHAN_MODULE};
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile 20000;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 19000; multi_accept on; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  client_body_buffer_size 1m;
  client_max_body_size 16m;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location = /pub {
      nchan_publisher http;
      nchan_channel_id bench;
      nchan_message_buffer_length 16;
      nchan_message_timeout 10s;
    }
    location = /data {
      nchan_subscriber websocket;
      nchan_channel_id bench;
      nchan_subscriber_first_message newest;
    }
  }
}
`;
  await Deno.writeTextFile(`${dir}/nginx.conf`, config);
  return {
    command: ["nginx", "-p", dir, "-c", `${dir}/nginx.conf`, "-e", `${dir}/error.log`],
    publishUrl: `http://127.0.0.1:${port}/pub`,
    subscribeUrl: `ws://127.0.0.1:${port}/data`,
  };
}
