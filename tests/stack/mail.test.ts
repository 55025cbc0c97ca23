import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { stack } from '../setup/clients.ts';

interface Summary {
  ID: string;
  Subject: string;
  To: { Address: string }[];
}

describe('mail outbox over SMTP', () => {
  it('captures a message sent by SMTP as Mailpit does: no TLS, no password, any recipient', async () => {
    const s = stack();
    const to = `smtp-${Date.now()}@example.test`;
    const transport = nodemailer.createTransport({ host: s.SMTP_HOST, port: Number(s.SMTP_PORT), secure: false, ignoreTLS: true });
    const info = await transport.sendMail({
      from: 'Lintel <noreply@lintel.test>',
      to: `Rae Resident <${to}>`,
      subject: 'Rent is due on Dec 1',
      text: 'Pay at http://127.0.0.1:5173/portal/pay',
      html: '<p>Pay <a href="http://127.0.0.1:5173/portal/pay">here</a>.</p>',
    });
    expect(info.accepted).toEqual([to]);

    const found = (await (await fetch(`${s.MAIL_URL}/api/v1/search?query=${encodeURIComponent(`to:${to}`)}`)).json()) as { messages: Summary[] };
    expect(found.messages).toHaveLength(1);
    expect(found.messages[0]!.Subject).toBe('Rent is due on Dec 1');
    const full = (await (await fetch(`${s.MAIL_URL}/api/v1/message/${found.messages[0]!.ID}`)).json()) as {
      From: { Name: string; Address: string };
      To: { Name: string; Address: string }[];
      Text: string;
      Links: string[];
    };
    expect(full.From).toEqual({ Name: 'Lintel', Address: 'noreply@lintel.test' });
    expect(full.To).toEqual([{ Name: 'Rae Resident', Address: to }]);
    expect(full.Text.trim()).toBe('Pay at http://127.0.0.1:5173/portal/pay');
    expect(full.Links).toEqual(['http://127.0.0.1:5173/portal/pay']);
  });
});

describe('mail outbox: the Message-ID header', () => {
  it('reports a message’s own Message-ID as MessageID and finds it by message-id:, as Mailpit does', async () => {
    const s = stack();
    const transport = nodemailer.createTransport({ host: s.SMTP_HOST, port: Number(s.SMTP_PORT), secure: false, ignoreTLS: true });
    const id = `probe-${Date.now()}@lintel.test`;
    await transport.sendMail({ from: 'noreply@lintel.test', to: 'ids@example.test', subject: 'Has an id', text: 'x', messageId: `<${id}>` });
    const found = (await (await fetch(`${s.MAIL_URL}/api/v1/search?query=${encodeURIComponent(`message-id:${id}`)}`)).json()) as {
      messages: { MessageID: string; Subject: string }[];
    };
    expect(found.messages).toEqual([expect.objectContaining({ MessageID: id, Subject: 'Has an id' })]);
  });
});
