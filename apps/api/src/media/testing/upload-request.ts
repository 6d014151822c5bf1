import type { IncomingHttpHeaders } from 'node:http';
import { PassThrough } from 'node:stream';
import type { UploadRequest } from '../upload';

/** An HTTP request body for unit tests: the bytes of a multipart form, as a stream. */
class FakeUploadRequest extends PassThrough {
  complete = false;
  constructor(
    readonly headers: IncomingHttpHeaders,
    readonly ip: string,
  ) {
    super();
    this.once('end', () => (this.complete = true));
  }
}

/**
 * A multipart request carrying `form`, encoded the way fetch sends it, from `ip`, with
 * `headers` besides its Content-Type and Content-Length.
 */
export async function multipartRequest(form: FormData, headers: IncomingHttpHeaders = {}, ip = '203.0.113.7'): Promise<UploadRequest> {
  const encoded = new Response(form);
  const body = Buffer.from(await encoded.arrayBuffer());
  const req = new FakeUploadRequest(
    { ...headers, 'content-type': encoded.headers.get('content-type') ?? '', 'content-length': String(body.length) },
    ip,
  );
  req.end(body);
  return req;
}
