// `--docker-host` values (unix://, tcp:// with TLS, ssh://, each with a capacity) and the choice of host for
// the next workspace. Pure: host-pool.ts is the impure side.

/** One parsed `--docker-host`. */
export interface DockerHostSpec {
  /** The address without its options, as logs and run.json show it. */
  name: string;
  kind: "unix" | "tcp" | "ssh";
  /** Workspaces at once on this host. @default --concurrency */
  capacity?: number;
  /** unix: the socket. */
  socketPath?: string;
  /** tcp / ssh. */
  host?: string;
  port?: number;
  /** ssh user. */
  username?: string;
  /** tcp with TLS: file paths of the CA, client certificate and key (any of them, or tls=1, turns TLS on). */
  tls?: { ca?: string; cert?: string; key?: string };
  /** ssh: private key file. @default the ssh agent (SSH_AUTH_SOCK) */
  identity?: string;
}

const HINT =
  "expected unix:///path/to/docker.sock, tcp://host:port or ssh://[user@]host[:port], with options after ? " +
  "(capacity=N; tcp: tls=1, ca=, cert=, key= file paths; ssh: identity= key file), e.g. tcp://10.0.0.5:2376?capacity=8&ca=/certs/ca.pem";

/**
 * Parses one `--docker-host` value.
 * @throws Error naming the flag, what was expected and what was given.
 */
export function parseDockerHost(raw: string): DockerHostSpec {
  const bad = (why?: string) => new Error(`--docker-host ${JSON.stringify(raw)}: ${why ? `${why}; ` : ""}${HINT}`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw bad();
  }
  const kind = url.protocol.slice(0, -1);
  if (kind !== "unix" && kind !== "tcp" && kind !== "ssh") throw bad(`unknown scheme "${url.protocol}"`);
  const params = new Map(url.searchParams);
  const take = (key: string): string | undefined => {
    const v = params.get(key);
    params.delete(key);
    return v;
  };
  const spec: DockerHostSpec = { name: "", kind };
  const capacity = take("capacity");
  if (capacity !== undefined) {
    if (!/^\d+$/.test(capacity) || Number(capacity) < 1) throw bad(`capacity must be a positive integer, got "${capacity}"`);
    spec.capacity = Number(capacity);
  }
  if (kind === "unix") {
    if (url.host !== "" || url.pathname === "" || url.pathname === "/") throw bad("a unix socket needs an absolute path (three slashes)");
    spec.socketPath = decodeURIComponent(url.pathname);
    spec.name = `unix://${spec.socketPath}`;
  } else {
    if (url.hostname === "") throw bad("no host");
    spec.host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    if (url.port !== "") spec.port = Number(url.port);
    if (url.password !== "") throw bad("put no password in the address (tcp: TLS certificates; ssh: a key or the agent)");
    if (kind === "tcp") {
      if (url.username !== "") throw bad("tcp takes no user");
      if (spec.port === undefined) throw bad("tcp needs a port (2375, or 2376 with TLS)");
      const tls = { ca: take("ca"), cert: take("cert"), key: take("key") };
      const on = take("tls");
      if (on !== undefined && !["1", "true", "0", "false"].includes(on)) throw bad(`tls must be 1 or 0, got "${on}"`);
      if (on === "1" || on === "true" || tls.ca || tls.cert || tls.key) {
        spec.tls = Object.fromEntries(Object.entries(tls).filter(([, v]) => v !== undefined));
      }
    } else {
      if (url.username !== "") spec.username = decodeURIComponent(url.username);
      const identity = take("identity");
      if (identity !== undefined) spec.identity = identity;
    }
    const user = spec.username ? `${spec.username}@` : "";
    spec.name = `${kind}://${user}${url.host}`;
  }
  const unknown = [...params.keys()];
  if (unknown.length > 0) throw bad(`unknown option${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}`);
  return spec;
}

/** What the choice of a host looks at. */
export interface HostLoad {
  capacity: number;
  /** Workspaces open on it now. */
  inUse: number;
  healthy: boolean;
}

/**
 * The host for the next workspace: the healthy one with the most free capacity (capacity − in use);
 * ties go to the first. A full pool still gets a host (the least over capacity): grading containers
 * can briefly exceed the task slots. null when no host is healthy.
 */
export function pickHost(hosts: readonly HostLoad[]): number | null {
  let best: number | null = null;
  hosts.forEach((h, i) => {
    if (!h.healthy) return;
    const current = best === null ? undefined : hosts[best];
    if (current === undefined || h.capacity - h.inUse > current.capacity - current.inUse) best = i;
  });
  return best;
}
