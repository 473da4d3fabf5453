/**
 * The watchdog ping interval systemd asks for, as sd_watchdog_enabled(3) reads
 * it: WATCHDOG_USEC, for this process only when WATCHDOG_PID is unset or ours.
 * Pings go out at half the timeout, as sd_watchdog_enabled(3) recommends.
 */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid = process.pid): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!env.WATCHDOG_USEC || !Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== '' && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}
