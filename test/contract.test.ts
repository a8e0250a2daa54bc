import { MemoryLedgerStore } from "@tally/adapters"
import { LedgerStore, scanningQueries } from "@tally/domain"
import { eventFeedContract, ledgerContract, webhookStoreContract } from "@tally/domain/testing"
import { Effect, Layer } from "effect"
import {
  memoryWebhooksWithAppender,
  memoryWithAppender,
  pgWebhooksWithAppender,
  pgWithAppender,
} from "./support/EventAppenders.ts"
import { createDatabase, pgStore } from "./support/TestDatabase.ts"

ledgerContract("the in-memory store", MemoryLedgerStore.layer)
// The read side an adapter without indexes can take from `scanningQueries`, over the memory store's writes.
ledgerContract(
  "the in-memory store read by scanning",
  Layer.effect(
    LedgerStore,
    Effect.map(MemoryLedgerStore.make, (store) => LedgerStore.of({ ...store, ...scanningQueries(store.histories) })),
  ),
)
ledgerContract("PostgreSQL at READ COMMITTED", pgStore(await createDatabase("read committed")))
ledgerContract("PostgreSQL at SERIALIZABLE", pgStore(await createDatabase("serializable")))
ledgerContract(
  "PostgreSQL with locked transactions only",
  pgStore(await createDatabase("read committed"), 8, { soloWrites: false }),
)

eventFeedContract("the in-memory store", memoryWithAppender)
eventFeedContract("PostgreSQL at READ COMMITTED", pgWithAppender(await createDatabase("read committed")))
eventFeedContract("PostgreSQL at SERIALIZABLE", pgWithAppender(await createDatabase("serializable")))

webhookStoreContract("the in-memory store", memoryWebhooksWithAppender)
webhookStoreContract("PostgreSQL at READ COMMITTED", pgWebhooksWithAppender(await createDatabase("read committed")))
webhookStoreContract("PostgreSQL at SERIALIZABLE", pgWebhooksWithAppender(await createDatabase("serializable")))
