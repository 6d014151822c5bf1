import { Body, Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import {
  type CreateSessionBody,
  createSessionBodySchema,
  type JoinSessionBody,
  joinSessionBodySchema,
} from '@watch-party/contracts';
import type { Request } from 'express';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { SessionService } from './session.service';

@Controller('sessions')
export class SessionController {
  constructor(private readonly sessions: SessionService) {}

  @Post()
  @HttpCode(201)
  create(
    @Body(new ZodValidationPipe(createSessionBodySchema)) body: CreateSessionBody,
    @Req() req: Request,
  ) {
    return this.sessions.create(body, req.ip ?? 'unknown');
  }

  @Get(':id')
  get(@Param('id') id: string) {
    return this.sessions.info(id);
  }

  @Post(':id/participants')
  @HttpCode(201)
  join(
    @Param('id') id: string,
    @Body(new ZodValidationPipe(joinSessionBodySchema)) body: JoinSessionBody,
    @Req() req: Request,
  ) {
    return this.sessions.join(id, body, req.ip ?? 'unknown');
  }
}
