import { TestBed } from '@angular/core/testing';
import { DEVICE_ID_MAX } from '@watch-party/contracts';
import { DEVICE_ID_KEY, DeviceIdService } from './device-id.service';

describe('DeviceIdService', () => {
  beforeEach(() => localStorage.clear());
  afterEach(() => TestBed.resetTestingModule());

  it('keeps one random device id per browser, across page loads', () => {
    const first = TestBed.inject(DeviceIdService).get();
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThanOrEqual(DEVICE_ID_MAX);
    expect(localStorage.getItem(DEVICE_ID_KEY)).toBe(first);

    TestBed.resetTestingModule();
    expect(TestBed.inject(DeviceIdService).get()).toBe(first);
  });

  it('gives a different id to another browser (empty storage)', () => {
    const first = TestBed.inject(DeviceIdService).get();
    localStorage.clear();
    TestBed.resetTestingModule();
    expect(TestBed.inject(DeviceIdService).get()).not.toBe(first);
  });

  it('replaces a stored value the server would refuse (longer than the contract allows)', () => {
    localStorage.setItem(DEVICE_ID_KEY, 'x'.repeat(DEVICE_ID_MAX + 1));
    const id = TestBed.inject(DeviceIdService).get();
    expect(id.length).toBeLessThanOrEqual(DEVICE_ID_MAX);
    expect(localStorage.getItem(DEVICE_ID_KEY)).toBe(id);
  });
});
