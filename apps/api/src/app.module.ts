import { type DynamicModule, Module } from '@nestjs/common';
import { AdminModule } from './admin/admin.module';
import { CommonModule } from './common/common.module';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DocsModule } from './docs/docs.module';
import { HealthModule } from './health/health.module';
import { LimitsModule } from './limits/limits.module';
import { LiveModule } from './live/live.module';
import { MediaModule } from './media/media.module';
import { OpsModule } from './ops/ops.module';
import { RealtimeModule } from './realtime/realtime.module';
import { RedisModule } from './redis/redis.module';
import { SessionModule } from './session/session.module';
import { StoreModule } from './store/store.module';
import { SyncModule } from './sync/sync.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        CommonModule,
        OpsModule,
        RedisModule,
        StoreModule,
        LimitsModule,
        RealtimeModule,
        AdminModule,
        HealthModule,
        DocsModule,
        SessionModule,
        MediaModule,
        SyncModule,
        LiveModule,
      ],
    };
  }
}
