import { MemoryLedgerStore } from "@tally/adapters"
import { ledgerContract } from "@tally/domain/testing"
import { createDatabase, pgStore } from "./support/TestDatabase.ts"

ledgerContract("the in-memory store", MemoryLedgerStore.layer)
ledgerContract("PostgreSQL at READ COMMITTED", pgStore(await createDatabase("read committed")))
ledgerContract("PostgreSQL at SERIALIZABLE", pgStore(await createDatabase("serializable")))
ledgerContract(
  "PostgreSQL with locked transactions only",
  pgStore(await createDatabase("read committed"), 8, { soloWrites: false }),
)
