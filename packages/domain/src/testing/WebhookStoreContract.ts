import { Mac, SecureRandom } from "effect/crypto"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { afterAll, beforeAll, describe, expect, test } from "vitest"
import { accountId } from "../AccountId.ts"
import { threshold } from "../autoTopUp/AutoTopUpSettings.ts"
import { balance } from "../Credits.ts"
import { balanceLow } from "../events/AccountEvents.ts"
import type { AttemptResult, ClaimedDelivery } from "../webhooks/WebhookStore.ts"
import { WebhookStore } from "../webhooks/WebhookStore.ts"
import { Webhooks } from "../webhooks/Webhooks.ts"
import { EventAppender } from "./EventFeedContract.ts"

/**
 * What every webhook store must do, as a vitest suite: `webhookStoreContract("my store", layer)` with
 * a layer of the store and an `EventAppender` writing to the feed it reads. Tests remove the
 * endpoints they create, and pass the time in, so the store may be shared.
 */
export const webhookStoreContract = (name: string, layer: Layer.Layer<WebhookStore | EventAppender, unknown, never>) =>
  describe(`webhooks on ${name}`, () => {
    let runtime: ManagedRuntime.ManagedRuntime<Webhooks | WebhookStore | EventAppender, unknown>
    beforeAll(() => {
      runtime = ManagedRuntime.make(
        Webhooks.layer.pipe(
          Layer.provideMerge(layer),
          Layer.provide(Mac.layerWebCrypto.pipe(Layer.provideMerge(SecureRandom.layerWebCrypto))),
        ),
      )
    })
    afterAll(() => runtime.dispose())

    const run = <A, E>(effect: Effect.Effect<A, E, Webhooks | WebhookStore | EventAppender>) =>
      runtime.runPromise(effect)
    const webhooks = <A, E>(body: (w: Webhooks["Service"]) => Effect.Effect<A, E>) => run(Webhooks.use(body))
    const store = <A, E>(body: (s: WebhookStore["Service"]) => Effect.Effect<A, E>) => run(WebhookStore.use(body))
    const refused = <A, E>(body: (w: Webhooks["Service"]) => Effect.Effect<A, E>) =>
      run(Effect.flip(Webhooks.use(body)))

    let events = 0
    const append = (count: number) =>
      run(
        EventAppender.use((log) =>
          log.append(
            Array.from({ length: count }, () =>
              balanceLow(accountId(`hook-${events++}`), new Date(1_700_000_000_000).toISOString(), {
                threshold: threshold(10),
                availableBefore: balance(10),
                availableAfter: balance(9),
                entrySequence: 1,
                holdId: null,
              }),
            ),
          ),
        ),
      )

    /** A fresh endpoint for one test, removed after it. */
    const withEndpoint = async (body: (endpointId: string) => Promise<void>) => {
      const endpoint = await webhooks((w) => w.create({ url: "http://127.0.0.1:9/hook" }))
      try {
        await body(endpoint.id)
      } finally {
        await webhooks((w) => Effect.ignore(w.remove(endpoint.id)))
      }
    }

    const t0 = Date.UTC(2030, 0, 1)
    const claimed = (endpointId: string, nowMs: number, leaseMs = 60_000) =>
      store((s) => s.claim(nowMs, leaseMs, 1_000)).then((all) => all.filter((c) => c.endpointId === endpointId))
    const result = (claim: ClaimedDelivery, next: AttemptResult["next"], atMs: number): AttemptResult => ({
      endpointId: claim.endpointId,
      eventId: claim.event.id,
      attempt: claim.attempt,
      attemptedAtMs: atMs,
      durationMs: 12,
      statusCode: next._tag === "Delivered" ? 200 : 500,
      error: null,
      next,
    })

    test("an endpoint is created with a generated secret, shown once; the list shows no secret", async () => {
      const created = await webhooks((w) => w.create({ url: "https://example.com/tally" }))
      try {
        expect(created.id).toMatch(/^we_[0-9a-f]{32}$/)
        expect(created.secret).toMatch(/^whsec_[0-9a-f]{64}$/)
        const listed = (await webhooks((w) => w.list)).find((e) => e.id === created.id)
        expect(listed).toEqual({ id: created.id, url: "https://example.com/tally", createdAt: created.createdAt })
        const chosen = await webhooks((w) => w.create({ url: "http://127.0.0.1:1/x", secret: "a-secret-of-mine!" }))
        expect(chosen.secret).toBe("a-secret-of-mine!")
        await webhooks((w) => w.remove(chosen.id))
      } finally {
        await webhooks((w) => w.remove(created.id))
      }
      expect((await webhooks((w) => w.list)).some((e) => e.id === created.id)).toBe(false)
    })

    test("a store asked to create an endpoint whose id it has answers the one it has, and stores no other", async () => {
      const first = {
        id: `we_${"a1".repeat(16)}`,
        url: "https://example.com/first",
        secret: "first-secret-0123",
        createdAt: new Date(t0).toISOString(),
      }
      await store((s) => s.create(first, 100))
      try {
        const again = {
          ...first,
          url: "https://example.com/other",
          secret: "other-secret-0123",
          createdAt: new Date(t0 + 1).toISOString(),
        }
        expect(await store((s) => s.create(again, 100))).toEqual(first)
        expect((await webhooks((w) => w.list)).filter((e) => e.id === first.id)).toEqual([
          { id: first.id, url: first.url, createdAt: first.createdAt },
        ])
        // A retry is answered even when no other endpoint may be added.
        expect(await store((s) => s.create(again, 0))).toEqual(first)
      } finally {
        await webhooks((w) => w.remove(first.id))
      }
    })

    test("a keyed creation retried answers the endpoint the first created, secret included; another URL conflicts", async () => {
      const key = `hook-key-${t0}` as never
      const created = await webhooks((w) => w.create({ url: "https://example.com/keyed", idempotencyKey: key }))
      try {
        expect(created.replayed).toBe(false)
        const retried = await webhooks((w) => w.create({ url: "https://example.com/keyed", idempotencyKey: key }))
        expect(retried).toEqual({ ...created, replayed: true })
        expect((await webhooks((w) => w.list)).filter((e) => e.url === "https://example.com/keyed")).toHaveLength(1)
        const conflict = await refused((w) => w.create({ url: "https://example.com/elsewhere", idempotencyKey: key }))
        expect(conflict).toMatchObject({
          _tag: "WebhookIdempotencyConflict",
          idempotencyKey: key,
          endpointId: created.id,
        })
        const otherSecret = await refused((w) =>
          w.create({ url: "https://example.com/keyed", secret: "not-the-first-secret", idempotencyKey: key }),
        )
        expect(otherSecret).toMatchObject({ _tag: "WebhookIdempotencyConflict" })
        const otherKey = await webhooks((w) =>
          w.create({ url: "https://example.com/keyed", idempotencyKey: `${key}-2` as never }),
        )
        expect(otherKey.id).not.toBe(created.id)
        await webhooks((w) => w.remove(otherKey.id))
      } finally {
        await webhooks((w) => w.remove(created.id))
      }
    })

    test.each([
      ["a relative URL", { url: "/hook" }],
      ["an ftp URL", { url: "ftp://example.com/hook" }],
      ["a URL with credentials", { url: "https://user:pass@example.com/hook" }],
      ["a short secret", { url: "https://example.com/hook", secret: "short" }],
      ["a secret with spaces", { url: "https://example.com/hook", secret: "a secret with spaces" }],
    ])("%s is refused", async (_, request) => {
      expect((await refused((w) => w.create(request)))._tag).toBe("InvalidRequest")
    })

    test("removing or reading the deliveries of an endpoint that does not exist says so", async () => {
      const missing = `we_${"0".repeat(32)}`
      expect(await refused((w) => w.remove(missing))).toMatchObject({ _tag: "WebhookEndpointNotFound" })
      expect(await refused((w) => w.deliveries({ endpointId: missing }))).toMatchObject({
        _tag: "WebhookEndpointNotFound",
      })
      expect((await refused((w) => w.remove("not-an-id")))._tag).toBe("InvalidRequest")
    })

    test("an endpoint gets the events that follow its creation, each queued once", async () => {
      await append(2)
      await withEndpoint(async (endpointId) => {
        const later = await append(3)
        await store((s) => s.enqueue(t0, 100))
        await store((s) => s.enqueue(t0, 100))
        const claims = await claimed(endpointId, t0)
        expect(claims.map((c) => c.event)).toEqual(later)
        expect(claims.every((c) => c.attempt === 1 && c.queuedAtMs === t0)).toBe(true)
      })
    })

    test("dispatchers claiming at once never get the same delivery; a claim holds until its lease ends", async () => {
      await withEndpoint(async (endpointId) => {
        const deliveries = 60
        await append(deliveries)
        await store((s) => s.enqueue(t0, 100))
        const claims = await run(
          Effect.all(
            Array.from({ length: 12 }, () => WebhookStore.use((s) => s.claim(t0, 60_000, 5))),
            { concurrency: "unbounded" },
          ),
        )
        const ids = claims
          .flat()
          .filter((c) => c.endpointId === endpointId)
          .map((c) => c.event.id)
        expect(ids.length).toBe(new Set(ids).size)
        const rest = await claimed(endpointId, t0)
        expect(ids.length + rest.length).toBe(deliveries)
        expect(await claimed(endpointId, t0 + 59_999)).toEqual([])
        const again = await claimed(endpointId, t0 + 60_000)
        expect(again).toHaveLength(deliveries)
        expect(again.every((c) => c.attempt === 2)).toBe(true)
      })
    })

    test("a delivered event is done; a retried one is due at its moment; a given-up one is failed", async () => {
      await withEndpoint(async (endpointId) => {
        await append(3)
        await store((s) => s.enqueue(t0, 100))
        const [delivered, retried, givenUp] = await claimed(endpointId, t0)
        await store((s) => s.record(result(delivered!, { _tag: "Delivered" }, t0 + 5)))
        await store((s) => s.record(result(retried!, { _tag: "Retry", atMs: t0 + 5_000 }, t0 + 5)))
        await store((s) => s.record(result(givenUp!, { _tag: "GiveUp" }, t0 + 5)))
        expect(await claimed(endpointId, t0 + 4_999)).toEqual([])
        const next = await claimed(endpointId, t0 + 5_000)
        expect(next.map((c) => [c.event.id, c.attempt])).toEqual([[retried!.event.id, 2]])
        const deliveries = await webhooks((w) => w.deliveries({ endpointId }))
        expect(deliveries.map((d) => [d.eventId, d.status])).toEqual([
          [givenUp!.event.id, "failed"],
          [retried!.event.id, "pending"],
          [delivered!.event.id, "delivered"],
        ])
        expect(deliveries[2]!.attempts).toEqual([
          { attempt: 1, attemptedAt: new Date(t0 + 5).toISOString(), durationMs: 12, statusCode: 200, error: null },
        ])
        expect(deliveries[2]!.nextAttemptAt).toBeNull()
        expect((await webhooks((w) => w.deliveries({ endpointId, limit: 1 }))).map((d) => d.eventId)).toEqual([
          givenUp!.event.id,
        ])
      })
    })

    test("a late answer to a claim that lapsed is logged, but does not override the newer claim", async () => {
      await withEndpoint(async (endpointId) => {
        await append(1)
        await store((s) => s.enqueue(t0, 100))
        const [first] = await claimed(endpointId, t0, 1_000)
        const [second] = await claimed(endpointId, t0 + 1_000, 1_000)
        await store((s) => s.record(result(first!, { _tag: "GiveUp" }, t0 + 1_500)))
        const [delivery] = await webhooks((w) => w.deliveries({ endpointId }))
        expect(delivery).toMatchObject({ status: "pending", attempts: [{ attempt: 1 }] })
        await store((s) => s.record(result(second!, { _tag: "Delivered" }, t0 + 1_600)))
        const [done] = await webhooks((w) => w.deliveries({ endpointId }))
        expect(done).toMatchObject({ status: "delivered", attempts: [{ attempt: 1 }, { attempt: 2 }] })
      })
    })

    test("a claim with a share per endpoint takes at most the share of an endpoint, counting what the claimer holds", async () => {
      await withEndpoint(async (backlogged) => {
        await append(6)
        await store((s) => s.enqueue(t0, 100))
        await withEndpoint(async (other) => {
          await append(2)
          await store((s) => s.enqueue(t0 + 1, 100))
          const mine = (claims: ReadonlyArray<ClaimedDelivery>) =>
            claims.filter((c) => c.endpointId === backlogged || c.endpointId === other)
          const share = (max: number, inFlight: Record<string, number>) => ({
            max,
            inFlight: new Map(Object.entries(inFlight)),
          })
          // The backlogged endpoint's six deliveries are due first; the claim still reaches the other's.
          const first = mine(await store((s) => s.claim(t0 + 1, 60_000, 3, share(2, {}))))
          expect(first.map((c) => c.endpointId)).toEqual([backlogged, backlogged, other])
          const second = mine(
            await store((s) => s.claim(t0 + 1, 60_000, 100, share(3, { [backlogged]: 2, [other]: 3 }))),
          )
          expect(second.map((c) => c.endpointId)).toEqual([backlogged])
          const third = mine(
            await store((s) => s.claim(t0 + 1, 60_000, 100, share(3, { [backlogged]: 3, [other]: 1 }))),
          )
          expect(third.map((c) => c.endpointId)).toEqual([other])
          const claimedIds = [...first, ...second, ...third].map((c) => `${c.endpointId}/${c.event.id}`)
          expect(new Set(claimedIds).size).toBe(5)
          // Without a share, the rest: the backlogged endpoint's five others (two queued with the other's), earliest first.
          const rest = mine(await store((s) => s.claim(t0 + 1, 60_000, 100)))
          expect(rest.map((c) => c.endpointId)).toEqual([backlogged, backlogged, backlogged, backlogged, backlogged])
          expect(rest.map((c) => c.event.id)).toEqual([...rest.map((c) => c.event.id)].sort((a, b) => a - b))
        })
      })
    })
  })
