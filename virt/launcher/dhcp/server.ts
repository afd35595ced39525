// A DHCPv4 server for exactly one client: the guest NIC on the pod tap. It runs unprivileged: the launcher
// pod sets net.ipv4.ip_unprivileged_port_start=0, so uid 107 may bind port 67. Two sockets: one on
// 0.0.0.0 receives the client's broadcasts (a socket bound to an address never sees them), one bound to
// the server address sends every reply to 255.255.255.255 — Linux routes a limited broadcast with a bound
// source out of the device that owns that address, the tap (masquerade) or the bridge holding it (bridge).
// Replies are always broadcast: in the bridge binding the pod has no route to the guest's address.
import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from '../../logger/logger.js';
import { decode, DhcpDecodeError, encode } from './packet.js';
import { respond, type LeaseConfig } from './responder.js';

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;

export class DhcpServerError extends Error {
  constructor(message: string, readonly hint: string, options?: { cause?: unknown }) {
    super(`${message}; hint: ${hint}`, options);
    this.name = 'DhcpServerError';
  }
}

export interface DhcpServerOptions {
  serverPort?: number;
  clientPort?: number;
}

export class DhcpServer {
  private listener: Socket | undefined;
  private sender: Socket | undefined;
  /** Answers sent, by kind: what the guest got, for getDomain-style checks and the log. */
  readonly sent = { Offer: 0, Ack: 0, Nak: 0 };

  constructor(
    private readonly cfg: LeaseConfig,
    private readonly log: Logger,
    private readonly opts: DhcpServerOptions = {},
  ) {}

  private async bind(address: string): Promise<Socket> {
    const s = createSocket({ type: 'udp4', reuseAddr: true });
    const port = this.opts.serverPort ?? DHCP_SERVER_PORT;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind({ port, address }, () => {
        s.off('error', reject);
        resolve();
      });
    }).catch((cause: unknown) => {
      s.close();
      const code = (cause as NodeJS.ErrnoException).code;
      const hint =
        code === 'EACCES'
          ? 'the launcher pod must set the sysctl net.ipv4.ip_unprivileged_port_start=0 (an unprivileged launcher cannot bind port 67 otherwise)'
          : code === 'EADDRNOTAVAIL'
            ? `the handler must assign ${address} in the pod's network namespace (on the tap or its bridge) before sync`
            : 'is another DHCP server running in the pod?';
      throw new DhcpServerError(`cannot bind the DHCP server to ${address}:${port}: ${(cause as Error).message}`, hint, { cause });
    });
    s.on('message', (msg) => this.onMessage(msg));
    s.on('error', (err) => this.log.warn('DHCP socket error', { error: err, address }));
    return s;
  }

  async start(): Promise<void> {
    this.sender = await this.bind(this.cfg.serverAddress);
    this.sender.setBroadcast(true);
    try {
      this.listener = await this.bind('0.0.0.0');
    } catch (err) {
      this.sender.close();
      this.sender = undefined;
      throw err;
    }
    this.log.info('DHCP server listening', { serverAddress: this.cfg.serverAddress, mac: this.cfg.mac, offers: this.cfg.address });
  }

  private onMessage(msg: Buffer): void {
    let answer;
    try {
      answer = respond(decode(msg), this.cfg);
    } catch (err) {
      if (err instanceof DhcpDecodeError) return this.log.debug('ignored a malformed DHCP packet', { error: err });
      return this.log.warn('cannot answer a DHCP request', { error: err as Error });
    }
    if (!answer || !this.sender) return;
    const a = answer;
    this.sender.send(encode(a.reply), this.opts.clientPort ?? DHCP_CLIENT_PORT, '255.255.255.255', (err) => {
      if (err) return this.log.warn('cannot send a DHCP reply', { error: err, answered: a.answered });
      this.sent[a.answered]++;
      this.log.info('DHCP', { asked: a.asked, answered: a.answered, address: a.reply.yiaddr, mac: this.cfg.mac });
    });
  }

  async stop(): Promise<void> {
    for (const s of [this.listener, this.sender]) if (s) await new Promise<void>((r) => s.close(() => r()));
    this.listener = this.sender = undefined;
  }
}
