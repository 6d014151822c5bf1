import { MemoryMediaRepository } from '../src/media/media.repository';
import { RedisMediaRepository } from '../src/media/media.repository.redis';
import { SqliteMediaRepository } from '../src/media/media.repository.sqlite';
import { mediaRepositoryContract } from './media-repository.contract';
import { onEveryStorage } from './repository-matrix';

onEveryStorage(mediaRepositoryContract, {
  memory: () => new MemoryMediaRepository(),
  redis: (client) => new RedisMediaRepository(client),
  sqlite: (store) => new SqliteMediaRepository(store),
});
