import { Limits } from "../Limits.ts"

/** How failed deliveries are retried: exponential backoff, capped, for a bounded period. */
export interface RetryPolicy {
  readonly firstDelayMs: number
  readonly delayMaxMs: number
  readonly periodMs: number
}

export const defaultRetryPolicy: RetryPolicy = {
  firstDelayMs: Limits.webhookRetryFirstDelayMs,
  delayMaxMs: Limits.webhookRetryDelayMaxMs,
  periodMs: Limits.webhookRetryPeriodMs,
}

/**
 * When to try again after `attemptsMade` failed attempts, the last one ending at `nowMs`, for a
 * delivery queued at `queuedAtMs`: after the first delay, doubling up to the cap; undefined once
 * that moment would fall past the retry period (the delivery is given up).
 */
export const nextAttemptAtMs = (
  policy: RetryPolicy,
  attemptsMade: number,
  queuedAtMs: number,
  nowMs: number,
): number | undefined => {
  const delayMs = Math.min(policy.firstDelayMs * 2 ** Math.min(attemptsMade - 1, 52), policy.delayMaxMs)
  const atMs = nowMs + delayMs
  return atMs - queuedAtMs > policy.periodMs ? undefined : atMs
}
