/** Polling for a condition that something in the background will make true. */

/**
 * Polls `cond` every 10 ms until it returns true. Throws `timed out after <ms> ms waiting for
 * <what>` once `timeoutMs` have passed without it (a caller that can live with the condition
 * never holding catches that, visibly).
 */
export async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
