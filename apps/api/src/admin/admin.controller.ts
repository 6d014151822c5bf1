import { Controller, Get, Req, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
import { AdminService } from './admin.service';

@Controller('admin')
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  /** 200 with the admin token, 401 without: lets a client check a pasted token. */
  @Get('me')
  me(@Req() req: Request): { admin: true } {
    if (!this.admin.isAdmin(req.headers)) throw new UnauthorizedException('not the admin token');
    return { admin: true };
  }
}
