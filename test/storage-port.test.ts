import { MemoryLedgerStore } from "@tally/adapters"
import { Ledger, LedgerStore, StoragePortMismatch, storagePortChanges, storagePortVersion } from "@tally/domain"
import { Effect, Layer } from "effect"
import { describe, expect, test } from "vitest"

/** The memory store as an outside adapter would present itself, declaring `declared` (or nothing). */
const adapter = (declared: unknown) =>
  Layer.effect(
    LedgerStore,
    Effect.map(MemoryLedgerStore.make, ({ portVersion: _, ...store }) =>
      LedgerStore.of((declared === undefined ? store : { ...store, portVersion: declared }) as LedgerStore["Service"]),
    ),
  )

const build = (declared: unknown) =>
  Effect.runPromise(
    Ledger.use((ledger) => ledger.balance("alice")).pipe(
      Effect.provide(Ledger.layer.pipe(Layer.provide(adapter(declared)))),
      Effect.flip,
    ),
  )

describe("the storage port's version", () => {
  test("the versions count up to the current one, each with what changed", () => {
    expect(storagePortChanges.map(({ version }) => version)).toEqual(
      Array.from({ length: storagePortVersion }, (_, i) => i + 1),
    )
  })

  test("an adapter written for an older port is refused at construction, with what changed since", async () => {
    const error = await build(storagePortVersion - 2)
    expect(error).toBeInstanceOf(StoragePortMismatch)
    expect(error).toMatchObject({ adapterVersion: storagePortVersion - 2, portVersion: storagePortVersion })
    expect((error as StoragePortMismatch).changes).toEqual(
      storagePortChanges.slice(-2).map(({ version, change }) => `${version}: ${change}`),
    )
    expect(error.message).toContain(`declares portVersion ${storagePortVersion - 2}`)
    expect(error.message).toContain(`needs storage port ${storagePortVersion}`)
    expect(error.message).toContain(`${storagePortVersion - 1}: ${storagePortChanges.at(-2)!.change}`)
  })

  test("an adapter that declares no version is refused, with every change since the first port", async () => {
    const error = await build(undefined)
    expect(error).toMatchObject({ _tag: "StoragePortMismatch", adapterVersion: null })
    expect(error.message).toContain("declares no portVersion")
    for (const { version } of storagePortChanges.slice(1)) expect(error.message).toContain(`${version}: `)
  })

  test("an adapter written for a newer port asks for a newer @tally/domain", async () => {
    const error = await build(storagePortVersion + 1)
    expect(error.message).toContain("upgrade @tally/domain")
  })

  test("an adapter that declares its version as text is told to declare a number, not that it is behind", async () => {
    const error = await build(String(storagePortVersion))
    expect(error).toMatchObject({ _tag: "StoragePortMismatch", adapterVersion: String(storagePortVersion) })
    expect(error.message).toBe(
      `The storage adapter declares portVersion "${storagePortVersion}", which is not a number: declare the port it was written for as a number, portVersion: ${storagePortVersion} for this one`,
    )
  })

  test("an adapter at the port's version serves", async () => {
    const balance = await Effect.runPromise(
      Ledger.use((ledger) => ledger.balance("alice")).pipe(
        Effect.provide(Ledger.layer.pipe(Layer.provide(adapter(storagePortVersion)))),
      ),
    )
    expect(balance).toBe(0)
  })
})
