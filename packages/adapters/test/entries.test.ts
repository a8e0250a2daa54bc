import * as Adapters from "@tally/adapters"
import * as EmbeddedPostgresEntry from "@tally/adapters/embedded-postgres"
import * as MemoryEntry from "@tally/adapters/memory"
import * as PostgresEntry from "@tally/adapters/postgres"
import { describe, expect, it } from "vitest"

describe("the package's entries", () => {
  it("memory, postgres and embedded-postgres together export what the index does, each module once, as the same modules", () => {
    const fromEntries = [MemoryEntry, PostgresEntry, EmbeddedPostgresEntry].flatMap((entry) => Object.entries(entry))
    const fromIndex = new Map(Object.entries(Adapters))

    expect(fromEntries.map(([name]) => name).sort()).toEqual([...fromIndex.keys()].sort())
    for (const [name, module] of fromEntries) expect(module, name).toBe(fromIndex.get(name))
  })
})
