import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { type InviteAccess, InviteLinkComponent } from './invite-link.component';

describe('InviteLinkComponent', () => {
  let fixture: ComponentFixture<InviteLinkComponent>;
  const hint = () => (fixture.nativeElement as HTMLElement).querySelector('.hint')?.textContent?.trim();

  async function render(access?: InviteAccess): Promise<void> {
    fixture = TestBed.createComponent(InviteLinkComponent);
    fixture.componentRef.setInput('url', 'http://localhost/watch/abc');
    if (access) fixture.componentRef.setInput('access', access);
    await fixture.whenStable();
  }

  it('says who the link lets in: anyone, people with the password, or nobody new while locked', async () => {
    await render();
    expect(hint()).toBe('Anyone with this link can join.');
    fixture.componentRef.setInput('access', 'password');
    await fixture.whenStable();
    expect(hint()).toBe('People need the password to join.');
    fixture.componentRef.setInput('access', 'locked');
    await fixture.whenStable();
    expect(hint()).toBe('The party is locked: nobody new can join.');
  });

  describe('Share (Web Share API)', () => {
    const nav = navigator as { share?: unknown; clipboard?: unknown };
    let writeText: jest.Mock;
    const shareButton = () => (fixture.nativeElement as HTMLElement).querySelector<HTMLButtonElement>('[data-testid="share-invite"]');

    beforeEach(() => {
      writeText = jest.fn().mockResolvedValue(undefined);
      Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    });
    afterEach(() => {
      delete nav.share;
      delete nav.clipboard;
    });

    it('is offered only where the browser can share', async () => {
      await render();
      expect(shareButton()).toBeNull();
      expect((fixture.nativeElement as HTMLElement).querySelector('[data-testid="copy-invite"]')).not.toBeNull();
    });

    it('opens the share sheet with the party name and the link', async () => {
      const share = jest.fn().mockResolvedValue(undefined);
      Object.defineProperty(navigator, 'share', { value: share, configurable: true });
      await render();
      fixture.componentRef.setInput('shareTitle', 'Movie night');
      await fixture.whenStable();
      shareButton()?.click();
      await fixture.whenStable();
      expect(share).toHaveBeenCalledWith({ title: 'Movie night', text: 'Join “Movie night” on watch-party', url: 'http://localhost/watch/abc' });
      expect(writeText).not.toHaveBeenCalled();
    });

    it('copies the link instead when sharing fails, but not when the user closes the sheet', async () => {
      const share = jest.fn().mockRejectedValueOnce(new DOMException('closed', 'AbortError'));
      Object.defineProperty(navigator, 'share', { value: share, configurable: true });
      await render();
      shareButton()?.click();
      await fixture.whenStable();
      expect(writeText).not.toHaveBeenCalled();
      expect(hint()).toBe('Anyone with this link can join.');

      share.mockRejectedValueOnce(new DOMException('no permission', 'NotAllowedError'));
      shareButton()?.click();
      await new Promise((r) => setTimeout(r));
      await fixture.whenStable();
      expect(writeText).toHaveBeenCalledWith('http://localhost/watch/abc');
      expect(hint()).toBe('Link copied. Send it to your friends.');
    });
  });
});
