import { Ledger } from "@tally/domain/core"
import * as Layer from "effect/Layer"
import * as MemoryLedgerStore from "./MemoryLedgerStore.ts"

/**
 * The ledger on process memory, for tests and trials: nothing to set up, nothing kept after the
 * layer is released. Each build of the layer starts empty.
 */
// The store is this package's own, written for the port of the same release: it cannot mismatch.
export const layer: Layer.Layer<Ledger> = Ledger.layer.pipe(Layer.orDie, Layer.provide(MemoryLedgerStore.layer))
