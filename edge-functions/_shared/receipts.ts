import fontkit from '@pdf-lib/fontkit';
import type { SupabaseClient } from '@supabase/supabase-js';
import { PDFDocument, type PDFFont, rgb, StandardFonts } from 'pdf-lib';
import { db } from './db.ts';

/** What the database hands over for one receipt (private.receipt_todo). */
export interface ReceiptTodo {
  payment_id: string;
  org_id: string;
  lease_id: string;
  path: string;
  org_name: string;
  locale: string;
  timezone: string;
  currency: string;
  amount_minor: number;
  paid_at: string;
  payment_intent: string | null;
  autopay: boolean;
  resident_name: string | null;
  unit_label: string;
  property_name: string;
}

export const RECEIPTS_BUCKET = 'receipts';

let unicodeFont: Promise<Uint8Array> | undefined;

/** DejaVu Sans, for names and amounts outside WinAnsi (pdf-lib's standard fonts): "Łukasz", "zł". */
function unicodeFontBytes(): Promise<Uint8Array> {
  unicodeFont ??= Deno.readFile(new URL('./fonts/DejaVuSans.ttf', import.meta.url));
  return unicodeFont;
}

function money(minor: number, currency: string, locale: string): string {
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(minor / 10 ** digits);
}

/** The receipt's lines, label and value, in the org's locale and time zone. */
function lines(r: ReceiptTodo): [string, string][] {
  const paid = new Date(r.paid_at);
  return [
    ['Received from', r.resident_name ?? 'Resident'],
    ['Amount', money(r.amount_minor, r.currency, r.locale)],
    ['Date', new Intl.DateTimeFormat(r.locale, { dateStyle: 'long', timeZone: r.timezone }).format(paid)],
    ['For', `Rent, ${r.property_name}, unit ${r.unit_label}`],
    ['Method', r.autopay ? 'Card (autopay)' : 'Card'],
    ['Payment', r.payment_id],
    ['Reference', r.payment_intent ?? ''],
  ];
}

/**
 * A one-page PDF receipt. Helvetica when every character is WinAnsi; otherwise DejaVu Sans embedded
 * (subset) through fontkit. Its dates are the payment's, so the same payment gives the same file.
 */
export async function receiptPdf(r: ReceiptTodo): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const paid = new Date(r.paid_at);
  doc.setTitle(`Receipt ${r.payment_id}`);
  doc.setAuthor(r.org_name);
  doc.setProducer('Lintel');
  doc.setCreator('Lintel');
  doc.setCreationDate(paid);
  doc.setModificationDate(paid);
  const rows = lines(r);
  const texts = [r.org_name, 'Payment receipt', ...rows.flat()];
  let font: PDFFont = await doc.embedFont(StandardFonts.Helvetica);
  try {
    for (const t of texts) font.encodeText(t);
  } catch {
    doc.registerFontkit(fontkit);
    font = await doc.embedFont(await unicodeFontBytes(), { subset: true });
  }
  const page = doc.addPage([595.28, 841.89]);
  const ink = rgb(0.1, 0.1, 0.12);
  page.drawText(r.org_name, { x: 56, y: 770, size: 20, font, color: ink });
  page.drawText('Payment receipt', { x: 56, y: 742, size: 13, font, color: rgb(0.35, 0.35, 0.4) });
  let y = 690;
  for (const [label, value] of rows) {
    page.drawText(label, { x: 56, y, size: 11, font, color: rgb(0.35, 0.35, 0.4) });
    page.drawText(value, { x: 190, y, size: 11, font, color: ink });
    y -= 24;
  }
  page.drawText('Thank you. This receipt was issued by Lintel on behalf of the property manager.', { x: 56, y: y - 20, size: 9, font, color: rgb(0.35, 0.35, 0.4) });
  // Plain objects (no object streams): a few hundred bytes more, and the file stays inspectable.
  return doc.save({ useObjectStreams: false });
}

/** Up to 50 receipts per UPDATE (above that a statement's broadcast is one bulk message). */
const MARK_BATCH = 50;
const MARK_WAIT_MS = 25;
/** Receipts waiting for an upload slot, at most: past that a burst's receipts go to the sweep. */
const MAX_WAITING = 2_000;

interface Queued {
  todo: ReceiptTodo;
  done: (err?: unknown) => void;
}

/**
 * Writes receipts to Storage a few at a time and records them on their payments in batches. A
 * burst of payments queues here instead of rendering every PDF at once, so the worker keeps
 * answering Stripe while the receipts follow; and each UPDATE of receipt_path takes every receipt
 * uploaded while the previous one ran (one statement, one commit, one broadcast for the lot).
 * Safe to repeat: the path is the payment's, the upload overwrites, and only a payment without a
 * receipt_path is marked. What a dying worker leaves unwritten the receipts sweep writes.
 */
export class ReceiptWriter {
  readonly #admin: SupabaseClient;
  readonly #concurrency: number;
  readonly #waiting: Queued[] = [];
  #uploading = 0;
  #uploaded: Queued[] = [];
  #marking = false;
  /** Receipts queued or under way, by payment: a second event about the payment joins its write. */
  readonly #pending = new Map<string, Promise<void>>();
  /** When this writer last wrote each payment's receipt (the newest 1,000). */
  readonly #written = new Map<string, number>();

  readonly #rememberMs: number;

  /**
   * `concurrency`: uploads in flight. `rememberMs`: how long a payment whose receipt this writer
   * wrote is taken as done without asking again (the webhook's Checkout pairs); 0 for a caller
   * that only ever asks for receipts the database says are owed, as the sweep does.
   */
  constructor(admin: SupabaseClient, { concurrency = 4, rememberMs = 60_000 }: { concurrency?: number; rememberMs?: number } = {}) {
    this.#admin = admin;
    this.#concurrency = Math.max(1, Math.floor(concurrency));
    this.#rememberMs = rememberMs;
  }

  /**
   * Resolves once the receipt is in Storage and on its payment; rejects if either failed. A
   * Checkout payment's two events (the session's and the PaymentIntent's) may both find it owed
   * while the first write is under way, or just after: that is one write, not two.
   */
  write(todo: ReceiptTodo): Promise<void> {
    const id = todo.payment_id;
    if (Date.now() - (this.#written.get(id) ?? 0) < this.#rememberMs) return Promise.resolve();
    const pending = this.#pending.get(id);
    if (pending) return pending;
    // The payment keeps receipt_path empty, so receipts_owed hands it to the sweep.
    if (this.#waiting.length >= MAX_WAITING) return Promise.reject(new Error(`${MAX_WAITING} receipts already wait in this worker`));
    const written = new Promise<void>((resolve, reject) => {
      this.#waiting.push({ todo, done: (err) => (err === undefined ? resolve() : reject(err)) });
      this.#pump();
    }).then(
      () => {
        this.#written.delete(id);
        this.#written.set(id, Date.now());
        if (this.#written.size > 1000) this.#written.delete(this.#written.keys().next().value!);
      },
    ).finally(() => this.#pending.delete(id));
    this.#pending.set(id, written);
    return written;
  }

  #pump(): void {
    while (this.#uploading < this.#concurrency && this.#waiting.length) {
      const item = this.#waiting.shift()!;
      this.#uploading++;
      this.#upload(item.todo).then(
        () => {
          this.#uploading--;
          this.#uploaded.push(item);
          void this.#mark();
        },
        (err) => {
          this.#uploading--;
          item.done(err ?? new Error('receipt upload failed'));
        },
      ).finally(() => this.#pump());
    }
  }

  async #upload(todo: ReceiptTodo): Promise<void> {
    const pdf = await receiptPdf(todo);
    const up = await this.#admin.storage.from(RECEIPTS_BUCKET).upload(todo.path, pdf, { contentType: 'application/pdf', upsert: true });
    if (up.error) throw up.error;
  }

  async #mark(): Promise<void> {
    if (this.#marking) return;
    this.#marking = true;
    try {
      while (this.#uploaded.length) {
        // A moment for the uploads still under way, so a burst's marks share statements.
        if (this.#uploaded.length < MARK_BATCH && this.#uploading) await new Promise((r) => setTimeout(r, MARK_WAIT_MS));
        const batch = this.#uploaded.splice(0, MARK_BATCH);
        try {
          const rows = batch.map((b) => ({ id: b.todo.payment_id, path: b.todo.path }));
          // Another worker (the sweep, or the other event of a Checkout payment) may mark some of
          // the same payments: lock them in id order, so two batches wait for each other instead
          // of deadlocking, and give up on a stuck lock instead of holding every later receipt.
          await db().begin(async (tx) => {
            await tx`select set_config('lock_timeout', '5s', true), set_config('statement_timeout', '30s', true),
                            set_config('lintel.via', 'payment_receipt', true)`;
            await tx`
              with v as (select * from jsonb_to_recordset(${tx.json(rows as never)}) as v (id uuid, path text)),
                   locked as (
                     select p.id, v.path from public.payments p join v on v.id = p.id
                     where p.receipt_path is null order by p.id for update of p)
              update public.payments p set receipt_path = l.path
              from locked l
              where p.id = l.id and p.receipt_path is null`;
          });
          for (const b of batch) b.done();
        } catch (err) {
          for (const b of batch) b.done(err ?? new Error('marking receipts failed'));
        }
      }
    } finally {
      this.#marking = false;
    }
  }
}
