/**
 * Every page a listing's cursor leads to, from the first. A store that does not read past its cursor
 * would answer the same page forever, and a store that never waits on I/O never lets a test's timeout
 * fire: past `pagesMax` pages (more than the rows written can fill) the suite fails, naming the listing.
 */
export const readPages = async <Page extends { readonly nextCursor: string | null }>(
  listing: string,
  pagesMax: number,
  read: (cursor: string | undefined) => Promise<Page>,
): Promise<ReadonlyArray<Page>> => {
  const pages: Array<Page> = []
  let cursor: string | undefined
  do {
    if (pages.length === pagesMax) {
      throw new Error(
        `${listing}: still a next cursor after ${pagesMax} pages, more than its rows fill: the store does not read past its cursor`,
      )
    }
    const page = await read(cursor)
    pages.push(page)
    cursor = page.nextCursor ?? undefined
  } while (cursor !== undefined)
  return pages
}
