import type { Clock } from '../../common/clock';
import type { AppConfig } from '../../config/app-config';
import type { MediaImporter } from '../../media/media-importer';
import { Metrics } from '../../ops/metrics';
import { Refusals } from '../../ops/refusals';
import { LiveHealth } from '../live-health';
import { LiveIngest } from '../live-ingest.service';
import { LiveLifecycle } from '../live-lifecycle';
import type { LiveParties } from '../live-parties';
import { LiveRecorder } from '../live-recorder';
import { LiveRtmp } from '../live-rtmp';
import { LiveShows } from '../live-shows.service';
import { LiveSweeper } from '../live-sweeper';
import { LiveThumbnails } from '../live-thumbnails';
import { LiveViewers } from '../live-viewers';
import type { LiveRepository } from '../live.repository';
import { FakeLiveEncoder } from './fake-live-encoder';
import type { MemoryLiveStorage } from './memory-live-storage';

/** What replicas share: the store, the show folders, the parties and the library. */
export interface LiveShared {
  repo: LiveRepository;
  storage: MemoryLiveStorage;
  parties: LiveParties;
  library: MediaImporter;
  config: AppConfig;
}

/** One API process's live parts, wired as LiveModule wires them (without Nest, RTMP or the watch hub). */
export interface LiveParts {
  shows: LiveShows;
  ingest: LiveIngest;
  recorder: LiveRecorder;
  sweeper: LiveSweeper;
  health: LiveHealth;
  thumbnails: LiveThumbnails;
  viewers: LiveViewers;
  lifecycle: LiveLifecycle;
  encoder: FakeLiveEncoder;
  metrics: Metrics;
}

export function liveParts(shared: LiveShared, clock: Clock): LiveParts {
  const { repo, storage, parties, library, config } = shared;
  const metrics = new Metrics();
  const refusals = new Refusals(metrics, clock);
  const encoder = new FakeLiveEncoder(storage);
  const ingest = new LiveIngest(repo, storage, library, encoder, clock, refusals, config);
  const thumbnails = new LiveThumbnails(repo, storage, encoder, clock);
  const recorder = new LiveRecorder(repo, storage, ingest, encoder, library, thumbnails, clock, config);
  const rtmp = new LiveRtmp(ingest, refusals, config);
  const viewers = new LiveViewers(repo, parties, clock);
  const health = new LiveHealth(storage, clock);
  const shows = new LiveShows(repo, parties, ingest, recorder, rtmp, viewers, health, clock);
  const sweeper = new LiveSweeper(repo, ingest, shows, clock, config);
  const lifecycle = new LiveLifecycle(sweeper, rtmp, ingest, recorder);
  return { shows, ingest, recorder, sweeper, health, thumbnails, viewers, lifecycle, encoder, metrics };
}
