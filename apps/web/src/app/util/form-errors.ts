import type { z } from 'zod';

/** Field name -> first message, for showing zod issues next to the matching inputs. */
export type FieldErrors = Partial<Record<string, string>>;

const FRIENDLY: Record<string, string> = {
  'must not be empty': 'Please fill this in',
};

/** Maps zod issues (from the shared contract schemas) to one message per top-level field. */
export function toFieldErrors(error: z.ZodError): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? '');
    if (errors[field] === undefined) {
      const message = FRIENDLY[issue.message] ?? capitalize(issue.message);
      errors[field] = message;
    }
  }
  return errors;
}

function capitalize(message: string): string {
  return message.charAt(0).toUpperCase() + message.slice(1);
}

/** Empty or whitespace-only optional inputs are sent as "absent", not as "". */
export function optionalText(value: string): string | undefined {
  return value.trim() === '' ? undefined : value;
}
