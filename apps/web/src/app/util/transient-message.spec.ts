import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { transientMessage } from './transient-message';

@Component({ selector: 'wp-host', template: '' })
class HostComponent {
  readonly message = transientMessage(1000);
}

describe('transientMessage', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('shows a message for its time, restarts the clock for a new one, and clears at once on null', () => {
    const fixture = TestBed.createComponent(HostComponent);
    const { message } = fixture.componentInstance;
    expect(message()).toBeNull();
    message.show('first');
    jest.advanceTimersByTime(900);
    message.show('second');
    jest.advanceTimersByTime(900);
    expect(message()).toBe('second');
    jest.advanceTimersByTime(100);
    expect(message()).toBeNull();
    message.show('third');
    message.show(null);
    expect(message()).toBeNull();
  });

  it('leaves no timer behind when the component goes', () => {
    const fixture = TestBed.createComponent(HostComponent);
    const before = jest.getTimerCount();
    fixture.componentInstance.message.show('bye');
    expect(jest.getTimerCount()).toBe(before + 1);
    fixture.destroy();
    expect(jest.getTimerCount()).toBe(before);
  });
});
