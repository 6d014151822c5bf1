/**
 * Clock losses the follower did not cause, found in an element clock recording
 * (element-clock.ts) so that a bound on the follower's error judges the follower, not the machine
 * (engines.e2e.spec.ts).
 */
import type { ElementClockRow } from './element-clock';

/**
 * A loss the follower did not cause (Chromium under CI load: the element's clock lost 35-43 ms
 * at once, 1.7-6.7 s after the follower's last write, and steering at ±5 % took ~0.8 s to win it
 * back, which sets a 50-sample p95 by itself): the clock falls at least EXTERNAL_LOSS_MS behind
 * between two samples and stays there, from within EXTERNAL_SETTLED_MS of the group, with no
 * rate write of the follower in the EXTERNAL_QUIET_MS before. Its samples until the clock is
 * back within EXTERNAL_SETTLED_MS are left out of the bound; the recovery itself is bounded
 * (EXTERNAL_RECOVERY_MAX_MS) and so is the share of a window left out (EXTERNAL_MAX_SHARE).
 * Losses after our own writes (WebKit's stalls) are never left out. "Stays there" includes the
 * follower resyncing at once: a seek-only player (WebKit) lost ~50 ms by itself in 2 windows of
 * 48 here (no write for seconds) and the next sample was its resync's seek, held paused up to
 * ~340 ms ahead until the group reached it (a jump ahead of at least EXTERNAL_LOSS_MS to beyond
 * EXTERNAL_SETTLED_MS, which no clock makes in 100 ms by itself).
 */
export const EXTERNAL_LOSS_MS = 15;
export const EXTERNAL_SETTLED_MS = 5;
export const EXTERNAL_QUIET_MS = 1000;
export const EXTERNAL_RECOVERY_MAX_MS = 1500;
export const EXTERNAL_MAX_SHARE = 0.25;

export interface ExternalLoss {
  /** ms after the command. */
  atMs: number;
  lostMs: number;
  /** ms from the loss until back within EXTERNAL_SETTLED_MS; null when the recording ended first. */
  recoveryMs: number | null;
  /** Samples of the window left out of the bound. */
  leftOut: number;
}

/** Losses the follower did not cause in a recording from the command on (see EXTERNAL_LOSS_MS). */
export function externalLosses(rows: ElementClockRow[], inWindow: (r: ElementClockRow) => boolean): { losses: ExternalLoss[]; leftOut: Set<number> } {
  const losses: ExternalLoss[] = [];
  const leftOut = new Set<number>();
  const v = (r: ElementClockRow | undefined) => (r && r[1] === 1 && r[6] !== null ? r[6] : null);
  for (let i = 1; i + 1 < rows.length; i++) {
    const before = v(rows[i - 1]);
    const at = v(rows[i]);
    const next = v(rows[i + 1]);
    if (before === null || at === null || next === null) continue;
    const stays = next - before <= -EXTERNAL_LOSS_MS / 2;
    const resynced = next - at >= EXTERNAL_LOSS_MS && next > EXTERNAL_SETTLED_MS;
    if (Math.abs(before) > EXTERNAL_SETTLED_MS || at - before > -EXTERNAL_LOSS_MS || !(stays || resynced)) continue;
    const quietSince = rows.findIndex((r) => r[0] >= rows[i - 1][0] - EXTERNAL_QUIET_MS);
    if (quietSince < 0 || rows[i - 1][0] - rows[quietSince][0] < EXTERNAL_QUIET_MS - 150) continue;
    if (rows[i][4] !== rows[quietSince][4]) continue;
    let j = i;
    while (j < rows.length && !(Math.abs(v(rows[j]) ?? Number.POSITIVE_INFINITY) <= EXTERNAL_SETTLED_MS)) j++;
    let n = 0;
    for (let k = i; k < j; k++) {
      if (inWindow(rows[k])) {
        leftOut.add(k);
        n++;
      }
    }
    losses.push({ atMs: rows[i][0], lostMs: before - at, recoveryMs: j < rows.length ? rows[j][0] - rows[i][0] : null, leftOut: n });
    i = j;
  }
  return { losses, leftOut };
}
