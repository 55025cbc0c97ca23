import { z } from 'zod';
import { HttpError } from './errors.ts';

/** The request body as JSON; a body that is not JSON answers 400. */
export async function readJson(req: Request): Promise<unknown> {
  try {
    return await req.json();
  } catch {
    throw new HttpError(400, 'invalid_json', 'The request body must be JSON.');
  }
}

/** A value checked with a zod schema; one that does not fit answers 400 with the field errors. */
export function validate<T extends z.ZodType>(schema: T, raw: unknown): z.infer<T> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new HttpError(400, 'invalid_request', 'The request is not valid.', z.flattenError(result.error));
  }
  return result.data;
}

/** Parses a JSON body with a zod schema; a body that is not JSON or does not fit answers 400. */
export async function parseBody<T extends z.ZodType>(req: Request, schema: T): Promise<z.infer<T>> {
  return validate(schema, await readJson(req));
}
