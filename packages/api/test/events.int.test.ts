import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webIds } from '../src/crypto.js';
import { EVENT_SETTLE_MS } from '../src/notifications/service.js';
import { ADMIN_URL, createTestGateway, DB_KINDS, rest, type TestGateway } from './harness.js';
import { insertEvent } from './notifications-helpers.js';

interface EventPage {
  data: { id: string; type: string; occurredAt: string; data: Record<string, string> }[];
  nextCursor: string | null;
}

const booking = () => ({ bookingId: webIds.next('bkg'), patientId: webIds.next('pat') });

describe.each(DB_KINDS)('GET /v1/events on %s', (kind) => {
  let gw: TestGateway;
  let partner: { organizationId: string; token: string };

  beforeAll(async () => {
    gw = await createTestGateway(kind);
    // A partner of its own, so no other test's events are in its list.
    partner = await gw.newPartner('Events partner');
  });
  afterAll(() => gw?.close());

  async function list(query: string, token = partner.token) {
    const answer = await rest(gw, 'GET', `/v1/events${query}`, { token });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body as EventPage;
  }

  it('lists events in order, page by page with after and limit, and only settled ones', async () => {
    const past = gw.clock.nowMs() - 60_000;
    const written: string[] = [];
    for (const type of ['booking.created', 'booking.confirmed', 'booking.cancelled'] as const) {
      written.push(await insertEvent(gw, partner.organizationId, type, booking(), past));
    }
    written.push(
      await insertEvent(gw, partner.organizationId, 'booking.confirmed', booking(), past),
    );
    written.push(
      await insertEvent(gw, partner.organizationId, 'booking.reminder', booking(), past),
    );
    // Just happened: not listed until the settle delay has passed.
    const recent = await insertEvent(gw, partner.organizationId, 'booking.no_show', booking());

    const first = await list('?limit=2');
    expect(first.data.map((e) => e.id)).toEqual(written.slice(0, 2));
    expect(first.nextCursor).toBe(written[1]);
    const second = await list(`?limit=2&after=${first.nextCursor}`);
    expect(second.data.map((e) => e.id)).toEqual(written.slice(2, 4));
    const third = await list(`?limit=2&after=${second.nextCursor}`);
    expect(third.data.map((e) => e.id)).toEqual(written.slice(4));
    expect(third.nextCursor).toBeNull();
    expect(third.data[0]).toMatchObject({ type: 'booking.reminder' });

    gw.clock.advance(EVENT_SETTLE_MS);
    const later = await list(`?after=${written.at(-1)}`);
    expect(later.data.map((e) => e.id)).toEqual([recent]);
    gw.clock.advance(-EVENT_SETTLE_MS);
  });

  it("never shows another organization's events, and answers 404 for their ids", async () => {
    const theirs = await insertEvent(
      gw,
      gw.partnerB.organizationId,
      'booking.confirmed',
      booking(),
      gw.clock.nowMs() - 60_000,
    );
    const mine = await list('?limit=100');
    expect(mine.data.map((e) => e.id)).not.toContain(theirs);

    const answer = await rest(gw, 'GET', `/v1/events?after=${theirs}`, { token: partner.token });
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ code: 'NOT_FOUND', errors: [{ pointer: '/after' }] });
  });

  it('refuses a malformed after and an out-of-range limit, naming the field', async () => {
    const bad = await rest(gw, 'GET', '/v1/events?after=bkg_k3m9q2x7w4n8p5rt', {
      token: partner.token,
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('/after');
    const big = await rest(gw, 'GET', '/v1/events?limit=1000', { token: partner.token });
    expect(big.status).toBe(400);
    expect(JSON.stringify(big.body)).toContain('/limit');
  });
});

describe('GET /v1/events with a transaction that commits late, on postgres', () => {
  let gw: TestGateway;
  let partner: { organizationId: string; token: string };
  let client: pg.Client;

  beforeAll(async () => {
    gw = await createTestGateway('postgres');
    partner = await gw.newPartner('Late commits');
    client = new pg.Client({ connectionString: await databaseUrl(gw) });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await gw?.close();
  });

  it('does not skip an event whose lower sequence becomes visible after a higher one', async () => {
    // The slow writer takes its sequence first and commits last.
    await client.query('begin');
    const slowId = webIds.next('evt');
    await client.query(
      `insert into events (id, organization_id, type, data, occurred_at) values ($1, $2, $3, $4, $5)`,
      [
        slowId,
        partner.organizationId,
        'booking.created',
        JSON.stringify(booking()),
        new Date(gw.clock.nowMs()),
      ],
    );
    const fastId = await insertEvent(gw, partner.organizationId, 'booking.confirmed', booking());

    // A partner polling now sees neither: the fast one has not settled yet.
    const early = await rest(gw, 'GET', '/v1/events', { token: partner.token });
    expect((early.body as EventPage).data).toEqual([]);

    await client.query('commit');
    gw.clock.advance(EVENT_SETTLE_MS);
    const settled = await rest(gw, 'GET', '/v1/events', { token: partner.token });
    expect((settled.body as EventPage).data.map((e) => e.id)).toEqual([slowId, fastId]);
  });
});

/** The test database's URL, read from the server the gateway is connected to. */
async function databaseUrl(gw: TestGateway): Promise<string> {
  const result = await gw.database.db.execute(sql`select current_database() as name`);
  const rows = (result as unknown as { rows: { name: string }[] }).rows;
  const url = new URL(ADMIN_URL);
  url.pathname = `/${rows[0]?.name ?? ''}`;
  return url.toString();
}
