// `modreview github` start-up: missing or malformed credentials are one clear line, exit 2.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { readServerConfig, register } from '../../src/commands/github.js';
import { UsageError } from '../../src/errors.js';
import { privateKey } from './helpers.js';

const good = () => ({ APP_ID: '123', PRIVATE_KEY: privateKey(), WEBHOOK_SECRET: 's' });

function problem(env: NodeJS.ProcessEnv): string {
  try {
    readServerConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    const msg = (e as Error).message;
    expect(msg).not.toContain('\n');
    return msg;
  }
  throw new Error('no error');
}

describe('readServerConfig', () => {
  it('accepts probot\'s environment, GHE included', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'modreview-key-'));
    writeFileSync(join(tmp, 'app.pem'), privateKey());
    const cfg = readServerConfig({ APP_ID: '123', PRIVATE_KEY_PATH: join(tmp, 'app.pem'), WEBHOOK_SECRET: 's', PORT: '8080', HOST: '0.0.0.0', LOG_LEVEL: 'debug', GHE_HOST: 'github.example.com' });
    expect(cfg).toMatchObject({ appId: 123, port: 8080, host: '0.0.0.0', logLevel: 'debug', baseUrl: 'https://github.example.com/api/v3', webhookPath: '/api/github/webhooks' });
    expect(readServerConfig(good()).baseUrl).toBe('https://api.github.com');
    // Single-line forms of the key, as deployment platforms store them.
    expect(readServerConfig({ ...good(), PRIVATE_KEY: privateKey().replace(/\n/g, '\\n') }).privateKey).toBe(privateKey());
    expect(readServerConfig({ ...good(), PRIVATE_KEY: Buffer.from(privateKey()).toString('base64') }).privateKey).toBe(privateKey());
  });

  it('names exactly what is missing or malformed', () => {
    expect(problem({})).toBe('missing APP_ID: set it to the numeric App ID shown on the GitHub App settings page');
    expect(problem({ ...good(), APP_ID: 'my-app' })).toBe('APP_ID: expected the numeric App ID, got "my-app"');
    expect(problem({ APP_ID: '1', WEBHOOK_SECRET: 's' })).toMatch(/^missing private key: set PRIVATE_KEY/);
    expect(problem({ ...good(), PRIVATE_KEY: 'not a key' })).toMatch(/^PRIVATE_KEY: not a PEM private key/);
    expect(problem({ ...good(), PRIVATE_KEY: '-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n' })).toMatch(/^PRIVATE_KEY: malformed private key \(/);
    expect(problem({ APP_ID: '1', WEBHOOK_SECRET: 's', PRIVATE_KEY_PATH: '/nonexistent/app.pem' })).toBe('PRIVATE_KEY_PATH: cannot read /nonexistent/app.pem (ENOENT)');
    expect(problem({ APP_ID: '1', PRIVATE_KEY: privateKey() })).toMatch(/^missing WEBHOOK_SECRET/);
    expect(problem({ ...good(), PORT: 'http' })).toBe('PORT: expected a port number (0-65535), got "http"');
    expect(problem({ ...good(), LOG_LEVEL: 'loud' as never })).toMatch(/^LOG_LEVEL: expected one of trace, debug/);
    expect(problem({ ...good(), GHE_HOST: 'https://ghe.example.com' })).toMatch(/^GHE_HOST: expected a host name/);
    expect(problem({ ...good(), GHE_HOST: 'ghe.example.com', GHE_PROTOCOL: 'ftp' })).toBe('GHE_PROTOCOL: expected https or http, got "ftp"');
  });
});

describe('modreview github', () => {
  it('registers a command whose start-up error is a UsageError (exit 2, one line)', async () => {
    const program = new Command().exitOverride();
    register(program, () => {});
    const saved = { ...process.env };
    try {
      delete process.env.APP_ID;
      delete process.env.PRIVATE_KEY;
      delete process.env.PRIVATE_KEY_PATH;
      await expect(program.parseAsync(['node', 'modreview', 'github'])).rejects.toThrow(UsageError);
    } finally {
      process.env = saved;
    }
  });

  it('through the CLI: exit status 2 and one line on stderr, no stack', async () => {
    const { main } = await import('../../src/cli.js');
    const saved = { ...process.env };
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      process.env.APP_ID = '123';
      process.env.PRIVATE_KEY = '-----BEGIN RSA PRIVATE KEY-----\ngarbage\n-----END RSA PRIVATE KEY-----';
      process.env.WEBHOOK_SECRET = 's';
      const code = await main(['node', 'modreview', 'github']);
      expect(code).toBe(2);
      const out = err.mock.calls.map((c) => String(c[0])).join('');
      expect(out).toMatch(/^modreview: PRIVATE_KEY: malformed private key \(.*\)\n$/);
    } finally {
      err.mockRestore();
      process.env = saved;
    }
  });
});
