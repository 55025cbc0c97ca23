import { z } from 'zod';
import { HttpError } from './errors.ts';

/** Parses a JSON body with a zod schema; a body that is not JSON or does not fit answers 400. */
export async function parseBody<T extends z.ZodType>(req: Request, schema: T): Promise<z.infer<T>> {
  let raw: unknown;
  try {
    raw = await req.json();
  } catch {
    throw new HttpError(400, 'invalid_json', 'The request body must be JSON.');
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new HttpError(400, 'invalid_request', 'The request is not valid.', z.flattenError(result.error));
  }
  return result.data;
}
