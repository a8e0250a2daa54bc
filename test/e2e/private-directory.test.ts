import { spawn } from "node:child_process"
import { randomUUID } from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runningPostmasterPid } from "../support/Postmaster.ts"
import { type PrivateCopy, privateCopy } from "./PrivateCopy.ts"
import { baseEnv, collect, freshDataDir, request, runShell, serviceOf } from "./TallyProcess.ts"

/**
 * Root on a fresh machine or container, with the clone in root's home (0700) or a data directory
 * made by `mktemp -d` (0700): PostgreSQL refuses to run as root, and the unprivileged user it runs
 * as cannot enter such directories. Tally runs it in a user namespace where its file access is
 * root's, and where the machine refuses user namespaces, as the postgres user with its binaries
 * staged beside a data directory that user can reach, or fails at once naming the directory.
 */

const isRoot = process.getuid?.() === 0
let copy: PrivateCopy

beforeAll(async () => {
  if (isRoot) copy = await privateCopy()
}, 120_000)

afterAll(() => copy?.remove())

/** Whether an unprivileged user (`nobody`) can enter the directory. */
const nobodyCanEnter = async (dir: string) =>
  (
    await collect(
      spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "sh", "-c", 'cd -- "$1"', "sh", dir]),
    )
  ).code === 0

/** The README's own commands, run from the private copy. */
const inCopy = (command: string, env: Record<string, string> = {}) => runShell(command, env, { cwd: copy.root })

const pnpmStart = (env: Record<string, string> = {}) =>
  serviceOf(
    spawn("pnpm", ["start", "--port", "0"], { cwd: copy.root, env: baseEnv(env), stdio: ["ignore", "pipe", "pipe"] }),
  )

describe.skipIf(!isRoot)("as root, from a clone in a private (0700) directory (root only: skipped otherwise)", () => {
  it("is a directory an unprivileged user cannot enter", async () => {
    expect(Fs.statSync(copy.parent).mode & 0o777).toBe(0o700)
    expect(await nobodyCanEnter(copy.parent)).toBe(false)
    expect(await nobodyCanEnter(Path.dirname(copy.parent))).toBe(true)
  })

  it("pnpm start serves with its data in .tally/ and stops cleanly", async () => {
    const service = await pnpmStart()
    try {
      const topUp = await request(`${service.url}/v1/accounts/alice/top-ups`, { body: { amount: 1000 } })
      expect(topUp.status, topUp.text).toBe(200)
      expect((await request(`${service.url}/health`)).body).toEqual({
        status: "ok",
        storage: "embedded-postgres",
        database: "up",
      })
    } finally {
      expect(await service.stop("SIGTERM")).toBe(0)
    }
    expect(Fs.existsSync(Path.join(copy.root, ".tally", "postgres", "PG_VERSION"))).toBe(true)
  })

  it("pnpm tally reads what the service kept, and runs on a TALLY_DATA_DIR made by mktemp -d", async () => {
    const balance = await inCopy("pnpm -s tally balance alice")
    expect(balance.code, balance.stderr).toBe(0)
    expect(balance.stdout.trim()).toBe("alice: 1000 credits")

    const dataDir = freshDataDir("private")
    try {
      const topUp = await inCopy("pnpm -s tally top-up bob 5 --json", { TALLY_DATA_DIR: dataDir })
      expect(topUp.code, topUp.stderr).toBe(0)
      expect(JSON.parse(topUp.stdout).balance).toBe(5)
      const service = await pnpmStart({ TALLY_DATA_DIR: dataDir })
      try {
        expect((await request(`${service.url}/v1/accounts/bob/balance`)).body.balance).toBe(5)
      } finally {
        expect(await service.stop("SIGTERM")).toBe(0)
      }
    } finally {
      Fs.rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it("runs the test suite's embedded PostgreSQL set-up there", async () => {
    const suite = await inCopy("pnpm -s exec vitest run test/migrations.test.ts", { NO_COLOR: "1" })
    expect(suite.code, `${suite.stdout}${suite.stderr}`).toBe(0)
    expect(suite.stdout).toMatch(/Tests\s+(\d+) passed \(\1\)/)
  })
})

/**
 * Starts a command as root where the kernel refuses user namespaces, as a container's default
 * seccomp profile does: in a user namespace that maps every id to itself (so the command is root,
 * with root's file access) and allows no user namespace inside it.
 */
const withoutUserNamespaces = async (argv: ReadonlyArray<string>, env: Record<string, string>, cwd: string) => {
  const script = `read _ && exec sh -c 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"' sh "$@"`
  const child = spawn("unshare", ["--user", "sh", "-c", script, "sh", ...argv], {
    cwd,
    env: baseEnv(env),
    stdio: ["pipe", "pipe", "pipe"],
  })
  const ours = Fs.readlinkSync("/proc/self/ns/user")
  const namespace = () => {
    try {
      return Fs.readlinkSync(`/proc/${child.pid}/ns/user`)
    } catch {
      return ours
    }
  }
  while (namespace() === ours) await new Promise((resolve) => setTimeout(resolve, 10))
  Fs.writeFileSync(`/proc/${child.pid}/uid_map`, "0 0 4294967295")
  Fs.writeFileSync(`/proc/${child.pid}/gid_map`, "0 0 4294967295")
  child.stdin?.end("\n")
  return child
}

const tallyArgv = (...args: Array<string>) => [process.execPath, "--import", "tsx", "packages/app/src/main.ts", ...args]

describe.skipIf(!isRoot)("as root where user namespaces are refused (root only: skipped otherwise)", () => {
  it("fails at once on a data directory the postgres user cannot reach, naming it and the way out", async () => {
    const dataDir = freshDataDir("no-userns")
    try {
      const child = await withoutUserNamespaces(tallyArgv("balance", "alice"), { TALLY_DATA_DIR: dataDir }, copy.root)
      const result = await collect(child)

      expect(result.code).toBe(1)
      expect(result.stderr).toContain("user namespaces are not available")
      expect(result.stderr).toContain(`that user cannot enter ${dataDir}:`)
      expect(result.stderr).toContain("TALLY_DATA_DIR")
      expect(Fs.readdirSync(dataDir)).not.toContain("postgres")
    } finally {
      Fs.rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it("serves from the private clone as the postgres user, its binaries staged in a data directory it reaches", async () => {
    // Not made by the test: Tally makes it, as it would make /var/lib/tally, where the postgres user reaches it.
    const dataDir = Path.join(Os.tmpdir(), `tally-no-userns-${randomUUID()}`)
    try {
      const service = await serviceOf(
        await withoutUserNamespaces(tallyArgv("serve", "--port", "0"), { TALLY_DATA_DIR: dataDir }, copy.root),
      )
      try {
        const topUp = await request(`${service.url}/v1/accounts/carol/top-ups`, { body: { amount: 7 } })
        expect(topUp.status, topUp.text).toBe(200)
        const postmaster = runningPostmasterPid(Path.join(dataDir, "postgres"))
        const uid = /^Uid:\s+(\d+)/m.exec(Fs.readFileSync(`/proc/${postmaster}/status`, "utf8"))?.[1]
        const postgresUid = (await collect(spawn("id", ["-u", "postgres"]))).stdout.trim()
        expect(uid).toBe(postgresUid)
        expect(Fs.readdirSync(dataDir).filter((name) => /^postgres-.*-binaries$/.test(name))).toHaveLength(1)
      } finally {
        expect(await service.stop("SIGTERM")).toBe(0)
      }
    } finally {
      Fs.rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
