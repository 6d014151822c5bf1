import { BadRequestException, type PipeTransform } from '@nestjs/common';
import { describeZodError } from '@watch-party/contracts';
import type { z } from 'zod';

/** Validates a body with the contract's zod schema: 400 naming the fields on failure. */
export class ZodValidationPipe<T extends z.ZodType> implements PipeTransform<unknown, z.infer<T>> {
  constructor(private readonly schema: T) {}

  transform(value: unknown): z.infer<T> {
    const result = this.schema.safeParse(value ?? {});
    if (!result.success) throw new BadRequestException(describeZodError(result.error));
    return result.data;
  }
}
