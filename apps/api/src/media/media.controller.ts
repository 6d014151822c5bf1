import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Patch, Post, Req, Res } from '@nestjs/common';
import { type Media, type RenameMediaBody, renameMediaBodySchema, type SubtitleTrack, type UploadedMedia } from '@watch-party/contracts';
import type { Request, Response } from 'express';
import { IMMUTABLE } from '../common/serve-file';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { MediaFileSender, ORIGINAL_CACHE_CONTROL } from './media-files';
import { sendOriginal } from './media-file.middleware';
import { HLS_CONTENT_TYPES, MediaStorage } from './media-storage';
import { MediaService } from './media.service';

/**
 * File routes check the item (and the file name) here, then hand the file to MediaFileSender:
 * streamed by the API alone, or by nginx (X-Accel-Redirect) when MEDIA_ACCEL_REDIRECT is set.
 */
@Controller('media')
export class MediaController {
  constructor(
    private readonly media: MediaService,
    private readonly storage: MediaStorage,
    private readonly files: MediaFileSender,
  ) {}

  /** 201 with the item's owner key, shown this once. */
  @Post()
  @HttpCode(201)
  upload(@Req() req: Request): Promise<UploadedMedia> {
    return this.media.upload(req);
  }

  @Get()
  list(): Promise<Media[]> {
    return this.media.list();
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<Media> {
    return this.media.get(id);
  }

  /** Owner key or admin token (`Authorization: Bearer`). */
  @Patch(':id')
  rename(@Param('id') id: string, @Body(new ZodValidationPipe(renameMediaBodySchema)) body: RenameMediaBody, @Req() req: Request): Promise<Media> {
    return this.media.rename(id, body.title, req.headers);
  }

  /** Owner key or admin token (`Authorization: Bearer`); the files go with it. */
  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string, @Req() req: Request): Promise<void> {
    await this.media.delete(id, req.headers);
  }

  /** Multipart `file` (.srt or .vtt) with `label` and `lang?`: 201 with the WebVTT track. */
  @Post(':id/subtitles')
  @HttpCode(201)
  addSubtitle(@Param('id') id: string, @Req() req: Request): Promise<SubtitleTrack> {
    return this.media.addSubtitle(id, req);
  }

  /** Owner key or admin token (`Authorization: Bearer`). */
  @Delete(':id/subtitles/:trackId')
  @HttpCode(204)
  async removeSubtitle(@Param('id') id: string, @Param('trackId') trackId: string, @Req() req: Request): Promise<void> {
    await this.media.deleteSubtitle(id, trackId, req.headers);
  }

  /** A track never changes once written (a new upload gets a new id): cached for good. */
  @Get(':id/subtitles/:trackId.vtt')
  async subtitle(@Param('id') id: string, @Param('trackId') trackId: string, @Req() req: Request, @Res() res: Response) {
    const path = await this.media.requireSubtitle(id, trackId);
    res.setHeader('Content-Type', 'text/vtt; charset=utf-8');
    this.files.send(req, res, path, IMMUTABLE);
  }

  /**
   * The original upload, with Range, If-Range, ETag, Last-Modified and 304 (by serveFile, or by
   * nginx). GET and HEAD are answered by MediaFileMiddleware before this route is looked up; it
   * stays for the route table and the API document.
   */
  @Get(':id/file')
  async file(@Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    await sendOriginal(this.media, this.storage, this.files, id, req, res);
  }

  @Get(':id/poster.jpg')
  async poster(@Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    const r = await this.media.require(id);
    if (!r.hasPoster) throw new NotFoundException('no poster yet');
    this.files.send(req, res, this.storage.posterPath(id), ORIGINAL_CACHE_CONTROL);
  }

  /** 404 until at least one rendition has a segment. */
  @Get(':id/hls/master.m3u8')
  async master(@Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    const r = await this.media.require(id);
    if (!r.hlsPlayable) throw new NotFoundException('not playable yet: transcoding has just started');
    this.hls(req, res, id, 'master.m3u8');
  }

  @Get(':id/hls/:variant/:file')
  async variant(
    @Param('id') id: string,
    @Param('variant') variant: string,
    @Param('file') file: string,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    await this.media.require(id);
    this.hls(req, res, id, `${variant}/${file}`);
  }

  private hls(req: Request, res: Response, id: string, name: string) {
    const path = this.storage.hlsPath(id, name);
    if (!path) throw new NotFoundException('no such file');
    const ext = name.slice(name.lastIndexOf('.') + 1);
    res.setHeader('Content-Type', HLS_CONTENT_TYPES[ext] ?? 'application/octet-stream');
    // Playlists change while encoding (EVENT); segments never change once written.
    this.files.send(req, res, path, ext === 'm3u8' ? 'no-cache' : IMMUTABLE);
  }
}
