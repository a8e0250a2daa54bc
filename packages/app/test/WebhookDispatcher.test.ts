import { createServer, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import * as NodeCrypto from "@effect/platform-node/NodeCrypto"
import { MemoryEventLog, MemoryWebhookStore } from "@tally/adapters/memory"
import { AccountEvents, accountId, balance, threshold, Webhooks } from "@tally/domain"
import { Effect, Layer, ManagedRuntime } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import * as Storage from "../src/Storage.ts"
import * as WebhookDispatcher from "../src/WebhookDispatcher.ts"

/**
 * The dispatcher in a process of its own making (memory store, real HTTP to receivers on 127.0.0.1),
 * with a receiver that answers nothing until the test lets it: no timing is measured, only who got what
 * while the other was still waiting.
 */

// Long enough that no held post times out during a test: a held delivery stays in flight.
const options = { ...WebhookDispatcher.defaults, pollIntervalMs: 20, attemptTimeoutMs: 60_000 }

const layer = WebhookDispatcher.layer(options).pipe(
  Layer.provide(NodeCrypto.layerMac),
  Layer.provideMerge(Storage.webhooks(MemoryWebhookStore.layer)),
  Layer.provideMerge(MemoryEventLog.layer),
)

/** A receiver that counts each event's posts; a held one answers none until `release`. */
const receiver = async (held: boolean) => {
  const posts = new Map<number, number>()
  let waiting: Array<ServerResponse> | undefined = held ? [] : undefined
  const server = createServer((req, res) => {
    req.resume()
    req.on("end", () => {
      const eventId = Number(req.headers["tally-event-id"])
      posts.set(eventId, (posts.get(eventId) ?? 0) + 1)
      if (waiting === undefined) res.writeHead(200).end()
      else waiting.push(res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const release = () => {
    for (const res of waiting ?? []) res.writeHead(200).end()
    waiting = undefined
  }
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    posts,
    /** Posts received, every attempt counted. */
    total: () => [...posts.values()].reduce((sum, n) => sum + n, 0),
    release,
    close: () => {
      release()
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

const until = async (condition: () => boolean, what: string, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe("the webhook dispatcher", () => {
  it("delivers every event to a prompt endpoint while a slow one still holds its first posts unanswered", async () => {
    const runtime = ManagedRuntime.make(layer)
    cleanups.push(() => runtime.dispose())
    const slow = await receiver(true)
    const prompt = await receiver(false)
    cleanups.push(slow.close, prompt.close)
    await runtime.runPromise(Webhooks.use((w) => w.create({ url: slow.url })))
    await runtime.runPromise(Webhooks.use((w) => w.create({ url: prompt.url })))

    const events = 200
    const appended = await runtime.runPromise(
      MemoryEventLog.MemoryEventLog.use((log) =>
        Effect.sync(() =>
          log.append(
            Array.from({ length: events }, (_, n) =>
              AccountEvents.balanceLow(accountId(`slow-beside-${n}`), new Date().toISOString(), {
                threshold: threshold(100),
                availableBefore: balance(100),
                availableAfter: balance(99),
                entrySequence: n + 1,
                holdId: null,
              }),
            ),
          ),
        ),
      ),
    )

    await until(() => prompt.posts.size === events, "every event at the prompt endpoint")
    // The slow endpoint has only its share in flight, none of it answered: it held up nothing else.
    expect(slow.total()).toBeLessThanOrEqual(options.perEndpointConcurrency)
    expect([...slow.posts.values()].every((n) => n === 1)).toBe(true)

    slow.release()
    await until(() => slow.posts.size === events, "every event at the slow endpoint once released")
    // Each delivered once to each: a delivery waiting for its answer was not claimed again.
    for (const hook of [prompt, slow])
      expect([...hook.posts.keys()].sort((a, b) => a - b)).toEqual(appended.map((e) => e.id))
    expect(prompt.total()).toBe(events)
    expect(slow.total()).toBe(events)
  })
})
