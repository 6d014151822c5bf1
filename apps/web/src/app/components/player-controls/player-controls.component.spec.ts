import { Component, signal } from '@angular/core';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { PlayerControlsComponent, type NarrowVolume, type VolumePlacement } from './player-controls.component';

@Component({
  imports: [PlayerControlsComponent],
  template: `
    <wp-player-controls
      [playing]="playing()"
      [playLabel]="playing() ? 'Pause' : 'Play'"
      [playTitle]="'Play (k)'"
      [playDisabled]="disabled()"
      [lockTitle]="lock()"
      [muted]="muted()"
      [volume]="volume()"
      [fullscreen]="fullscreen()"
      [volumePlacement]="placement()"
      [narrowVolume]="narrow()"
      (togglePlay)="log.push('play')"
      (toggleMute)="log.push('mute')"
      (volumeChange)="log.push('volume ' + $event)"
      (toggleFullscreen)="log.push('fullscreen')"
    >
      <span wpControlsLead data-testid="lead">lead</span>
      <span wpControlsTrail data-testid="trail">trail</span>
    </wp-player-controls>
  `,
})
class HostComponent {
  readonly playing = signal(false);
  readonly disabled = signal(false);
  readonly lock = signal<string | null>(null);
  readonly muted = signal(false);
  readonly volume = signal(1);
  readonly fullscreen = signal(false);
  readonly placement = signal<VolumePlacement>('end');
  readonly narrow = signal<NarrowVolume>('hide');
  readonly log: string[] = [];
}

describe('PlayerControlsComponent', () => {
  let fixture: ComponentFixture<HostComponent>;
  let host: HostComponent;
  const q = <T extends HTMLElement = HTMLElement>(id: string) =>
    (fixture.nativeElement as HTMLElement).querySelector<T>(`[data-testid="${id}"]`) as T;
  const order = () =>
    [...(fixture.nativeElement as HTMLElement).querySelectorAll('wp-player-controls [data-testid]')]
      .map((e) => e.getAttribute('data-testid'))
      .filter((id) => id !== 'volume');

  beforeEach(async () => {
    fixture = TestBed.createComponent(HostComponent);
    host = fixture.componentInstance;
    await fixture.whenStable();
  });

  it('says what each button does and tells the host what was asked', async () => {
    expect(q('play-pause').getAttribute('aria-label')).toBe('Play');
    expect(q('play-pause').getAttribute('title')).toBe('Play (k)');
    expect(q('mute').getAttribute('aria-label')).toBe('Mute');
    expect(q('fullscreen').getAttribute('aria-label')).toBe('Full screen');
    q('play-pause').click();
    q('mute').click();
    q('fullscreen').click();
    const slider = q<HTMLInputElement>('volume');
    slider.value = '0.25';
    slider.dispatchEvent(new Event('input'));
    expect(host.log).toEqual(['play', 'mute', 'fullscreen', 'volume 0.25']);

    host.playing.set(true);
    host.fullscreen.set(true);
    host.muted.set(true);
    await fixture.whenStable();
    expect(q('play-pause').getAttribute('aria-label')).toBe('Pause');
    expect(q('fullscreen').getAttribute('aria-label')).toBe('Exit full screen');
    expect(q('mute').getAttribute('aria-label')).toBe('Unmute');
  });

  it('shows the volume (0 while muted) with a spoken value, and Unmute at volume 0', async () => {
    host.volume.set(0.4);
    await fixture.whenStable();
    expect(q<HTMLInputElement>('volume').value).toBe('0.4');
    expect(q('volume').getAttribute('aria-valuetext')).toBe('40%');
    expect(q('volume').classList.contains('volume-slider')).toBe(true); // the hosts' shortcuts look for it
    host.muted.set(true);
    await fixture.whenStable();
    expect(q<HTMLInputElement>('volume').value).toBe('0');
    expect(q('volume').getAttribute('aria-valuetext')).toBe('0%');
    host.muted.set(false);
    host.volume.set(0);
    await fixture.whenStable();
    expect(q('mute').getAttribute('aria-label')).toBe('Unmute');
  });

  it('disables play/pause with the reason as a tooltip', async () => {
    host.disabled.set(true);
    host.lock.set('Only Ann (host) can control playback');
    await fixture.whenStable();
    expect(q<HTMLButtonElement>('play-pause').disabled).toBe(true);
    expect(q('play-pause').parentElement?.getAttribute('title')).toBe('Only Ann (host) can control playback');
    q('play-pause').click();
    expect(host.log).toEqual([]);
  });

  it('puts the volume on the right (party player) or after play/pause (live), around the slots', async () => {
    expect(order()).toEqual(['play-pause', 'lead', 'mute', 'trail', 'fullscreen']);
    host.placement.set('start');
    await fixture.whenStable();
    expect(order()).toEqual(['play-pause', 'mute', 'lead', 'trail', 'fullscreen']);
  });

  it('marks the host when the slider shrinks instead of hiding on phones', async () => {
    const bar = (fixture.nativeElement as HTMLElement).querySelector('wp-player-controls') as HTMLElement;
    expect(bar.classList.contains('volume-shrinks')).toBe(false);
    host.narrow.set('shrink');
    await fixture.whenStable();
    expect(bar.classList.contains('volume-shrinks')).toBe(true);
  });
});
