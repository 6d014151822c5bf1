import { Controller, Get } from '@nestjs/common';
import { buildOpenApiDocument } from './openapi';

@Controller('docs')
export class DocsController {
  private readonly document = buildOpenApiDocument();

  @Get()
  openApi() {
    return this.document;
  }
}
