import autocannon from "autocannon"
import { accountIds, ceiling, type Operation, operations, rejectionTags } from "../Workload.ts"
import type { CutOff, LoadResult, LoadRun } from "./Load.ts"

/**
 * The autocannon load generator's process (`Load.autocannon` forks it): for each run it is sent,
 * autocannon keeps `connections` keep-alive connections busy for the run's duration, each sending its
 * next write as soon as the previous one is answered: half top-ups with a ceiling, half spends, amounts
 * 1..100 (`Workload.operations`). Latency is autocannon's per-request time, kept here at full resolution
 * (its own histogram counts whole milliseconds).
 */

/** autocannon checks for the end of a run at this interval; its default of 1 s would overrun short runs. */
const sampleIntervalMs = 20
const errorSamplesMax = 3
const rejections = new Set(rejectionTags)

const percentile = (sorted: Float64Array, p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

/** What the load generator reads in an answer: the applied amount of a write, or a rejection's tag. */
interface Answer {
  readonly entry?: { readonly amount?: unknown }
  readonly _tag?: string
}

const parse = (body: string): Answer | undefined => {
  try {
    return JSON.parse(body) as Answer
  } catch {
    return undefined
  }
}

/** autocannon hands each request a context of its own (it resets it when its list of one request starts over). */
interface RequestContext {
  operation?: Operation
}

/** Keys unique across the generator's runs: its pid and a counter. */
let keysIssued = 0

const run = (load: LoadRun) =>
  new Promise<LoadResult>((resolve, reject) => {
    const ids = accountIds(load.accounts)
    const next = operations(load.accounts, load.stream)
    const appliedByAccount = new Array<number>(load.accounts).fill(0)
    const latencies: Array<number> = []
    const inFlight = new Set<RequestContext>()
    const errorSamples = new Set<string>()
    let applied = 0
    let rejected = 0
    let errors = 0
    const fail = (sample: string) => {
      errors++
      if (errorSamples.size < errorSamplesMax) errorSamples.add(sample.slice(0, 200))
    }
    const startedMs = performance.now()
    const instance = autocannon(
      {
        url: load.url,
        connections: load.connections,
        pipelining: 1,
        ...(load.requests === undefined ? { duration: load.durationMs / 1000 } : { amount: load.requests }),
        sampleInt: sampleIntervalMs,
        method: "POST",
        headers: { "content-type": "application/json" },
        requests: [
          {
            setupRequest: (request, context: RequestContext) => {
              const operation = next()
              context.operation = operation
              inFlight.add(context)
              const route = operation.kind === "top-up" ? "top-ups" : "spends"
              request.path = `/v1/accounts/${ids[operation.account]}/${route}`
              if (load.keyed === true) {
                request.headers = {
                  "content-type": "application/json",
                  "idempotency-key": `bench-${process.pid}-${++keysIssued}`,
                }
              }
              request.body = JSON.stringify(
                operation.kind === "top-up" ? { amount: operation.amount, ceiling } : { amount: operation.amount },
              )
              return request
            },
            onResponse: (status, body, context: RequestContext) => {
              inFlight.delete(context)
              const answer = parse(body)
              if (status === 200 && typeof answer?.entry?.amount === "number") {
                applied++
                appliedByAccount[context.operation!.account]! += answer.entry.amount
              } else if (status === 409 && rejections.has(answer?._tag ?? "")) {
                rejected++
              } else {
                fail(`${status} ${body}`)
              }
            },
          },
        ],
      },
      (error) => {
        if (error !== null && error !== undefined) return reject(error)
        const sorted = Float64Array.from(latencies).sort()
        const cutOff: Array<CutOff> = [...inFlight].map(({ operation }) => ({
          account: operation!.account,
          amount: operation!.kind === "top-up" ? operation!.amount : -operation!.amount,
        }))
        resolve({
          elapsedMs: performance.now() - startedMs,
          responses: latencies.length,
          applied,
          rejected,
          errors,
          errorSamples: [...errorSamples],
          latencyP50Ms: percentile(sorted, 50),
          latencyP99Ms: percentile(sorted, 99),
          appliedByAccount,
          cutOff,
        })
      },
    )
    instance.on("response", (_client, _status, _bytes, responseTimeMs) => latencies.push(responseTimeMs))
    instance.on("reqError", (error) => fail(String(error)))
  })

process.on("message", (load: LoadRun) => {
  run(load).then(
    (result) => process.send!(result),
    (error) => {
      console.error(error)
      process.exit(1)
    },
  )
})
process.on("SIGTERM", () => process.exit(0))
