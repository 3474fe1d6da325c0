/** Seconds left, from the time taken so far and the fraction of the work done; null until there is a rate. */
export function etaSeconds(elapsedSeconds: number, done: number, total: number): number | null {
  if (done <= 0 || total <= 0 || elapsedSeconds <= 0) return null;
  return Math.max(0, (elapsedSeconds / done) * (total - done));
}

/** "42 s", "3 min 05 s", "1 h 02 min". */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}
