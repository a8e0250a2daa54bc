import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Path from "node:path"
import { ProcessStatus } from "@tally/adapters"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { runningPostmasterPid } from "../support/Postmaster.ts"
import { baseEnv, freshDataDir, repoRoot, request, runTally, serviceOf, startService } from "./TallyProcess.ts"

/**
 * The service under a process manager: the pid the manager holds is the server, so SIGKILL leaves
 * nothing running; a start right after kill -9 comes up; a start that cannot come up says why and
 * exits non-zero.
 */

const dataDirs: Array<string> = []
const dataDir = (label: string) => {
  const dir = freshDataDir(label)
  dataDirs.push(dir)
  return dir
}
const cleanups: Array<() => void> = []

afterAll(() => {
  for (const cleanup of cleanups) cleanup()
  for (const dir of dataDirs) Fs.rmSync(dir, { recursive: true, force: true })
})

const isRunning = (pid: number) => Effect.runPromise(ProcessStatus.isRunning(pid))

/** Polls until the condition holds; the test's own timeout bounds the wait. */
const eventually = async (condition: () => Promise<boolean> | boolean) => {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 100))
}

const ownerPid = (dir: string): number => JSON.parse(Fs.readFileSync(Path.join(dir, "owner.json"), "utf8")).pid

const postmasterPid = (dir: string) => runningPostmasterPid(Path.join(dir, "postgres"))

const answers = (url: string) =>
  fetch(`${url}/health`).then(
    () => true,
    () => false,
  )

/** `pnpm start` as a supervisor runs it, in a process group of its own. */
const pnpmStart = (env: Record<string, string>) =>
  spawn("pnpm", ["start", "--port", "0"], {
    cwd: repoRoot,
    env: baseEnv(env),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  })

const tallyServe = [process.execPath, "--import", "tsx", "packages/app/src/main.ts", "serve", "--port", "0"]

/** The process state Linux reports (R, S, Z...). */
const state = (pid: number) => {
  const stat = Fs.readFileSync(`/proc/${pid}/stat`, "utf8")
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0]
}

describe("under a process manager", () => {
  it("the documented command is one process: SIGKILL of its pid leaves nothing answering, PostgreSQL included", async () => {
    const dir = dataDir("one-process")
    const service = await startService({ TALLY_DATA_DIR: dir })
    expect(ownerPid(dir)).toBe(service.child.pid)
    const postmaster = postmasterPid(dir)

    expect(await service.stop("SIGKILL")).toBeNull()

    await eventually(async () => !(await isRunning(postmaster)))
    expect(await answers(service.url)).toBe(false)
  })

  it("pnpm start leaves no orphan when the pnpm pid a supervisor holds is killed: the service shuts down in order", async () => {
    const dir = dataDir("pnpm-start")
    const launcher = pnpmStart({ TALLY_DATA_DIR: dir })
    const service = await serviceOf(launcher)
    const server = ownerPid(dir)
    const postmaster = postmasterPid(dir)
    expect(server).not.toBe(launcher.pid)

    launcher.kill("SIGKILL")

    await eventually(async () => !(await isRunning(server)) && !(await isRunning(postmaster)))
    expect(service.output()).toContain(
      `the package manager that started it (pid ${launcher.pid}) is gone, shutting down`,
    )
    expect(service.output()).toContain('"message":"stopped"')
    expect(await answers(service.url)).toBe(false)
    expect(Fs.existsSync(Path.join(dir, "owner.json"))).toBe(false)
  })

  it("pnpm start comes up at once after kill -9 of the previous pnpm start's process group", async () => {
    const dir = dataDir("group-kill")
    const first = pnpmStart({ TALLY_DATA_DIR: dir })
    const firstService = await serviceOf(first)
    await request(`${firstService.url}/v1/accounts/kept/top-ups`, { body: { amount: 40 } })

    process.kill(-first.pid!, "SIGKILL")
    const second = pnpmStart({ TALLY_DATA_DIR: dir })
    cleanups.push(() => second.kill("SIGKILL"))
    const service = await serviceOf(second)

    expect((await request(`${service.url}/v1/accounts/kept/balance`)).body.balance).toBe(40)
    // pnpm passes SIGTERM on; the service exits 0, and pnpm with it.
    expect(await service.stop("SIGTERM")).toBe(0)
  })

  it("comes up while the killed server is still a zombie its parent has not reaped", async () => {
    const dir = dataDir("zombie")
    // The server in a session of its own under a parent (sleep) that never reaps its children.
    const parent = spawn("sh", ["-c", 'setsid "$@" & exec sleep 600', "sh", ...tallyServe], {
      cwd: repoRoot,
      env: baseEnv({ TALLY_DATA_DIR: dir }),
      stdio: ["ignore", "pipe", "pipe"],
    })
    cleanups.push(() => parent.kill("SIGKILL"))
    const killed = await serviceOf(parent)
    await request(`${killed.url}/v1/accounts/kept/top-ups`, { body: { amount: 60 } })
    const server = ownerPid(dir)

    process.kill(-server, "SIGKILL")
    await eventually(() => state(server) === "Z")
    const service = await startService({ TALLY_DATA_DIR: dir })

    expect(state(server)).toBe("Z")
    expect((await request(`${service.url}/v1/accounts/kept/balance`)).body.balance).toBe(60)
    expect(await service.stop("SIGTERM")).toBe(0)
  })
})

describe("a start that cannot come up", () => {
  it("says the port is in use, and exits 1", async () => {
    const taken = Net.createServer()
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve))
    const { port } = taken.address() as Net.AddressInfo
    try {
      const result = await runTally(["serve", "--memory", "--port", String(port)])

      expect(result.code).toBe(1)
      expect(result.stderr).toContain(`tally: cannot listen on 127.0.0.1:${port}: the port is in use`)
      // It never started, so it stopped nothing.
      expect(result.stdout).not.toContain('"message":"stopped"')
    } finally {
      taken.close()
    }
  })

  it("says which process holds the data directory, and exits 1", async () => {
    const dir = dataDir("busy")
    const service = await startService({ TALLY_DATA_DIR: dir })
    try {
      const result = await runTally(["serve", "--port", "0"], { TALLY_DATA_DIR: dir })

      expect(result.code).toBe(1)
      expect(result.stderr).toContain(
        `tally: the data directory ${dir} is in use by tally process ${service.child.pid}`,
      )
      expect(result.stdout).not.toContain('"message":"stopped"')
    } finally {
      expect(await service.stop("SIGTERM")).toBe(0)
    }
  })

  it("names the variable of a bad configuration, and exits 2", async () => {
    const result = await runTally(["serve", "--memory", "--port", "0"], { TALLY_LOG_FORMAT: "xml" })

    expect(result.code).toBe(2)
    expect(result.stderr).toContain("tally: invalid configuration: TALLY_LOG_FORMAT: ")
  })
})
