export * from "./Refill.ts"
export * from "./RefillPeriod.ts"
export * from "./RefillSettings.ts"
