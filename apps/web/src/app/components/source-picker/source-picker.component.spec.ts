import { type ComponentFixture, TestBed } from '@angular/core/testing';
import type { Source } from '@watch-party/contracts';
import { SourcePickerComponent, type SourceSetResult } from './source-picker.component';

describe('SourcePickerComponent', () => {
  let fixture: ComponentFixture<SourcePickerComponent>;
  let send: jest.Mock<Promise<SourceSetResult>, [Source]>;
  const el = () => fixture.nativeElement as HTMLElement;
  const q = <T extends HTMLElement = HTMLElement>(id: string) => el().querySelector<T>(`[data-testid="${id}"]`);

  async function submit(url: string) {
    const input = q<HTMLInputElement>('source-url') as HTMLInputElement;
    input.value = url;
    input.dispatchEvent(new Event('input'));
    input.form?.dispatchEvent(new Event('submit', { cancelable: true }));
    await fixture.whenStable();
    await new Promise((r) => setTimeout(r));
    await fixture.whenStable();
  }

  beforeEach(async () => {
    send = jest.fn();
    fixture = TestBed.createComponent(SourcePickerComponent);
    fixture.componentRef.setInput('send', send);
    await fixture.whenStable();
  });

  it.each(['ftp://x.org/a.mp4', 'https://x.org/page.html', 'not a url', ''])('refuses %p without calling the server', async (url) => {
    await submit(url);
    expect(send).not.toHaveBeenCalled();
    expect(q('source-error')?.textContent?.length).toBeGreaterThan(0);
  });

  it('sends a valid link as a url source and clears the field', async () => {
    send.mockResolvedValue({ ok: true });
    await submit('  https://cdn.example.com/show/master.M3U8  ');
    expect(send).toHaveBeenCalledWith({ kind: 'url', url: 'https://cdn.example.com/show/master.M3U8' });
    expect((q<HTMLInputElement>('source-url') as HTMLInputElement).value).toBe('');
    expect(q('source-error')).toBeNull();
  });

  it('shows the server refusal', async () => {
    send.mockResolvedValue({ ok: false, error: { code: 'FORBIDDEN', message: 'no' } });
    await submit('https://example.com/a.webm');
    expect(q('source-error')?.textContent).toContain('Only the host and controllers');
  });
});
