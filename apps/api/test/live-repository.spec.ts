import { SystemClock } from '../src/common/clock';
import { MemoryLiveRepository } from '../src/live/live.repository';
import { RedisLiveRepository } from '../src/live/live.repository.redis';
import { SqliteLiveRepository } from '../src/live/live.repository.sqlite';
import { liveRepositoryContract } from './live-repository.contract';
import { onEveryStorage } from './repository-matrix';

onEveryStorage(liveRepositoryContract, {
  memory: () => new MemoryLiveRepository(new SystemClock()),
  redis: (client) => new RedisLiveRepository(client),
  sqlite: (store) => new SqliteLiveRepository(store, new SystemClock()),
});
