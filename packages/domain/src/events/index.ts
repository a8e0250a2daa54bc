export * as AccountEvents from "./AccountEvents.ts"
export * from "./EventFeed.ts"
export * from "./LedgerEvent.ts"
