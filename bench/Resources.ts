import * as Fs from "node:fs"
import * as V8 from "node:v8"
import * as Vm from "node:vm"
import { Effect } from "effect"

/**
 * Where the machine's time goes during a measured phase: CPU of this process (Tally runs in it, so
 * it is "the server"), CPU of the PostgreSQL server's processes, and this process's peak RSS.
 */
export interface Usage {
  /** CPU seconds per wall second: 1 is one core busy. */
  readonly nodeCores: number
  /** Null when the server's processes are not visible (a remote DATABASE_URL). */
  readonly postgresCores: number | null
  /**
   * Busy cores of the whole machine minus this process, the server and kernel threads: anything
   * else running (another test run) during the measurement. Well above 0 means the figures are
   * disturbed. Process times are sampled in ticks of 10 ms, so small values are noise.
   */
  readonly otherCores: number
  readonly rssMbMax: number
  /** Peak V8 heap in use: what this cell needs, where RSS may still hold what earlier cells used. */
  readonly heapMbMax: number
}

/** Linux reports process times in clock ticks of 1/100 s (`getconf CLK_TCK`). */
export const ticksPerSecond = 100
const rssSampleIntervalMs = 100

interface ProcStat {
  readonly ppid: number
  /** utime + stime: the process's own CPU, all its threads. */
  readonly ownTicks: number
  /** utime + stime + cutime + cstime: the children's part keeps exited backends counted. */
  readonly ticks: number
  /** utime + cutime: in user space. */
  readonly userTicks: number
  /** stime + cstime: in the kernel, on the process's behalf (system calls, page faults). */
  readonly systemTicks: number
}

/** `/proc/<pid>/stat`, or a thread's `/proc/<pid>/task/<tid>/stat`. */
const procStat = (pid: number, path = `/proc/${pid}/stat`): ProcStat | undefined => {
  try {
    const text = Fs.readFileSync(path, "utf8")
    // Fields after "pid (comm) ": state ppid ... utime(14) stime(15) cutime(16) cstime(17), 1-based.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ")
    const field = (n: number) => Number(fields[n - 3])
    const ownTicks = field(14) + field(15)
    return {
      ppid: field(4),
      ownTicks,
      ticks: ownTicks + field(16) + field(17),
      userTicks: field(14) + field(16),
      systemTicks: field(15) + field(17),
    }
  } catch {
    return undefined
  }
}

/** The server's processes: the postmaster and its children (backends, checkpointer, WAL writer...). */
export const serverProcesses = (postmasterPid: number): ReadonlyArray<number> => [
  postmasterPid,
  ...Fs.readdirSync("/proc")
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && procStat(pid)?.ppid === postmasterPid),
]

/** The postmaster of a backend: its parent process, when /proc shows it. */
export const postmasterOf = (backendPid: number): number | undefined => procStat(backendPid)?.ppid

/** CPU ticks (utime + stime) one process has used so far; undefined once it is gone. */
export const processTicks = (pid: number): number | undefined => procStat(pid)?.ownTicks

/** CPU ticks (cutime + cstime) of a process's children that have exited and been waited for. */
export const exitedChildrenTicks = (pid: number): number | undefined => {
  const stat = procStat(pid)
  return stat === undefined ? undefined : stat.ticks - stat.ownTicks
}

/** Resident memory of a process from `/proc/<pid>/status`, in bytes; undefined once it is gone. */
export const processRssBytes = (pid: number): number | undefined => {
  try {
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(Fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]
    return kib === undefined ? undefined : Number(kib) * 1024
  } catch {
    return undefined
  }
}

/**
 * A process's CPU by thread: its main thread's (the thread whose id is the process's: a Node
 * service's JavaScript) in user space and in the kernel, and its other threads' (V8's garbage
 * collector and compiler, libuv's pool). Zeros once the process is gone.
 */
export interface ThreadTicks {
  readonly mainUser: number
  readonly mainSystem: number
  readonly otherThreads: number
}

export const threadTicks = (pid: number): ThreadTicks => {
  let tids: Array<string> = []
  try {
    tids = Fs.readdirSync(`/proc/${pid}/task`)
  } catch {
    return { mainUser: 0, mainSystem: 0, otherThreads: 0 }
  }
  const main = procStat(pid, `/proc/${pid}/task/${pid}/stat`)
  const otherThreads = tids
    .filter((tid) => tid !== String(pid))
    .reduce((sum, tid) => sum + (procStat(pid, `/proc/${pid}/task/${tid}/stat`)?.ownTicks ?? 0), 0)
  return { mainUser: main?.userTicks ?? 0, mainSystem: main?.systemTicks ?? 0, otherThreads }
}

/** Kernel threads are children of kthreadd, process 2: the kernel's own work (I/O, flushing). */
const kthreadd = 2

export interface Ticks {
  /** The postmaster and its children (backends, checkpointer, WAL writer...). */
  readonly postgres: number
  /** `postgres` in user space: executing statements. */
  readonly postgresUser: number
  /** `postgres` in the kernel: the socket's sends and receives, the WAL's writes and flushes. */
  readonly postgresSystem: number
  readonly kernelThreads: number
  /** User and system time of the whole machine, from the first line of /proc/stat. */
  readonly machine: number
}

export const ticks = (postmasterPid: number | undefined): Ticks => {
  const postmaster = postmasterPid === undefined ? undefined : procStat(postmasterPid)
  let postgresUser = postmaster?.userTicks ?? 0
  let postgresSystem = postmaster?.systemTicks ?? 0
  let kernelThreads = 0
  for (const name of Fs.readdirSync("/proc")) {
    const pid = Number(name)
    if (!Number.isInteger(pid)) continue
    const stat = procStat(pid)
    if (stat === undefined) continue
    if (postmasterPid !== undefined && stat.ppid === postmasterPid) {
      postgresUser += stat.userTicks
      postgresSystem += stat.systemTicks
    }
    if (pid === kthreadd || stat.ppid === kthreadd) kernelThreads += stat.ticks
  }
  const [, user, nice, system] = Fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).map(Number)
  return {
    postgres: postgresUser + postgresSystem,
    postgresUser,
    postgresSystem,
    kernelThreads,
    machine: user! + nice! + system!,
  }
}

/**
 * A full garbage collection before measuring, so the RSS of a cell is not what earlier cells left
 * on the heap (the in-memory store's entries). `--expose-gc` set at run time, as `gc` in a context.
 */
V8.setFlagsFromString("--expose-gc")
const collectGarbage = Vm.runInNewContext("gc") as () => void

/** Runs `effect` and reports the resources spent while it ran. */
export const measure = <A, E, R>(effect: Effect.Effect<A, E, R>, postmasterPid: number | undefined) =>
  Effect.gen(function* () {
    collectGarbage()
    let rssMax = 0
    let heapMax = 0
    const sample = () => {
      const memory = process.memoryUsage()
      rssMax = Math.max(rssMax, memory.rss)
      heapMax = Math.max(heapMax, memory.heapUsed)
    }
    sample()
    const sampler = setInterval(sample, rssSampleIntervalMs)
    const startedMs = performance.now()
    const nodeStart = process.cpuUsage()
    const ticksStart = ticks(postmasterPid)
    const result = yield* effect.pipe(Effect.ensuring(Effect.sync(() => clearInterval(sampler))))
    const node = process.cpuUsage(nodeStart)
    const ticksEnd = ticks(postmasterPid)
    const elapsedS = (performance.now() - startedMs) / 1000
    sample()
    const cores = (key: keyof Ticks) => (ticksEnd[key] - ticksStart[key]) / ticksPerSecond / elapsedS
    const nodeCores = (node.user + node.system) / 1e6 / elapsedS
    const postgresCores = postmasterPid === undefined ? null : cores("postgres")
    const usage: Usage = {
      nodeCores,
      postgresCores,
      otherCores: Math.max(0, cores("machine") - cores("kernelThreads") - nodeCores - (postgresCores ?? 0)),
      rssMbMax: rssMax / 2 ** 20,
      heapMbMax: heapMax / 2 ** 20,
    }
    return [result, usage] as const
  })
