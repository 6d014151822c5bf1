import { Global, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Clock, SystemClock } from './clock';
import { JsonErrorFilter } from './http-errors';

/** The base floor every module may use: the clock and the JSON error filter. */
@Global()
@Module({
  providers: [
    { provide: Clock, useClass: SystemClock },
    { provide: APP_FILTER, useClass: JsonErrorFilter },
  ],
  exports: [Clock],
})
export class CommonModule {}
