import { execFile } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { repoRoot } from "../e2e/TallyProcess.ts"

/**
 * The local cluster of `scripts/ha/cluster.sh` (etcd, Patroni nodes, HAProxy), driven the way a
 * developer drives it: through the script's commands. Every call is asynchronous, so the clients
 * writing in the same process keep running while a node is killed or started.
 */

export const script = Path.join(repoRoot, "scripts/ha/cluster.sh")

/**
 * Where a run leaves the logs of the cluster and of the Tally processes, for a failure to be read
 * after the cluster's own directory is gone (git-ignored).
 */
export const logsDir = Path.join(repoRoot, ".tally-ha-test")

/** `cluster.sh up` installs packages when missing, runs initdb and a base backup: minutes at most. */
const commandTimeoutMs = 300_000

export type Component = "etcd" | "haproxy" | `node${number}`

export interface HaCluster {
  readonly dir: string
  /** Tally's connection string: the `tally` database through HAProxy. */
  readonly databaseUrl: string
  readonly nodes: ReadonlyArray<Component>
  readonly run: (...args: ReadonlyArray<string>) => Promise<string>
  /** The node whose Patroni answers 200 on /primary, if any. */
  readonly leader: () => Promise<Component | undefined>
  /** SIGKILL: a node's Patroni and postmaster at once, or etcd, or HAProxy. */
  readonly kill: (component: Component) => Promise<void>
  readonly stop: (component: Component) => Promise<void>
  /**
   * SIGSTOP of a node's Patroni, its postmaster and the postmaster's children: the node closes
   * nothing and answers nothing, to Tally (through HAProxy) and to etcd alike, as behind a partition.
   */
  readonly pause: (node: Component) => Paused
  readonly start: (component: Component) => Promise<void>
  /** Until a leader answers through HAProxy with a synchronous standby streaming. */
  readonly ready: () => Promise<void>
  /** Starts whatever is down (`cluster.sh up` again), then as `ready`: a scenario's starting point. */
  readonly heal: () => Promise<void>
  /** One value from the leader, through HAProxy, as the superuser. */
  readonly query: (sql: string) => Promise<string>
  /** A node's status as its Patroni REST API reports it (`GET /patroni`). */
  readonly patroni: (node: Component) => Promise<PatroniStatus>
  /** The cluster-wide settings Patroni keeps in etcd (`GET /config` on a node). */
  readonly dynamicConfig: (node: Component) => Promise<{ readonly ttl: number; readonly loop_wait: number }>
}

/** A node that `pause` stopped. */
export interface Paused {
  /** SIGKILL of every process it stopped (children included, which a stopped process keeps from exiting). */
  readonly kill: () => void
}

export interface PatroniStatus {
  readonly role: string
  readonly state: string
  readonly timeline?: number
  /** The leader's view of its standbys. */
  readonly replication?: ReadonlyArray<{
    readonly application_name: string
    readonly state: string
    readonly sync_state: string
  }>
  /** The leader cannot reach etcd and stays primary because every member answers it. */
  readonly failsafe_mode_is_active?: boolean
}

/** Runs `cluster.sh` on the cluster in `dir` and resolves with what it printed. */
export const runScript = (dir: string, args: ReadonlyArray<string>) =>
  new Promise<string>((resolve, reject) => {
    execFile(
      "bash",
      [script, ...args],
      { env: { ...process.env, TALLY_HA_DIR: dir }, timeout: commandTimeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`cluster.sh ${args.join(" ")} failed: ${error.message}\n${stderr}`)) : resolve(stdout),
    )
  })

const readEnvFile = (file: string) =>
  Object.fromEntries(
    Fs.readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  )

const getJson = async <A>(url: string): Promise<A> => {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) })
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`)
  return (await response.json()) as A
}

const pidIn = (file: string) => Number(Fs.readFileSync(file, "utf8").split("\n")[0])

/** The processes whose parent is `parent`, read from /proc. */
const childrenOf = (parent: number) =>
  Fs.readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return Number(Fs.readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]?.split(" ")[1]) === parent
      } catch {
        // The process ended meanwhile.
        return false
      }
    })
    .map(Number)

/** Stops a node: its Patroni first, so it cannot react; the postmaster before its children, so it forks no more. */
const pauseNode = (dir: string, node: Component): Paused => {
  const patroni = pidIn(Path.join(dir, `${node}.pid`))
  const postmaster = pidIn(Path.join(dir, node, "data", "postmaster.pid"))
  process.kill(patroni, "SIGSTOP")
  process.kill(postmaster, "SIGSTOP")
  const children = childrenOf(postmaster)
  for (const child of children) process.kill(child, "SIGSTOP")
  return {
    kill: () => {
      for (const pid of [patroni, postmaster, ...children]) {
        try {
          process.kill(pid, "SIGKILL")
        } catch {
          // It ended meanwhile.
        }
      }
    },
  }
}

/** The cluster in `dir`, which `cluster.sh up` has brought up. */
export const haCluster = (dir: string): HaCluster => {
  const settings = readEnvFile(Path.join(dir, "settings.env"))
  const run = (...args: ReadonlyArray<string>) => runScript(dir, args)
  const apiUrl = (node: Component) => `http://127.0.0.1:${settings[`${node.toUpperCase()}_API_PORT`]}`
  return {
    dir,
    databaseUrl: readEnvFile(Path.join(dir, "cluster.env")).DATABASE_URL!,
    nodes: Array.from({ length: Number(settings.NODES) }, (_, i): Component => `node${i + 1}`),
    run,
    leader: () =>
      run("leader").then(
        (name) => name.trim() as Component,
        () => undefined,
      ),
    kill: (component) => run("kill", component).then(() => undefined),
    stop: (component) => run("stop", component).then(() => undefined),
    pause: (node) => pauseNode(dir, node),
    start: (component) => run("start", component).then(() => undefined),
    ready: () => run("wait").then(() => undefined),
    heal: () => run("up").then(() => undefined),
    query: (sql) => run("psql", "-tA", "-c", sql).then((out) => out.trim()),
    patroni: (node) => getJson(`${apiUrl(node)}/patroni`),
    dynamicConfig: (node) => getJson(`${apiUrl(node)}/config`),
  }
}
