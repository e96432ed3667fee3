import { ErrorCode, ProtocolFault } from '../../shared/errors.js';
import { LOBBY, PROTOCOL_VERSION } from '../../shared/limits.js';
import type { HelloMsg, NickMsg, PingMsg, QuitMsg, ServerMessage } from '../../shared/protocol.js';
import { caseFold } from '../../shared/validate.js';
import { checkPassword, guardNick, isServerPassword } from '../accounts/login.js';
import type { Account } from '../engine/accounts.js';
import type { Hub } from '../hub.js';
import type { Session } from '../session.js';
import { joinRoom } from './room-commands.js';
import type { CommandSpec } from './types.js';

/**
 * Who `hello` lets in: a registered nick with its account's password (logged in), or a guest nick that
 * neither is nor looks like a registered one, with the server's password when it has one.
 */
async function admit(hub: Hub, session: Session, m: HelloMsg): Promise<Account | null> {
  const registered = await hub.engine.accounts.collision(m.nick);
  if (registered !== null && caseFold(registered) === caseFold(m.nick) && m.password !== undefined) {
    return checkPassword(hub, session, caseFold(m.nick), m.password);
  }
  await guardNick(hub, session, m.nick);
  const serverPassword = hub.config.password ?? '';
  if (serverPassword !== '') {
    if (!isServerPassword(m.password, serverPassword)) {
      throw new ProtocolFault(ErrorCode.PASSWORD_REQUIRED, m.password === undefined
        ? 'this server needs a password: send it in hello.password'
        : 'wrong server password');
    }
  } else if (m.password !== undefined) {
    throw new ProtocolFault(ErrorCode.LOGIN_FAILED, `no account is registered as ${m.nick}`);
  }
  return null;
}

/** The message a registered nick held by someone this login cannot join as a terminal gets. */
export function heldElsewhere(nick: string): string {
  return `${nick} is in use by a connection that is not logged in to it, or on another server of this cluster; use ghost to disconnect it`;
}

// hello { nick, password? } -> welcome, then (logged in) a read{room, seq} per read marker of the account,
// then the join of #lobby (once logged in, where accounts are required). A login to an account already
// connected here makes this connection one more terminal of it: welcome, the markers, then joined,
// history and who of each room the account is in.
export const hello: CommandSpec<HelloMsg> = {
  preRegistration: true,
  handle: async (hub, session, m) => {
    if (session.registered) throw new ProtocolFault(ErrorCode.ALREADY_REGISTERED, 'already registered');
    const account = await admit(hub, session, m);
    if (session.closed) return;
    const terminals = account ? hub.terminalsOf(account.name) : null;
    const user = terminals ?? session.user;
    if (!terminals) {
      const nick = account?.name ?? m.nick;
      if (!(await hub.engine.claimNick(nick, user.id))) {
        throw new ProtocolFault(ErrorCode.NICK_TAKEN, account ? heldElsewhere(nick) : `nick ${nick} is taken`);
      }
      if (session.closed) return void (await hub.engine.releaseNick(nick, user.id));
      hub.holdNick(user, nick);
      hub.logIn(user, account);
      // In no room yet: only a cluster's record of it, for the snapshots its joins will be in.
      if (account) await hub.showAccount(user, null);
      if (session.closed) return;
    }
    if (session.registrationTimer) clearTimeout(session.registrationTimer);
    session.registrationTimer = null;
    const welcome: ServerMessage = {
      type: 'welcome', sid: user.id, nick: user.nick!, server: hub.config.serverName, version: PROTOCOL_VERSION,
    };
    if (hub.config.motd) welcome.motd = hub.config.motd;
    welcome.limits = { rate: hub.config.rateLimit, burst: hub.config.rateBurst };
    if (account) welcome.account = account.name;
    hub.send(session, welcome);
    // The markers come before the rooms they are about: a client settles a room's unread count when its
    // history comes. A connected account's are known here already (nothing to wait for before attaching).
    if (terminals) {
      hub.tellMarkers(session, hub.markers.list(caseFold(account!.name)));
      return hub.attach(session, terminals, 'logged in');
    }
    if (account) {
      const markers = await hub.markersOf(account.name);
      if (session.closed) return;
      hub.tellMarkers(session, markers);
    }
    if (m.lobby === false) return;
    if (!account && hub.config.requireAccount) {
      return hub.send(session, { type: 'notice', text: 'this server needs an account: register <password> or identify <password>' });
    }
    await joinRoom(hub, session, LOBBY);
  },
};

/** Renames the session (NICK_TAKEN when someone holds the nick); resolves once everyone here has seen it. */
export async function renameSession(hub: Hub, session: Session, nick: string): Promise<void> {
  const old = session.nick!;
  if (nick === old) return hub.send(session, { type: 'nick', old, new: nick });
  const member = { ...hub.memberOf(session), nick };
  await hub.whenApplied(`nick:${session.user.id}`, async () => {
    if (!(await hub.engine.rename(member, old, session.rooms.map((r) => r.key)))) {
      throw new ProtocolFault(ErrorCode.NICK_TAKEN, `nick ${nick} is taken`);
    }
  });
}

// nick { nick } -> nick{old, new} to everyone sharing a room, and to the sender
export const nick: CommandSpec<NickMsg> = {
  guest: true,
  handle: async (hub, session, m) => {
    await guardNick(hub, session, m.nick);
    await renameSession(hub, session, m.nick);
  },
};

// ping { ref? } -> pong{ref}
export const ping: CommandSpec<PingMsg> = {
  preRegistration: true,
  handle: (hub, session, m) => hub.send(session, m.ref === undefined ? { type: 'pong' } : { type: 'pong', ref: m.ref }),
};

// quit { reason? } -> left in every room, bye, close
export const quit: CommandSpec<QuitMsg> = {
  preRegistration: true,
  handle: (hub, session, m) => {
    hub.disconnect(session, m.reason ?? 'quit');
    session.peer.close('quit');
  },
};
