// A real SMTP server (smtp-server) on 127.0.0.1, port chosen by the OS, recording what it accepts.
import type { Socket } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

export interface Received {
  from: string;
  to: string[];
  raw: string;
}

export interface Behaviour {
  /** Called per MAIL FROM: return an SMTP error code to refuse (4xx transient, 5xx permanent). */
  refuse?: () => number | undefined;
  /** Drop the connection in the middle of DATA (after the first chunk) this many times. */
  dropMidData?: number;
}

export interface TestSmtp {
  port: number;
  received: Received[];
  behaviour: Behaviour;
  close(): Promise<void>;
}

export async function startSmtp(behaviour: Behaviour = {}): Promise<TestSmtp> {
  const received: Received[] = [];
  const sockets: Socket[] = [];
  const state = { behaviour };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onMailFrom(_addr, _session, cb) {
      const code = state.behaviour.refuse?.();
      if (code) {
        const err = new Error(code >= 500 ? 'Mailbox policy: no thanks' : 'Try again later') as Error & { responseCode: number };
        err.responseCode = code;
        return cb(err);
      }
      cb();
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, cb) {
      const chunks: Buffer[] = [];
      let dropped = false;
      stream.on('data', (c: Buffer) => {
        chunks.push(c);
        if (!dropped && (state.behaviour.dropMidData ?? 0) > 0) {
          dropped = true;
          state.behaviour.dropMidData!--;
          // Cut the TCP connection mid-message: the client never sees a reply to DATA.
          for (const s of sockets) s.destroy();
        }
      });
      stream.on('end', () => {
        if (dropped) return;
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        cb(null, 'Queued as test');
      });
    },
  });
  server.server.on('connection', (s: Socket) => sockets.push(s));
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    received,
    get behaviour() {
      return state.behaviour;
    },
    set behaviour(b: Behaviour) {
      state.behaviour = b;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  } as TestSmtp;
}

export function header(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  const m = new RegExp(`^${name}: (.*)$`, 'mi').exec(head);
  return m?.[1];
}
