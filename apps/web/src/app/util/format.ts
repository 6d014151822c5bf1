/** "m:ss", or "h:mm:ss" from an hour on; "0:00" for anything not a finite, positive number. */
export function formatTime(seconds: number): string {
  const total = Number.isFinite(seconds) && seconds > 0 ? Math.floor(seconds) : 0;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Drift as people read it: "+3 ms", "−12 ms", "0 ms"; over a second in seconds. */
export function formatDrift(ms: number): string {
  const rounded = Math.round(ms);
  if (Math.abs(ms) >= 1000) {
    const s = (Math.abs(ms) / 1000).toFixed(1);
    return `${ms > 0 ? '+' : '−'}${s} s`;
  }
  if (rounded === 0) return '0 ms';
  return `${rounded > 0 ? '+' : '−'}${Math.abs(rounded)} ms`;
}

/** Local wall-clock "HH:MM" (24 h) of an epoch-ms timestamp. */
export function formatClock(epochMs: number): string {
  const d = new Date(epochMs);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** A live show's audience: "1 watching", "12 watching". */
export function viewersText(count: number): string {
  return `${count} watching`;
}

/** "1×", "1.5×", "0.75×". */
export function formatRate(rate: number): string {
  return `${Number(rate.toFixed(2))}×`;
}

const UNITS = ['bytes', 'KB', 'MB', 'GB', 'TB'];

/** "812 bytes", "1.43 MB", "12.3 MB", "4 GB" (powers of 1024, at most 3 significant digits). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} ${value === 1 ? 'byte' : 'bytes'}`;
  const rounded = value >= 100 ? Math.round(value) : value >= 10 ? Math.round(value * 10) / 10 : Math.round(value * 100) / 100;
  return `${Number(rounded.toFixed(2))} ${UNITS[unit]}`;
}
