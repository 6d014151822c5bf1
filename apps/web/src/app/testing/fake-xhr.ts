type Listener = (event: ProgressEvent) => void;

class Emitter {
  private readonly listeners = new Map<string, Listener[]>();

  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  dispatch(type: string, init: { loaded?: number; total?: number; lengthComputable?: boolean } = {}): void {
    const event = { type, loaded: 0, total: 0, lengthComputable: false, ...init } as unknown as ProgressEvent;
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
}

/** Just enough XMLHttpRequest for UploadService: upload progress, load/error/abort, status and body. */
export class FakeXhr extends Emitter {
  readonly upload = new Emitter();
  method = '';
  url = '';
  body: unknown = null;
  readonly headers: Record<string, string> = {};
  readyState = 0;
  status = 0;
  statusText = '';
  responseText = '';
  aborted = false;

  open(method: string, url: string): void {
    this.method = method;
    this.url = url;
    this.readyState = 1;
  }

  setRequestHeader(name: string, value: string): void {
    this.headers[name] = value;
  }

  send(body: unknown): void {
    this.body = body;
  }

  abort(): void {
    this.aborted = true;
    this.readyState = 4;
    this.dispatch('abort');
  }

  /** The browser sent `loaded` of `total` bytes. */
  progress(loaded: number, total: number): void {
    this.upload.dispatch('progress', { loaded, total, lengthComputable: true });
  }

  /** The server answered. */
  respond(status: number, body: unknown, statusText = ''): void {
    this.readyState = 4;
    this.status = status;
    this.statusText = statusText;
    this.responseText = typeof body === 'string' ? body : JSON.stringify(body);
    this.dispatch('load');
  }

  /** The connection failed (offline, reset). */
  fail(): void {
    this.readyState = 4;
    this.status = 0;
    this.dispatch('error');
  }

  asXhr(): XMLHttpRequest {
    return this as unknown as XMLHttpRequest;
  }
}
