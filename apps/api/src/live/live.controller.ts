import { Body, Controller, Get, HttpCode, NotFoundException, Param, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import {
  type CreatedLiveShow,
  type CreateLiveBody,
  createLiveBodySchema,
  type EndLiveBody,
  endLiveBodySchema,
  type LiveShow,
} from '@watch-party/contracts';
import type { Request, Response } from 'express';
import { AdminService } from '../admin/admin.service';
import { IMMUTABLE, serveFile } from '../common/serve-file';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { correctPlaylist } from './live-packager';
import { LiveShows } from './live-shows.service';
import { LiveStorage, PLAYLIST_NAME } from './live-storage';
import { LiveThumbnails } from './live-thumbnails';
import { LiveViewers } from './live-viewers';

@Controller('live')
export class LiveController {
  constructor(
    private readonly shows: LiveShows,
    private readonly viewers: LiveViewers,
    private readonly thumbnails: LiveThumbnails,
    private readonly storage: LiveStorage,
    private readonly admin: AdminService,
  ) {}

  @Post()
  @HttpCode(201)
  create(@Body(new ZodValidationPipe(createLiveBodySchema)) body: CreateLiveBody, @Req() req: Request): Promise<CreatedLiveShow> {
    this.admin.requirePublisher(req.headers, 'creating a live show');
    return this.shows.create(body, req.ip ?? 'unknown', req.hostname || '127.0.0.1');
  }

  @Get()
  list(): Promise<LiveShow[]> {
    return this.shows.list();
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<LiveShow> {
    return this.shows.get(id);
  }

  @Post(':id/end')
  @HttpCode(200)
  async end(@Param('id') id: string, @Body(new ZodValidationPipe(endLiveBodySchema)) body: EndLiveBody, @Req() req: Request): Promise<LiveShow> {
    if (this.admin.isAdmin(req.headers)) return this.shows.endByAdmin(id);
    if (body.streamKey === undefined) throw new UnauthorizedException('send the show\'s streamKey, or the admin token');
    return this.shows.endByCreator(id, body.streamKey);
  }

  /**
   * The live window, 404 unless on air or just ended (then it ends with EXT-X-ENDLIST, for
   * LIVE_ENDED_LINGER_MS); PROGRAM-DATE-TIME set to when frames were captured.
   */
  @Get(':id/hls/index.m3u8')
  async playlist(@Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    const show = await this.shows.require(id);
    // The creator's own preview (`?preview=1`) is not an audience member.
    if (show.status === 'live' && req.query['preview'] !== '1') {
      void this.viewers.sawHlsViewer(id, req.ip ?? '', String(req.headers['user-agent'] ?? '')).catch(() => undefined);
    }
    if (show.status === 'scheduled') throw new NotFoundException('this show is not live');
    const text = await this.storage.readPlaylist(id);
    if (text === null && show.status === 'ended') throw new NotFoundException('this show has ended');
    if (text === null || !text.includes('#EXTINF')) throw new NotFoundException('the stream is starting; try again in a moment');
    res.setHeader('Content-Type', 'application/vnd.apple.mpegurl');
    res.setHeader('Cache-Control', 'no-cache');
    res.send(correctPlaylist(text, show.pdt));
  }

  /** The show's card picture while live (a frame of its newest segment, at most 10 s old). */
  @Get(':id/thumbnail.jpg')
  async thumbnail(@Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    const path = await this.thumbnails.thumbnail(id);
    if (!path) throw new NotFoundException('no picture: the show is not live, or has no video');
    res.setHeader('Content-Type', 'image/jpeg');
    serveFile(req, res, path, 'public, max-age=10');
  }

  /** Segments: whitelisted names only, immutable once written. */
  @Get(':id/hls/:file')
  async segment(@Param('id') id: string, @Param('file') file: string, @Req() req: Request, @Res() res: Response) {
    const path = file === PLAYLIST_NAME ? null : this.storage.hlsPath(id, file);
    if (!path) throw new NotFoundException('no such file');
    await this.shows.require(id);
    res.setHeader('Content-Type', 'video/mp2t');
    serveFile(req, res, path, IMMUTABLE);
  }
}
