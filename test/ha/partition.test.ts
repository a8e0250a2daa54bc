import * as Fs from "node:fs"
import * as Path from "node:path"
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest"
import { type Service, startService } from "../e2e/TallyProcess.ts"
import { answeredLate, caughtBy, faultFigures, seconds, withHarnessMargin } from "./FaultWindow.ts"
import { type Component, haCluster, logsDir } from "./HaCluster.ts"
import { watchHealth } from "./HealthWatch.ts"
import { figures, readLedger, reconcile } from "./Reconcile.ts"
import { startLoad } from "./WriteLoad.ts"

/**
 * The leader partitioned from Tally and from etcd without being killed, on the cluster of
 * `scripts/ha/cluster.sh`: its Patroni and every PostgreSQL process of it stopped (SIGSTOP), so
 * every socket to it stays open and silent (the machine has no iptables, and a signal reaches
 * both sides of the node at once: Tally's connections through HAProxy, and Patroni's lease in
 * etcd). Under 16 clients writing keyed top-ups and spends to two `tally serve` processes, every
 * request is answered within Tally's per-request deadline while Patroni elects the synchronous
 * standby; writes then land on the new leader while the old one is still stopped; the old one,
 * continued, rejoins as a standby. The ledger read back agrees with every answer: nothing
 * acknowledged was lost with the old leader's unreplicated WAL (synchronous replication), nothing
 * said unwritten was written.
 */

const cluster = haCluster(inject("haDir"))
const services: Array<Service> = []
const runId = Date.now().toString(36)

const retryBudgetMs = 5_000
const statementTimeoutMs = 5_000
/** The README's deadline of one request: `TALLY_DB_RETRY_MS` + 2 x `TALLY_DB_STATEMENT_TIMEOUT_MS` + 0.5 s. */
const deadlineMs = retryBudgetMs + 2 * statementTimeoutMs + 500
const clients = 16
const accountsPerScenario = 16
const writesBetweenSteps = 500
const clusterPollMs = 200
const clusterChangeDeadlineMs = 120_000

beforeAll(async () => {
  const env = {
    DATABASE_URL: cluster.databaseUrl,
    TALLY_LOG_LEVEL: "Warn",
    TALLY_DB_RETRY_MS: String(retryBudgetMs),
    TALLY_DB_STATEMENT_TIMEOUT_MS: String(statementTimeoutMs),
  }
  services.push(...(await Promise.all([startService(env), startService(env)])))
})

afterAll(async () => {
  const codes = await Promise.all(services.map((service) => service.stop("SIGTERM")))
  Fs.mkdirSync(logsDir, { recursive: true })
  for (const [index, service] of services.entries()) {
    Fs.writeFileSync(Path.join(logsDir, `tally-partition-${index + 1}.log`), service.output())
  }
  expect(codes).toEqual(services.map(() => 0))
})

const urls = () => services.map((service) => service.url)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const leaderOtherThan = async (node: Component): Promise<Component> => {
  const deadline = Date.now() + clusterChangeDeadlineMs
  while (Date.now() < deadline) {
    const leader = await cluster.leader().catch(() => undefined)
    if (leader !== undefined && leader !== node) return leader
    await sleep(clusterPollMs)
  }
  throw new Error(`no leader other than ${node} after ${clusterChangeDeadlineMs} ms`)
}

describe("Tally on a highly available PostgreSQL cluster whose leader is partitioned", () => {
  it("answers every caller within its deadline while Patroni fails over, then writes to the new leader, losing nothing acknowledged", async () => {
    await cluster.heal()
    const old = (await cluster.leader())!
    // Synchronous replication: a commit is acknowledged once the standby has it.
    const standby = cluster.nodes.find((node) => node !== old)!
    expect(await cluster.query("SHOW synchronous_standby_names")).toContain(standby)
    const accounts = Array.from({ length: accountsPerScenario }, (_, i) => `ha-partition-${runId}-${i}`)
    const load = startLoad({ urls: urls(), accounts, clients, idPrefix: `partition-${runId}` })
    const health = watchHealth(urls())
    await load.progress(writesBetweenSteps)

    let elected: Component | undefined
    let landedBeforeResume = 0
    const pausedAtMs = Date.now()
    cluster.pause(old)
    const { value: window, marginMs } = await withHarnessMargin(async () => {
      try {
        elected = await leaderOtherThan(old)
        const electedAtMs = Date.now()
        // Writes land while the old leader is still stopped: on the new one, the only node that can answer.
        const before = load.answered()
        await load.progress(writesBetweenSteps)
        landedBeforeResume = load.answered() - before
        return { startMs: pausedAtMs, endMs: electedAtMs }
      } finally {
        cluster.resume(old)
      }
    })
    const resumedAtMs = Date.now()
    await cluster.ready()
    const rejoinedAfterMs = Date.now() - resumedAtMs
    await load.progress(writesBetweenSteps)

    const changes = await health.stop()
    const history = await load.stop()
    const ledger = await readLedger(services[0]!.url, accounts)
    const findings = reconcile(history, ledger)
    const caught = caughtBy(history, window)
    console.log(
      `leader partitioned: ${JSON.stringify(
        {
          paused: old,
          elected,
          electedAfter: seconds(window.endMs - window.startMs),
          ...faultFigures(history, window, changes),
          deadline: `${seconds(deadlineMs)} + harness margin ${Math.round(marginMs)} ms`,
          oldLeaderRejoinedAfter: seconds(rejoinedAfterMs),
          load: figures(history),
        },
        null,
        1,
      )}`,
    )

    expect(findings).toEqual([])
    expect(elected).toBe(standby)
    expect(landedBeforeResume).toBeGreaterThanOrEqual(writesBetweenSteps)
    expect(caught.length).toBeGreaterThan(0)
    expect(answeredLate(caught, window, deadlineMs, marginMs)).toEqual([])
    // The old leader came back as a standby; the new one still leads.
    expect(await cluster.leader()).toBe(standby)
    expect((await cluster.patroni(old)).role).not.toMatch(/master|primary/)
    for (const url of urls()) {
      const mine = changes.filter((change) => change.url === url)
      expect(mine[mine.length - 1]?.status).toBe(200)
    }
  })
})
