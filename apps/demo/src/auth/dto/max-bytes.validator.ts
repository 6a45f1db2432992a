import { registerDecorator, type ValidationOptions } from 'class-validator';

/** The string's UTF-8 length is at most `max` bytes (bcrypt's limit is in bytes, not characters). */
export function MaxBytes(max: number, options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'maxBytes',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && Buffer.byteLength(value, 'utf8') <= max,
      },
    });
}

/** bcrypt reads at most 72 bytes of a password: a longer one is refused, never truncated. */
export const MAX_PASSWORD_BYTES = 72;
