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
});
