/**
 * deploy/nats/tsvmi-nats.conf on a real nats-server, exercised with raw
 * nats.js v3: observers see events but cannot answer them or drive the
 * control plane, controllers can. Also: a subscriber survives a server
 * restart on the same port.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  connect, PermissionViolationError, RequestError,
  type ConnectionOptions, type Msg, type NatsConnection, type Subscription,
} from '@nats-io/transport-node';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';

const CONFIG = join(process.cwd(), 'deploy/nats/tsvmi-nats.conf');
/** Test passwords, handed to the config's `$TSVMI_*_PASSWORD` references through the environment. */
const PASSWORDS = {
  tsvmi: 'test-service-pw', controller: 'test-controller-pw', observer: 'test-observer-pw', admin: 'test-admin-pw',
} as const;
type User = keyof typeof PASSWORDS;
const ENV = {
  TSVMI_SERVICE_PASSWORD: PASSWORDS.tsvmi,
  TSVMI_CONTROLLER_PASSWORD: PASSWORDS.controller,
  TSVMI_OBSERVER_PASSWORD: PASSWORDS.observer,
  TSVMI_ADMIN_PASSWORD: PASSWORDS.admin,
};
const DOMAIN = 'dom1';
const subject = (rest: string): string => `tsvmi.v1.${DOMAIN}.${rest}`;
const WAIT_MS = 5_000;

describe('NATS transport: deploy/nats/tsvmi-nats.conf permissions', function () {
  let server: NatsServer;
  const conns: NatsConnection[] = [];

  /** Connect as a user, with the role's private inbox prefix the config requires. */
  async function as(user: User, extra: Partial<ConnectionOptions> = {}): Promise<NatsConnection> {
    const nc = await connect({
      servers: server.url, user, pass: PASSWORDS[user], inboxPrefix: `_INBOX_${user}`, name: `test-${user}`, ...extra,
    });
    conns.push(nc);
    return nc;
  }

  /** The tsvmi service's part: answers info and control requests, records replies. */
  async function service(): Promise<{ nc: NatsConnection; replies: string[] }> {
    const nc = await as('tsvmi');
    const replies: string[] = [];
    nc.subscribe(subject('info'), { callback: (_err, m) => { m.respond('info-ok'); } });
    nc.subscribe(subject('control.>'), { callback: (_err, m) => { m.respond(`done:${m.subject}`); } });
    nc.subscribe(subject('reply'), { callback: (_err, m) => { replies.push(m.string()); } });
    await nc.flush(); // the subscriptions are registered on the server before anyone publishes
    return { nc, replies };
  }

  before(async function () {
    server = await startNatsServer({ configFile: CONFIG, env: ENV });
  });
  afterEach(async function () {
    await Promise.all(conns.splice(0).map((nc) => nc.close()));
  });
  after(async function () {
    await server?.stop();
  });

  it('lets an observer receive events, in a queue group too, and ask for domain info', async function () {
    const svc = await service();
    const obs = await as('observer');
    const plain = obs.subscribe(subject('events.>'), { max: 1 });
    const grouped = obs.subscribe(subject('events.>'), { queue: 'dashboards', max: 1 });
    await obs.flush();
    svc.nc.publish(subject('events.breakpoint'), 'ev-1');
    assert.deepEqual(await Promise.all([first(plain), first(grouped)]), ['ev-1', 'ev-1']);
    assert.equal((await obs.request(subject('info'), '', { timeout: WAIT_MS })).string(), 'info-ok');
  });

  it('lets an observer watch the serial console the service publishes, but not publish one', async function () {
    const svc = await service();
    const obs = await as('observer');
    const console_ = obs.subscribe(subject('console'), { max: 1 });
    await obs.flush();
    const denied = nextPermissionError(obs);
    obs.publish(subject('console'), 'forged');
    assert.equal((await denied).subject, subject('console'));
    svc.nc.publish(subject('console'), 'kernel: hello');
    assert.equal(await first(console_), 'kernel: hello', 'the service\'s line, not the forged one');
  });

  it('refuses an observer publishing a reply: a PermissionViolationError status, nothing delivered', async function () {
    const svc = await service();
    const obs = await as('observer');
    const denied = nextPermissionError(obs);
    obs.publish(subject('reply'), 'drop seq=1'); // returns normally: the server answers -ERR later
    const err = await denied;
    assert.equal(err.operation, 'publish');
    assert.equal(err.subject, subject('reply'));
    assert.match(err.message, /Permissions Violation/);
    // The -ERR came after the server handled the publish, so a delivered copy would already be on its way.
    await svc.nc.flush();
    assert.deepEqual(svc.replies, []);
    assert.equal(obs.isClosed(), false, 'a permission violation does not close the connection');
  });

  it('refuses an observer control request: the request rejects with the violation as cause', async function () {
    await service();
    const obs = await as('observer');
    const status = nextPermissionError(obs);
    const err = await obs.request(subject('control.write-memory'), 'gpa=0x1000', { timeout: WAIT_MS }).then(
      () => assert.fail('the observer control request was answered'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof RequestError, `expected a RequestError, got ${String(err)}`);
    assert.ok(err.cause instanceof PermissionViolationError);
    assert.equal(err.cause.operation, 'publish');
    assert.equal(err.cause.subject, subject('control.write-memory'));
    assert.equal((await status).subject, subject('control.write-memory'));
  });

  it('ends an observer subscription to control requests or to another role\'s inbox', async function () {
    const obs = await as('observer');
    for (const target of [subject('control.>'), '_INBOX_controller.>']) {
      const sub = obs.subscribe(target);
      const closed = await withTimeout(sub.closed, `subscription to ${target} to be refused`);
      assert.ok(closed instanceof PermissionViolationError);
      assert.equal(closed.operation, 'subscription');
      assert.equal(closed.subject, target);
    }
  });

  it('lets a controller answer events and drive the control plane, but not publish events', async function () {
    const svc = await service();
    const ctl = await as('controller');
    const events = ctl.subscribe(subject('events.>'), { max: 1 });
    await ctl.flush();
    svc.nc.publish(subject('events.cpuid'), 'ev-2');
    assert.equal(await first(events), 'ev-2');
    ctl.publish(subject('reply'), 'reinject seq=2');
    await ctl.flush();
    await svc.nc.flush();
    assert.deepEqual(svc.replies, ['reinject seq=2']);
    const r = await ctl.request(subject('control.pause'), '', { timeout: WAIT_MS });
    assert.equal(r.string(), `done:${subject('control.pause')}`);
    const denied = nextPermissionError(ctl);
    ctl.publish(subject('events.breakpoint'), 'forged');
    assert.equal((await denied).subject, subject('events.breakpoint'));
  });

  it('needs the role inbox prefix: the default _INBOX makes a request fail', async function () {
    await service();
    const obs = await as('observer', { inboxPrefix: '_INBOX' });
    const err = await obs.request(subject('info'), '', { timeout: WAIT_MS }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof RequestError && err.cause instanceof PermissionViolationError, `got ${String(err)}`);
    assert.equal(err.cause.operation, 'subscription');
  });
});

describe('NATS transport: reconnects', function () {
  let server: NatsServer;
  const conns: NatsConnection[] = [];
  before(async function () {
    server = await startNatsServer();
  });
  after(async function () {
    await Promise.all(conns.splice(0).map((nc) => nc.close()));
    await server?.stop();
  });

  it('keeps a subscriber receiving after the server restarts on the same port', async function () {
    // Fast, unlimited reconnects: the default 2 s wait would only slow the test down.
    const opts = { servers: server.url, reconnectTimeWait: 50, maxReconnectAttempts: -1 };
    const sub = await connect(opts);
    const pub = await connect(opts);
    conns.push(sub, pub);
    const received: string[] = [];
    const s = sub.subscribe(subject('events.>'), { callback: (_err, m) => { received.push(m.string()); } });
    await sub.flush();
    pub.publish(subject('events.breakpoint'), 'before');
    await pub.flush();
    await sub.flush();
    assert.deepEqual(received, ['before']);

    const reconnected = Promise.all([nextStatus(sub, 'reconnect'), nextStatus(pub, 'reconnect')]);
    await server.restart();
    await withTimeout(reconnected, 'both clients to reconnect');
    // The client re-sent its SUB on reconnect; flush makes sure the server has it before the publish.
    await sub.flush();
    pub.publish(subject('events.breakpoint'), 'after');
    await pub.flush();
    await sub.flush();
    assert.deepEqual(received, ['before', 'after']);
    assert.equal(s.isClosed(), false);
  });
});

/** The next message's payload on a subscription, or a timeout. */
async function first(sub: Subscription): Promise<string> {
  const next = (async () => {
    for await (const m of sub as AsyncIterable<Msg>) return m.string();
    throw new Error(`subscription ${sub.getSubject()} ended without a message`);
  })();
  return withTimeout(next, `a message on ${sub.getSubject()}`);
}

/** The next PermissionViolationError the server reports on this connection's status stream. */
function nextPermissionError(nc: NatsConnection): Promise<PermissionViolationError> {
  return withTimeout((async () => {
    for await (const s of nc.status()) {
      if (s.type === 'error' && s.error instanceof PermissionViolationError) return s.error;
    }
    throw new Error('connection closed without a permission error');
  })(), 'a permission violation status');
}

async function nextStatus(nc: NatsConnection, type: 'reconnect'): Promise<void> {
  for await (const s of nc.status()) if (s.type === type) return;
}

async function withTimeout<T>(p: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
