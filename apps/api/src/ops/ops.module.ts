import { Global, Module } from '@nestjs/common';
import { Metrics } from './metrics';
import { MetricsController } from './metrics.controller';
import { Refusals } from './refusals';
import { ShutdownService } from './shutdown.service';

@Global()
@Module({ controllers: [MetricsController], providers: [Metrics, Refusals, ShutdownService], exports: [Metrics, Refusals, ShutdownService] })
export class OpsModule {}
