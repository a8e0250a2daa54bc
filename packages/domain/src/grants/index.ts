export * from "./DrawDown.ts"
export * from "./Expiry.ts"
export * from "./Grant.ts"
export * from "./GrantSettlement.ts"
