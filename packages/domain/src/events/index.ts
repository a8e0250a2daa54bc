export * as AccountEvents from "./AccountEvents.ts"
export * from "./EventFeed.ts"
export type { EventOperations } from "./EventOperations.ts"
export * from "./LedgerEvent.ts"
