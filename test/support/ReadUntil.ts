/**
 * Reads until `enough` holds of what was read, or until `timeoutMs` has passed, and returns the last
 * read either way, for the test's own assertions to judge. For feeds that show an event only once every
 * older transaction on the server has ended (PgEvents), another test file's included.
 */
export const readUntil = async <A>(
  read: () => Promise<A>,
  enough: (value: A) => boolean,
  timeoutMs = 60_000,
): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  while (true) {
    const value = await read()
    if (enough(value) || Date.now() > deadline) return value
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
