import { Component, signal } from '@angular/core';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { FORM_FIELD } from './form-field.imports';

@Component({
  imports: [FORM_FIELD],
  template: `
    <wp-form-field label="Party name" controlId="party-name" hint="Shown to guests." optional [error]="error()">
      <input wpFieldControl class="input" />
    </wp-form-field>
    <wp-form-field label="Token" controlId="token" hint="From the server log." hintAbove errorTestId="token-error" [error]="error()">
      <input wpFieldControl class="input" />
    </wp-form-field>
    <wp-form-field label="Your name" controlId="name" labelHidden>
      <input wpFieldControl wpNameInput class="input" />
    </wp-form-field>
  `,
})
class FieldsHost {
  readonly error = signal<string | null>(null);
}

describe('FormFieldComponent', () => {
  let fixture: ComponentFixture<FieldsHost>;
  const q = (selector: string) => (fixture.nativeElement as HTMLElement).querySelector<HTMLElement>(selector);
  const setError = async (message: string | null) => {
    fixture.componentInstance.error.set(message);
    await fixture.whenStable();
  };

  beforeEach(async () => {
    fixture = TestBed.createComponent(FieldsHost);
    await fixture.whenStable();
  });

  it('names the control by its label and marks an optional field in the label', () => {
    const label = q('label[for="party-name"]');
    expect(q('#party-name')?.tagName).toBe('INPUT');
    expect(label?.textContent?.replace(/\s+/g, ' ').trim()).toBe('Party name optional');
    expect(label?.querySelector('.optional')).not.toBeNull();
  });

  it('describes the control by its hint until an error replaces the hint', async () => {
    const input = q('#party-name');
    expect(input?.getAttribute('aria-describedby')).toBe('party-name-hint');
    expect(input?.hasAttribute('aria-invalid')).toBe(false);

    await setError('Too long');
    expect(q('#party-name-hint')).toBeNull();
    expect(q('#party-name-error')?.textContent).toBe('Too long');
    expect(q('#party-name-error')?.getAttribute('role')).toBe('alert');
    expect(input?.getAttribute('aria-describedby')).toBe('party-name-error');
    expect(input?.getAttribute('aria-invalid')).toBe('true');

    await setError(null);
    expect(q('#party-name-error')).toBeNull();
    expect(input?.getAttribute('aria-describedby')).toBe('party-name-hint');
  });

  it('keeps a hint placed above the control next to the error, and describes the control by both', async () => {
    const field = q('wp-form-field:nth-of-type(2)');
    const [hint, control] = Array.from(field?.children ?? []).slice(1, 3);
    expect(hint?.id).toBe('token-hint');
    expect(control?.id).toBe('token');

    await setError('Not the token');
    expect(q('#token-hint')).not.toBeNull();
    expect(q('[data-testid="token-error"]')?.id).toBe('token-error');
    expect(q('#token')?.getAttribute('aria-describedby')).toBe('token-hint token-error');
  });

  it('hides a label only visually, and describes a control without hint or error by nothing', () => {
    expect(q('label[for="name"]')?.classList.contains('visually-hidden')).toBe(true);
    expect(q('#name')?.hasAttribute('aria-describedby')).toBe(false);
  });

  it("lets a name input take the browser's nickname and no more characters than the contract allows", () => {
    const input = q('#name') as HTMLInputElement;
    expect(input.type).toBe('text');
    expect(input.getAttribute('autocomplete')).toBe('nickname');
    expect(input.maxLength).toBe(32);
  });
});

@Component({
  imports: [FORM_FIELD],
  template: `
    <form>
      <wp-name-field controlId="host-name" name="hostName" [value]="name()" [error]="error()" (edited)="name.set($event)" />
      <wp-form-submit label="Create party" busyLabel="Creating…" testId="submit" [busy]="busy()" [error]="error()" />
    </form>
  `,
})
class NameFormHost {
  readonly name = signal('Ann');
  readonly error = signal<string | null>(null);
  readonly busy = signal(false);
}

describe('NameFieldComponent and FormSubmitComponent', () => {
  let fixture: ComponentFixture<NameFormHost>;
  const q = <T extends HTMLElement = HTMLElement>(selector: string) =>
    (fixture.nativeElement as HTMLElement).querySelector<T>(selector);

  beforeEach(async () => {
    fixture = TestBed.createComponent(NameFormHost);
    await fixture.whenStable();
  });

  it('asks for "Your name" as a required name input and reports what is typed', async () => {
    const input = q<HTMLInputElement>('#host-name') as HTMLInputElement;
    expect(q('label[for="host-name"]')?.textContent?.trim()).toBe('Your name');
    expect(input.required).toBe(true);
    expect(input.name).toBe('hostName');
    expect(input.value).toBe('Ann');
    input.value = 'Bo';
    input.dispatchEvent(new Event('input'));
    expect(fixture.componentInstance.name()).toBe('Bo');
  });

  it('disables the submit button with a spinner while busy, and shows the form error above it', async () => {
    const button = () => q<HTMLButtonElement>('[data-testid="submit"]') as HTMLButtonElement;
    expect(button().textContent?.trim()).toBe('Create party');
    expect(button().disabled).toBe(false);

    fixture.componentInstance.busy.set(true);
    fixture.componentInstance.error.set('Server unreachable.');
    await fixture.whenStable();
    expect(button().disabled).toBe(true);
    expect(button().textContent?.trim()).toBe('Creating…');
    expect(button().querySelector('.spinner')).not.toBeNull();
    const alert = q('.alert[role="alert"]');
    expect(alert?.textContent).toBe('Server unreachable.');
    expect(alert?.nextElementSibling).toBe(button());
  });
});
