import { Global, Module } from '@nestjs/common';
import { Metrics } from './metrics';
import { MetricsController } from './metrics.controller';
import { ShutdownService } from './shutdown.service';

@Global()
@Module({ controllers: [MetricsController], providers: [Metrics, ShutdownService], exports: [Metrics, ShutdownService] })
export class OpsModule {}
