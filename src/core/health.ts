/** Health of a store or of the whole engine. */
export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy' | 'unknown' | 'disabled'

/** A structured health report. */
export interface HealthReport {
  readonly status: HealthStatus
  /** Why the status is not healthy. */
  readonly message?: string | undefined
  /** When the check ran (ms since the Unix epoch); always set. */
  readonly checkedAt: number
  /** How long the check took. */
  readonly latencyMs: number
}

/**
 * Runs a probe and turns its outcome into a report: success is healthy, an abort (or an
 * already aborted signal) is unknown, anything else is unhealthy with the error's message.
 */
export async function probeHealth(
  probe: () => Promise<void>,
  signal?: AbortSignal,
): Promise<HealthReport> {
  const started = performance.now()
  const report = (status: HealthStatus, message?: string): HealthReport => ({
    status,
    ...(message === undefined ? {} : { message }),
    checkedAt: Date.now(),
    latencyMs: performance.now() - started,
  })
  if (signal?.aborted) return report('unknown', String(signal.reason?.message ?? signal.reason))
  try {
    await probe()
    return report('healthy')
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    if (signal?.aborted || (err instanceof Error && err.name === 'AbortError')) {
      return report('unknown', message)
    }
    return report('unhealthy', message)
  }
}
