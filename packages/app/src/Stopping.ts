/**
 * Whether the process was asked to stop (`main.ts` marks it at the first signal). A long-poll of the
 * event feed answers at once when it is, as if its wait were over, rather than hold the graceful
 * shutdown for up to its whole wait and then be cut off with an empty 503.
 */

let markStopping: () => void = () => {}

export const stopping = new Promise<void>((resolve) => {
  markStopping = resolve
})

export const markAsStopping = () => markStopping()
